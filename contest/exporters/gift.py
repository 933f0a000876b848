"""Export a question bank to Moodle GIFT, keeping what the contest stores so the importer reads it back."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence

from contest.drafts import DIFFICULTY_VI, PictureDraft, QuestionDraft, category_topic

_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in _SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return text


def _with_pictures(text: str, pictures: Sequence[PictureDraft], text_format: str) -> str:
    """HTML of ``text`` followed by its pictures (a "[Hình: alt]" placeholder for one whose
    bytes are not at hand)."""
    out = text if text_format == "html" else html.escape(text, quote=False)
    for p in pictures:
        if p.picture.webp:
            data = base64.b64encode(p.picture.webp).decode("ascii")
            out += f'<img src="data:image/webp;base64,{data}" alt="{html.escape(p.alt)}">'
        else:
            out += html.escape(f" [Hình: {p.alt or '?'}]", quote=False)
    return out


def _weight(count: int) -> str:
    return f"{100 / count:.5f}".rstrip("0").rstrip(".")


def export_gift(questions: Iterable[QuestionDraft]) -> str:
    """GIFT text for the bank.

    Topic becomes ``$CATEGORY: $course$/top/<topic>`` whenever it changes (and a
    ``// Chủ đề:`` comment when Moodle's path cannot hold the name); the
    explanation is Moodle's general feedback (``####``); difficulty and source, which
    GIFT has no place for, go in comment lines (``// Mức độ: Dễ``, ``// Nguồn: …``)
    that Moodle ignores and our importer reads. Each stem carries its format
    (``[plain]`` or ``[html]``) so plain text with "<" stays plain. A single right
    option is ``=``; several right options share 100% as ``~%50%`` weights and the wrong
    ones are ``~%-100%``, as in the Moodle XML export.
    """
    out: list[str] = []
    topic: object = object()
    for q in questions:
        if q.topic != topic:
            topic = q.topic
            path = "$course$/top" + (f"/{q.topic.replace('/', '//')}" if q.topic else "")
            out.append(f"$CATEGORY: {path}\n\n")
        lines = []
        if q.topic and category_topic(path) != q.topic:
            # Moodle's paths cannot hold every name (one starting with "/"): say it plainly too.
            lines.append(f"// Chủ đề: {q.topic}")
        if q.difficulty:
            lines.append(f"// Mức độ: {DIFFICULTY_VI[q.difficulty]}")
        if q.source:
            lines.append(f"// Nguồn: {q.source}")
        # Pictures travel inside the text as <img> with a data: URI, so the text becomes HTML.
        as_html = q.text_format == "html" or bool(q.all_pictures)
        marker = "[html]" if as_html else "[plain]"
        name = f"::{gift_escape(q.number)}::" if q.number else ""
        stem = _with_pictures(q.stem, q.pictures, q.text_format) if as_html else q.stem
        lines.append(f"{name}{marker}{gift_escape(stem)}{{")
        right = sum(1 for o in q.options if o.correct)
        for option in q.options:
            text = gift_escape(
                _with_pictures(option.text, option.pictures, q.text_format)
                if as_html
                else option.text
            )
            if text.startswith("["):
                text = marker + text
            if right == 1:
                lines.append(f"\t{'=' if option.correct else '~'}{text}")
            else:
                # Wrong options at -100%, as in the Moodle XML export: Moodle's nearest to
                # "all or nothing" (picking one cancels the credit of the right ones).
                weight = _weight(right) if option.correct else "-100"
                lines.append(f"\t~%{weight}%{text}")
        if q.explanation:
            lines.append(f"\t####{gift_escape(q.explanation)}")
        lines.append("}")
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)
