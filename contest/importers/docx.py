"""Word (.docx) question banks: "Câu 1:" paragraphs with "A." options, and tables laid out like the Excel form."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

from contest.drafts import PictureDraft
from contest.importers.base import (
    FileRefused,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    check_question,
    letter,
    make_issue,
    read_difficulty,
    too_many_questions,
)
from contest.importers.pictures import CellPictures, PictureReader, SourcePicture, picture_names
from contest.importers.safety import open_office_zip
from contest.importers.tabular import _parse_correct, read_table
from contest.text import fold, normalize_text

_QUESTION = re.compile(
    r"\s*(?:câu(?:\s*hỏi)?|cau(?:\s*hoi)?|question|bài|bai)\s*(\d+)\s*[:.)]?\s*(.*)",
    re.IGNORECASE | re.DOTALL,
)
_NUMBERED = re.compile(r"\s*(\d+)\s*[.)](?:\s+(.*)|\s*$)", re.DOTALL)
_OPTION = re.compile(r"\s*(\*?)\s*(?:([A-J])\s*[.)]|([a-j])\s*[.)])\s*")
_LABELS = {
    "correct": {"dapan", "dapandung", "da", "answer", "correct", "correctanswer", "dapanchinhxac"},
    "topic": {"chude", "topic", "chuyende"},
    "difficulty": {"mucdo", "difficulty", "dokho", "capdo"},
    "explanation": {"giaithich", "explanation", "loigiai", "huongdangiai", "huongdan"},
    "source": {"nguon", "source", "cancu"},
}
_LABEL_BY_KEY = {key: name for name, keys in _LABELS.items() for key in keys}
# Marks that can single out the right option, in the order they are trusted.
_MARKS = ("bold", "underline", "colour")


@dataclass
class _Line:
    number: int
    text: str
    marks: list[frozenset[str]]


@dataclass
class _Option:
    letter: str
    text: str
    star: bool
    marks: frozenset[str]  # marks on the whole option text
    letter_marks: frozenset[str] = frozenset()  # marks on its letter only
    pictures: list[SourcePicture] = field(default_factory=list)


@dataclass
class _Question:
    line: int
    number: str
    stem: list[str] = field(default_factory=list)
    options: list[_Option] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    last: str = "stem"
    topic: str | None = None
    pictures: list[SourcePicture] = field(default_factory=list)


class _StyleBold:
    """Whether a character style is bold, looked up once per style: ``Run.style`` is slow."""

    def __init__(self, part) -> None:
        self.part = part
        self.cache: dict[str, bool] = {}

    def __call__(self, run) -> bool:
        rpr = run._r.rPr
        style_id = rpr.rStyle.val if rpr is not None and rpr.rStyle is not None else None
        if style_id is None:
            return False
        if style_id not in self.cache:
            style = self.part.get_style(style_id, WD_STYLE_TYPE.CHARACTER)
            self.cache[style_id] = bool(style is not None and style.font.bold)
        return self.cache[style_id]


def _run_marks(run, style_bold: _StyleBold) -> frozenset[str]:
    marks = set()
    bold = run.bold
    if bold is None:
        bold = style_bold(run)
    if bold:
        marks.add("bold")
    underline = run.underline
    if underline not in (None, False) and getattr(underline, "value", 1) != 0:
        marks.add("underline")
    color = run.font.color
    if (
        color is not None
        and color.type is not None
        and color.rgb is not None
        and str(color.rgb) not in ("000000", "auto")
    ):
        marks.add("colour")
    if run.font.highlight_color is not None:
        marks.add("colour")
    return frozenset(marks)


def _lines(paragraph: Paragraph, number: int, style_bold: _StyleBold) -> list[_Line]:
    """The paragraph split at manual line breaks, each character with its run's marks."""
    chars: list[str] = []
    marks: list[frozenset[str]] = []
    for item in paragraph.iter_inner_content():
        runs = item.runs if isinstance(item, Hyperlink) else [item]
        for run in runs:
            text = run.text
            flag = _run_marks(run, style_bold)
            chars.extend(text)
            marks.extend([flag] * len(text))
    lines: list[_Line] = []
    start = 0
    text = "".join(chars)
    for i, ch in enumerate(text + "\n"):
        if ch == "\n":
            lines.append(_Line(number, text[start:i], marks[start:i]))
            start = i + 1
    return lines


