"""Moodle XML question banks (multichoice and truefalse; other kinds are skipped), parsed with defusedxml."""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET

import defusedxml
from defusedxml.ElementTree import DefusedXMLParser

from contest.drafts import PictureDraft, category_topic, repeats_stem
from contest.importers.base import (
    TEXT_HTML,
    TEXT_PLAIN,
    FileRefused,
    ImportIssue,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    category_note,
    check_question,
    feedback_dropped,
    html_removed,
    letter,
    make_issue,
    partial_credit,
    read_difficulty,
    skipped_kind,
    too_many_questions,
)
from contest.importers.gift import COMMENT_LABELS, FALSE_TEXT, TRUE_TEXT
from contest.importers.pictures import PictureReader, picture_names, take_images
from contest.importers.safety import dtd_refused
from contest.text import fold, looks_like_html, normalize_text, sanitize_html

_KINDS = {
    "essay": ("tự luận (essay)", "essay"),
    "matching": ("ghép cặp (matching)", "matching"),
    "numerical": ("số (numerical)", "numerical"),
    "shortanswer": ("trả lời ngắn (short answer)", "short answer"),
    "cloze": ("điền khuyết nhiều phần (cloze)", "cloze"),
    "multianswer": ("điền khuyết nhiều phần (cloze)", "cloze"),
    "description": ("mô tả (description)", "description"),
}


class _LineBuilder(ET.TreeBuilder):
    """Records the line where each <question> starts, so problems can point at it."""

    parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if tag == "question" and self.parser is not None:
            element.set("_line", str(self.parser.parser.CurrentLineNumber))
        return element


def _read(data: bytes) -> ET.Element:
    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    parser.feed(data)
    return parser.close()


def _text(element: ET.Element | None) -> tuple[str, str]:
    """(text, Moodle format) of an element holding a <text> child."""
    if element is None:
        return "", "plain_text"
    child = element.find("text")
    value = child.text if child is not None and child.text is not None else ""
    return value, element.get("format", "html")


