"""Export a question bank to Moodle GIFT, keeping what the contest stores so the importer reads it back."""

from __future__ import annotations

from collections.abc import Iterable

from contest.drafts import DIFFICULTY_VI, QuestionDraft, category_topic

_SPECIAL = "~=#{}:"


def gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in _SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return text


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
        marker = "[html]" if q.text_format == "html" else "[plain]"
        name = f"::{gift_escape(q.number)}::" if q.number else ""
        lines.append(f"{name}{marker}{gift_escape(q.stem)}{{")
        right = sum(1 for o in q.options if o.correct)
        for option in q.options:
            text = gift_escape(option.text)
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