def _split_options(line: _Line) -> list[_Option] | None:
    """Options on one line ("A. x<tab>B. y" is common), or None when the line is not an option."""
    first = _OPTION.match(line.text)
    if not first:
        return None
    starts = [first]
    expected = ord((first.group(2) or first.group(3)).upper()) + 1
    pos = first.end()
    while True:
        nxt = re.compile(
            r"(?:\t|\s{2,})\s*(\*?)\s*("
            + chr(expected)
            + r"|"
            + chr(expected).lower()
            + r")\s*[.)]\s*"
        ).search(line.text, pos)
        if not nxt:
            break
        starts.append(nxt)
        expected += 1
        pos = nxt.end()
    options = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(line.text)
        ltr = (match.group(2) or match.group(3) or "").upper()
        text_span = range(match.end(), end)
        letter_pos = match.start(2) if match.group(2) else match.start(3)
        visible = [j for j in text_span if not line.text[j].isspace()]
        marks = frozenset(m for m in _MARKS if visible and all(m in line.marks[j] for j in visible))
        options.append(
            _Option(
                ltr,
                normalize_text(line.text[match.end() : end]),
                bool(match.group(1)),
                marks,
                line.marks[letter_pos],
            )
        )
    return options


def _label(text: str) -> tuple[str, str] | None:
    head, colon, rest = text.partition(":")
    if not colon or len(head) > 25:
        return None
    name = _LABEL_BY_KEY.get(fold(head))
    return (name, normalize_text(rest)) if name else None


_R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _paragraph_pictures(paragraph: Paragraph) -> list[SourcePicture]:
    """The pictures in a paragraph: DrawingML (inline or floating) and old VML ones, with the
    description Word keeps as their "Alt Text" (docPr descr, else title)."""
    found: list[SourcePicture] = []
    part = paragraph.part
    for element in paragraph._p.iter():
        name = _local(element.tag)
        if name == "drawing":
            props = next((e for e in element.iter() if _local(e.tag) == "docPr"), None)
            blip = next((e for e in element.iter() if _local(e.tag) == "blip"), None)
            rid = blip.get(_R_EMBED) if blip is not None else None
            alt = (props.get("descr") or props.get("title") or "") if props is not None else ""
            label = props.get("name", "") if props is not None else ""
        elif name == "imagedata":  # VML, from Word 2003 documents saved as .docx
            rid = element.get(_R_ID)
            alt = element.get("{urn:schemas-microsoft-com:office:office}title") or ""
            label = ""
        else:
            continue
        related = part.related_parts.get(rid) if rid else None
        if related is None:
            continue
        found.append(
            SourcePicture(related.blob, alt, label or str(related.partname).rsplit("/", 1)[-1])
        )
    return found