def _files(element: ET.Element | None) -> dict[str, bytes]:
    """The files a Moodle text carries (``<file name= path= encoding="base64">``), by path/name."""
    found: dict[str, bytes] = {}
    if element is None:
        return found
    for file in element.findall("file"):
        name = (file.get("name") or "").strip()
        if not name:
            continue
        try:
            data = base64.b64decode("".join((file.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            continue  # the <img> naming it then reports the picture it cannot have
        path = (file.get("path") or "/").strip("/")
        found[f"{path}/{name}" if path else name] = data
    return found


def _tag_meta(element: ET.Element) -> dict[str, str]:
    """Topic, difficulty and source from tags "Chủ đề: …", "Mức độ: Dễ", "Nguồn: …" (as our
    export writes them)."""
    meta: dict[str, str] = {}
    for tag in element.findall("tags/tag"):
        head, colon, value = normalize_text(tag.findtext("text", "")).partition(":")
        name = COMMENT_LABELS.get(fold(head)) if colon else None
        if name and value.strip():
            meta[name] = normalize_text(value)
    return meta


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        try:
            root = _read(data)
        except defusedxml.DTDForbidden as exc:
            raise dtd_refused(filename) from exc
        except defusedxml.DefusedXmlException as exc:
            raise dtd_refused(filename) from exc
        except ET.ParseError as exc:
            raise FileRefused(
                "file",
                f"Tệp XML sai cú pháp (dòng {exc.position[0]}, cột {exc.position[1]})",
                f"The XML file is malformed (line {exc.position[0]}, column {exc.position[1]})",
            ) from exc
        except (LookupError, ValueError) as exc:  # an encoding expat does not know or cannot map
            raise FileRefused(
                "file",
                "Tệp XML khai báo bảng mã không hỗ trợ; hãy lưu lại tệp dạng UTF-8",
                "The XML file declares an encoding that is not supported; save it as UTF-8",
            ) from exc
        if root.tag != "quiz":
            raise FileRefused(
                "file",
                "Tệp XML không phải định dạng Moodle XML (thẻ gốc phải là <quiz>)",
                "The XML file is not Moodle XML (the root element must be <quiz>)",
            )
        topic: str | None = None
        reader = PictureReader(result)
        for element in root.findall("question"):
            kind = element.get("type", "")
            if kind == "category":
                topic = category_topic(_text(element.find("category"))[0])
                line = element.get("_line")
                result.warnings.append(
                    category_note(Location(filename, line=int(line) if line else None), topic)
                )
                continue
            if len(result.questions) + len(result.skipped) >= limits.max_questions:
                raise too_many_questions(limits)
            name = normalize_text(_text(element.find("name"))[0]) or None
            line = element.get("_line")
            where = Location(filename, line=int(line) if line else None)
            if kind not in ("multichoice", "truefalse"):
                vi, en = _KINDS.get(kind, (kind, kind))
                result.skipped.append(skipped_kind(where, vi, en, name))
                continue
            _question(element, kind, where, name, topic, result, reader)
    except FileRefused as refused:
        return refused.result(filename)
    return result


def _question(
    element: ET.Element,
    kind: str,
    where: Location,
    name: str | None,
    topic: str | None,
    result: ParseResult,
    reader: PictureReader,
) -> None:
    stem_raw, stem_format = _text(element.find("questiontext"))
    stem_raw, stem_pictures = reader.from_html(
        stem_raw, where, "stem", _files(element.find("questiontext"))
    )
    feedback_raw, _ = _text(element.find("generalfeedback"))
    feedback_raw, feedback_pictures = take_images(feedback_raw)
    if feedback_pictures:
        result.warnings.append(
            make_issue(
                where,
                "explanation",
                f"bỏ {len(feedback_pictures)} hình trong phần giải thích: phần giải thích chỉ giữ chữ",
                f"{len(feedback_pictures)} picture(s) in the explanation are not kept: an explanation keeps text only",
            )
        )
    option_pictures: list[tuple[PictureDraft, ...]] = []
    answers: list[tuple[float, str]] = []
    notes: list[ImportIssue] = []
    with_feedback = 0
    for answer in element.findall("answer"):
        try:
            fraction = float(answer.get("fraction", "0"))
        except ValueError:
            fraction = 0.0
        text, pics = reader.from_html(
            _text(answer)[0], where, f"option_{letter(len(answers))}", _files(answer)
        )
        option_pictures.append(pics)
        answers.append((fraction, text))
        if normalize_text(_text(answer.find("feedback"))[0]):
            with_feedback += 1
    if kind == "truefalse":
        truth = any(
            fraction > 0 and normalize_text(text).lower() == "true" for fraction, text in answers
        )
        raw_options = [(TRUE_TEXT, truth), (FALSE_TEXT, not truth)]
        if any(option_pictures):
            result.warnings.append(
                make_issue(
                    where,
                    "options",
                    "bỏ hình ở phương án Đúng/Sai: câu hỏi đúng/sai chỉ có hai phương án chữ",
                    "pictures on the True/False answers are not kept: a true/false question has two text options",
                )
            )
        option_pictures = [(), ()]
    else:
        single = normalize_text(element.findtext("single", "true")).lower() in ("true", "1")
        best = max((fraction for fraction, _ in answers), default=0.0)
        raw_options = [
            (text, fraction > 0 and (fraction >= best if single else True))
            for fraction, text in answers
        ]
        for i, (fraction, _) in enumerate(answers):
            if single and 0 < fraction < best:
                notes.append(partial_credit(where, f"option_{letter(i)}", fraction))
    if with_feedback:
        notes.append(feedback_dropped(where, with_feedback))
    pieces = [stem_raw, feedback_raw] + [text for text, _ in raw_options]
    html = stem_format not in ("plain_text", "markdown") and any(looks_like_html(p) for p in pieces)

    def clean(value: str, field: str) -> str:
        if not html:
            return normalize_text(value)
        removed = html_removed(value, where, field)
        if removed:
            notes.append(removed)
        return sanitize_html(value)

    stem = clean(stem_raw, "stem")
    options = [
        (clean(text, f"option_{letter(i)}"), correct)
        for i, (text, correct) in enumerate(raw_options)
    ]
    explanation = clean(feedback_raw, "explanation") or None
    meta = _tag_meta(element)
    if name and repeats_stem(name, stem, TEXT_HTML if html else TEXT_PLAIN):
        name = None  # Moodle's default name (the stem's start) is no question number
    # Moodle's own field for a question's ID number wins: it is never a default, so a number
    # that happens to equal the stem's start ("1" for a stem "1") survives a round trip.
    name = normalize_text(element.findtext("idnumber") or "") or name
    problems = check_question(
        stem,
        options,
        where,
        stem_pictured=bool(stem_pictures),
        option_pictures=[picture_names(p) for p in option_pictures],
    )
    difficulty = read_difficulty(meta.get("difficulty"), where, problems)
    if problems:
        result.errors.extend(problems)
        return
    result.warnings.extend(notes)
    result.questions.append(
        QuestionDraft(
            stem=stem,
            options=tuple(
                OptionDraft(t, c, pics)
                for (t, c), pics in zip(options, option_pictures, strict=True)
            ),
            pictures=stem_pictures,
            location=where,
            text_format=TEXT_HTML if html else TEXT_PLAIN,
            topic=meta.get("topic") or topic,
            explanation=explanation,
            number=name,
            difficulty=difficulty,
            source=meta.get("source"),
        )
    )
