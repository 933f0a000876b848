"""Export a question bank to Moodle XML, as Moodle's own "Moodle XML format" importer reads it.

Every question is a ``multichoice`` (a true/false question of ours is one with the options
"Đúng" and "Sai", kept as they are): ``single`` true with the right option at fraction 100,
or ``single`` false with the right options sharing 100 (1/k, which Moodle's list of grades
holds for k ≤ 10) and the wrong ones at -100, the nearest Moodle has to "all or nothing".
Options are shuffled (``shuffleanswers``) and numbered A, B, C as the contest shows them.
A topic is a category ``$course$/top/<topic>`` as in the GIFT export; the explanation is the
general feedback; difficulty and source are tags ("Mức độ: Dễ", "Nguồn: …") that our
importer reads back. Text is in CDATA, in Moodle's ``plain_text`` format when it is plain and
has no picture, else ``html`` (plain text escaped first); formulas written ``$…$`` become
``\\(…\\)``, the inline form Moodle's MathJax filter knows. Pictures are
``<img src="@@PLUGINFILE@@/…">`` with the JPEG in a base64 ``<file>`` beside the text. A
question without a number is named by the start of its stem (Moodle needs a name); our
importer takes a name that only repeats the stem's start for no number. A number unique in its
topic is also the question's ``idnumber``, which our importer reads first, so a number that
equals the stem's start ("1" for a stem "1") comes back.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Iterable

from contest.drafts import (
    DIFFICULTY_VI,
    TEXT_HTML,
    PictureDraft,
    QuestionDraft,
    category_topic,
    default_name,
)
from contest.formulas import split


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _plain_text(text: str) -> str:
    return html.escape(text, quote=False)


def moodle_formulas(text: str) -> str:
    """``$…$`` formulas written as ``\\(…\\)``; other delimiters Moodle already reads."""
    out = []
    for piece in split(text):
        if piece.latex is not None and piece.text.startswith("$") and not piece.display:
            out.append(f"\\({piece.text[1:-1]}\\)")
        else:
            out.append(piece.text)
    return "".join(out)


def _file_name(picture: PictureDraft) -> str:
    return f"{picture.picture.sha256[:20]}.jpg"


def _images(pictures: tuple[PictureDraft, ...]) -> str:
    return "".join(
        f' <img src="@@PLUGINFILE@@/{_file_name(p)}" alt="{html.escape(p.alt)}" '
        f'width="{p.picture.width}" height="{p.picture.height}">'
        for p in pictures
    )


def _files(pictures: tuple[PictureDraft, ...], indent: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in pictures:
        name = _file_name(p)
        if name in seen:
            continue
        seen.add(name)
        data = base64.b64encode(p.picture.jpeg).decode("ascii")
        out.append(f'{indent}<file name="{name}" path="/" encoding="base64">{data}</file>')
    return out


def _name(q: QuestionDraft, index: int) -> str:
    return q.number or default_name(moodle_formulas(q.stem), q.text_format) or f"Câu {index}"


def _weight(count: int) -> str:
    return f"{100 / count:.5f}".rstrip("0").rstrip(".")


def _path(topic: str | None) -> str:
    return "$course$/top" + (f"/{topic.replace('/', '//')}" if topic else "")


def _category(topic: str | None) -> list[str]:
    path = _path(topic)
    return [
        '  <question type="category">',
        f"    <category><text>{_plain_text(path)}</text></category>",
        '    <info format="html"><text></text></info>',
        "  </question>",
    ]


def _question(q: QuestionDraft, index: int, idnumber: str) -> list[str]:
    right = sum(1 for o in q.options if o.correct)
    single = right == 1
    # Plain text stays plain (Moodle's plain_text format) unless a picture needs HTML.
    html_out = q.text_format == TEXT_HTML or bool(q.all_pictures)
    fmt = "html" if html_out else "plain_text"

    def text(value: str, pictures: tuple[PictureDraft, ...] = ()) -> str:
        if html_out and q.text_format != TEXT_HTML:
            value = _plain_text(value)
        return _cdata(moodle_formulas(value) + _images(pictures))

    lines = [
        '  <question type="multichoice">',
        f"    <name><text>{_plain_text(_name(q, index))}</text></name>",
        f'    <questiontext format="{fmt}">',
        f"      <text>{text(q.stem, q.pictures)}</text>",
        *_files(q.pictures, "      "),
        "    </questiontext>",
        f'    <generalfeedback format="{fmt}">',
        f"      <text>{text(q.explanation) if q.explanation else ''}</text>",
        "    </generalfeedback>",
        "    <defaultgrade>1.0000000</defaultgrade>",
        "    <penalty>0.3333333</penalty>",
        "    <hidden>0</hidden>",
        f"    <idnumber>{_plain_text(idnumber)}</idnumber>",
        f"    <single>{'true' if single else 'false'}</single>",
        "    <shuffleanswers>true</shuffleanswers>",
        "    <answernumbering>ABCD</answernumbering>",
        "    <showstandardinstruction>0</showstandardinstruction>",
        '    <correctfeedback format="html"><text></text></correctfeedback>',
        '    <partiallycorrectfeedback format="html"><text></text></partiallycorrectfeedback>',
        '    <incorrectfeedback format="html"><text></text></incorrectfeedback>',
    ]
    for option in q.options:
        if option.correct:
            fraction = "100" if single else _weight(right)
        else:
            fraction = "0" if single else "-100"
        lines += [
            f'    <answer fraction="{fraction}" format="{fmt}">',
            f"      <text>{text(option.text, option.pictures)}</text>",
            *_files(option.pictures, "      "),
            '      <feedback format="html"><text></text></feedback>',
            "    </answer>",
        ]
    tags = []
    if q.topic and category_topic(_path(q.topic)) != q.topic:
        # Moodle's paths cannot hold every name (one starting with "/"): say it plainly too.
        tags.append(f"Chủ đề: {q.topic}")
    if q.difficulty:
        tags.append(f"Mức độ: {DIFFICULTY_VI[q.difficulty]}")
    if q.source:
        tags.append(f"Nguồn: {q.source}")
    if tags:
        lines.append("    <tags>")
        lines += [f"      <tag><text>{_plain_text(t)}</text></tag>" for t in tags]
        lines.append("    </tags>")
    lines.append("  </question>")
    return lines


def export_moodle_xml(questions: Iterable[QuestionDraft]) -> bytes:
    """The bank as a Moodle XML file (UTF-8); pass drafts with their pictures' bytes loaded."""
    questions = list(questions)
    # An ID number is unique within a Moodle category (our topic), so only numbers unique in
    # their topic go there; every number also stays the question's name.
    counts: Counter[tuple[str | None, str | None]] = Counter(
        (q.topic, q.number) for q in questions if q.number
    )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    topic: object = object()
    for index, q in enumerate(questions, start=1):
        if q.topic != topic:
            topic = q.topic
            lines += _category(q.topic)
        unique = q.number is not None and counts[(q.topic, q.number)] == 1
        lines += _question(q, index, q.number if unique and q.number else "")
    lines.append("</quiz>")
    return ("\n".join(lines) + "\n").encode("utf-8")