def _finish(q: _Question, file: str, result: ParseResult, reader: PictureReader) -> None:
    where = Location(file, line=q.line)
    problems = []
    letters = [o.letter for o in q.options]
    expected = [letter(i) for i in range(len(letters))]
    if letters != expected:
        problems.append(
            make_issue(
                where,
                "options",
                f"các phương án {', '.join(letters)} không liền nhau theo thứ tự A, B, C…",
                f"the options {', '.join(letters)} are not consecutive A, B, C…",
            )
        )
    # A picture-only option still answers to its letter.
    texts = [o.text or ("\x00" if o.pictures else "") for o in q.options]
    right: list[int] = []
    answer = q.meta.get("correct")
    if answer:
        parsed, bad = _parse_correct(answer, texts)
        if parsed is None:
            problems.append(
                make_issue(
                    where,
                    "correct",
                    f"'{bad}' không phải là một phương án có trong câu hỏi",
                    f"'{bad}' is not one of the question's options",
                )
            )
        else:
            right = parsed
    elif any(o.star for o in q.options):
        right = [i for i, o in enumerate(q.options) if o.star]
    else:
        # Some files print every letter bold and mark the right text; others mark only the letter.
        candidates = (
            [i for i, o in enumerate(q.options) if mark in (o.marks if on_text else o.letter_marks)]
            for on_text in (True, False)
            for mark in _MARKS
        )
        right = next((marked for marked in candidates if 0 < len(marked) < len(q.options)), [])
    stem = normalize_text(" ".join(q.stem))
    options = [(o.text, i in right) for i, o in enumerate(q.options)]

    def read(pictures: list[SourcePicture], field: str) -> tuple[PictureDraft, ...]:
        found = (reader.read(p.data, p.alt, where, field, p.name) for p in pictures)
        return tuple(p for p in found if p is not None)

    stem_pictures = read(q.pictures, "stem")
    option_pictures = [read(o.pictures, f"option_{o.letter}") for o in q.options]
    base = check_question(
        stem,
        options,
        where,
        stem_pictured=bool(stem_pictures),
        option_pictures=[picture_names(p) for p in option_pictures],
    )
    if answer:
        base = [p for p in base if p.field != "correct"]
    problems.extend(
        make_issue(
            where,
            "correct",
            "không xác định được phương án đúng: ghi dòng 'Đáp án: B', hoặc đánh dấu phương án đúng bằng chữ đậm, gạch chân, màu chữ hay dấu '*'",
            "the correct option cannot be told: add a line 'Đáp án: B' or mark the right option bold, underlined, coloured or with '*'",
        )
        if p.field == "correct"
        else p
        for p in base
    )
    difficulty = read_difficulty(q.meta.get("difficulty"), where, problems)
    if problems:
        result.errors.extend(problems)
        return
    result.questions.append(
        QuestionDraft(
            stem=stem,
            options=tuple(
                OptionDraft(text, correct, pics)
                for (text, correct), pics in zip(options, option_pictures, strict=True)
            ),
            pictures=stem_pictures,
            location=where,
            topic=q.meta.get("topic") or q.topic,
            difficulty=difficulty,
            explanation=normalize_text(q.meta.get("explanation")) or None,
            source=q.meta.get("source") or None,
            number=q.number,
        )
    )


def _read_paragraphs(
    paragraphs: list[tuple[int, Paragraph]],
    style_bold: _StyleBold,
    file: str,
    limits: ImportLimits,
    result: ParseResult,
    reader: PictureReader,
) -> None:
    current: _Question | None = None
    default_topic: str | None = None
    count = 0
    preamble: list[int] = []
    for number, paragraph in paragraphs:
        pictures = _paragraph_pictures(paragraph)
        if pictures and not normalize_text(paragraph.text):
            # A picture in a paragraph of its own belongs to what came just before it.
            _place_pictures(current, pictures, number, file, result)
            continue
        for line in _lines(paragraph, number, style_bold):
            text = normalize_text(line.text)
            if not text:
                continue
            start = _QUESTION.fullmatch(line.text) or _NUMBERED.fullmatch(line.text)
            if start:
                if current:
                    _finish(current, file, result, reader)
                count += 1
                if count > limits.max_questions:
                    raise too_many_questions(limits)
                current = _Question(line.number, start.group(1), topic=default_topic)
                rest = normalize_text(start.group(2))
                if rest:
                    current.stem.append(rest)
                continue
            label = _label(text)
            if label:
                name, value = label
                # A topic line after a question's options opens a section for the questions below it.
                if name == "topic" and (current is None or current.options):
                    default_topic = value or None
                    if current is not None:
                        current.last = "option"
                    continue
                if current is None:
                    preamble.append(line.number)
                    continue
                current.meta[name] = value
                current.last = name
                continue
            options = _split_options(line) if current is not None else None
            if options:
                current.options.extend(options)
                current.last = "option"
                continue
            if current is None:
                preamble.append(line.number)  # titles and instructions before the first question
                continue
            if current.last == "stem":
                current.stem.append(text)
            elif current.last == "option":
                opt = current.options[-1]
                current.options[-1] = _Option(
                    opt.letter,
                    normalize_text(f"{opt.text} {text}"),
                    opt.star,
                    opt.marks,
                    opt.letter_marks,
                )
            elif current.last in ("explanation", "source", "topic"):
                current.meta[current.last] = normalize_text(f"{current.meta[current.last]} {text}")
        if pictures:
            # Pictures in a line of text go with that line: the stem, or the option it ends with.
            _place_pictures(current, pictures, number, file, result)
    if current:
        _finish(current, file, result, reader)
    if preamble:
        first, last = preamble[0], preamble[-1]
        span = f"{first}–{last}" if last != first else str(first)
        result.warnings.append(
            make_issue(
                Location(file, line=first),
                None,
                f"đoạn {span} đứng trước câu hỏi đầu tiên nên không được đọc (tiêu đề, hướng dẫn); "
                "mỗi câu hỏi bắt đầu bằng 'Câu 1:' hoặc '1.'",
                f"paragraph(s) {span} come before the first question and are not read (title, "
                "instructions); each question starts with 'Câu 1:' or '1.'",
            )
        )


def _place_pictures(
    current: _Question | None,
    pictures: list[SourcePicture],
    number: int,
    file: str,
    result: ParseResult,
) -> None:
    if current is not None and current.last == "stem":
        current.pictures.extend(pictures)
    elif current is not None and current.last == "option" and current.options:
        current.options[-1].pictures.extend(pictures)
    else:
        result.warnings.append(
            make_issue(
                Location(file, line=number),
                None,
                f"{len(pictures)} hình ở đoạn {number} không thuộc câu hỏi hay phương án nào (trước câu hỏi đầu tiên, hoặc trong đáp án, giải thích): không được nhập",
                f"{len(pictures)} picture(s) in paragraph {number} belong to no question or option (before the first question, or in an answer line or explanation): not imported",
            )
        )


def _table_rows(table: Table) -> tuple[list[tuple[int, list[str]]], CellPictures]:
    rows = []
    pictures: dict[tuple[int, int], list[SourcePicture]] = {}
    for number, row in enumerate(table.rows, start=1):
        rows.append((number, [normalize_text(cell.text) for cell in row.cells]))
        for col, cell in enumerate(row.cells):
            found = [p for paragraph in cell.paragraphs for p in _paragraph_pictures(paragraph)]
            if found:
                pictures[(number, col)] = found
    return rows, pictures


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        open_office_zip(data, limits, "Word (.docx)")
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many kinds for a damaged file
            raise FileRefused(
                "file",
                "Không mở được tệp Word (.docx): tệp hỏng hoặc không phải .docx (tệp .doc cũ cần lưu lại thành .docx)",
                "The Word (.docx) file cannot be opened: it is damaged or not .docx (save an old .doc file as .docx)",
            ) from exc
        paragraphs: list[tuple[int, Paragraph]] = []
        tables: list[Table] = []
        number = 0
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                number += 1
                paragraphs.append((number, item))
            else:
                tables.append(item)
        reader = PictureReader(result)
        _read_paragraphs(paragraphs, _StyleBold(document.part), filename, limits, result, reader)
        for index, table in enumerate(tables, start=1):
            rows, pictures = _table_rows(table)
            read_table(
                rows,
                pictures=pictures,
                reader=reader,
                file=filename,
                sheet=f"Bảng {index}",
                default_topic=None,
                limits=limits,
                result=result,
                required_header=False,
            )
            if len(result.questions) > limits.max_questions:
                raise too_many_questions(limits)
        if not result.questions and not result.errors:
            result.errors.append(
                make_issue(
                    Location(filename),
                    None,
                    "không tìm thấy câu hỏi nào: mỗi câu bắt đầu bằng 'Câu 1:' hoặc '1.', mỗi phương án bằng 'A.' hoặc 'A)'",
                    "no question found: start each question with 'Câu 1:' or '1.' and each option with 'A.' or 'A)'",
                )
            )
    except FileRefused as refused:
        return refused.result(filename)
    return result
