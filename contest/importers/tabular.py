"""Header matching and row reading shared by the tabular forms (xlsx, CSV, Word tables)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl.utils.cell import get_column_letter

from contest.drafts import PictureDraft
from contest.importers.base import (
    TEXT_HTML,
    TEXT_PLAIN,
    ImportIssue,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    check_question,
    html_removed,
    letter,
    make_issue,
    read_difficulty,
    too_many_questions,
)
from contest.importers.pictures import CellPictures, PictureReader, picture_names
from contest.text import (
    fold,
    normalize_text,
    sanitize_html,
)

_HEADER_NAMES: dict[str, str] = {}
for _field, _names in {
    "number": ("stt", "no", "number", "so", "sothutu", "ma", "macauhoi", "id"),
    "stem": (
        "cauhoi",
        "question",
        "questiontext",
        "noidung",
        "noidungcauhoi",
        "stem",
        "cauhoitracnghiem",
    ),
    "correct": (
        "dapandung",
        "correct",
        "correctanswer",
        "correctanswers",
        "answer",
        "answers",
        "dapan",
        "dapanchinhxac",
        "phuongandung",
        "key",
        "answerkey",
        "correctoption",
        "dung",
    ),
    "topic": ("chude", "topic", "category", "linhvuc", "chuyende", "nhom"),
    "difficulty": ("mucdo", "difficulty", "dokho", "level", "capdo", "mucdokho"),
    "explanation": ("giaithich", "explanation", "huongdan", "loigiai", "huongdangiai"),
    "source": ("nguon", "source", "cancu", "trichdan", "tailieu", "nguontrichdan"),
    "format": ("dinhdang", "format", "textformat"),
    "picture": ("hinh", "hinhanh", "anh", "hinhminhhoa", "picture", "image", "img"),
}.items():
    for _name in _names:
        _HEADER_NAMES[_name] = _field

_OPTION_HEADER = re.compile(r"(?:phuongan|dapan|option|luachon|pa|choice|answer)?([a-j])")
_OPTION_GROUP = {
    "",
    "phuongan",
    "cacphuongan",
    "dapan",
    "options",
    "option",
    "luachon",
    "answers",
    "choices",
}
_HEADER_SCAN_ROWS = 20
REQUIRED = ("stem", "option_A", "option_B", "correct")


def classify_header(label: object) -> str | None:
    """The field a header cell names ("stem", "option_C", "correct"...), or None."""
    key = fold(normalize_text(label))
    if not key:
        return None
    if key in _HEADER_NAMES:
        return _HEADER_NAMES[key]
    match = _OPTION_HEADER.fullmatch(key)
    if match:
        return f"option_{match.group(1).upper()}"
    return None


def cell_text(value: object) -> str:
    """A cell's value as the text a person reads in it.

    Numbers keep the decimal point Python and the file store ("0.5", not "0,5"): the
    comma is only how a Vietnamese Excel displays it, and an organiser who wants the
    comma in the question types the option as text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Đúng" if value else "Sai"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return normalize_text(value)


@dataclass
class _Columns:
    fields: dict[str, int]
    header_rows: int


def _find_header(rows: list[tuple[int, Sequence[object]]]) -> tuple[int, _Columns] | None:
    for index, (_, values) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        fields: dict[str, int] = {}
        for col, value in enumerate(values):
            field = classify_header(value)
            if field and field not in fields:
                fields[field] = col
        if len(fields) < 2 or not ({"stem", "correct"} & fields.keys()):
            continue
        header_rows = 1
        # A merged "Phương án" cell over a second header row of letters A, B, C…
        if index + 1 < len(rows):
            below = rows[index + 1][1]
            letters = {}
            for col, value in enumerate(below):
                key = fold(normalize_text(value))
                above = fold(cell_text(values[col])) if col < len(values) else ""
                if (
                    len(key) == 1
                    and "a" <= key <= "j"
                    and (above in _OPTION_GROUP or classify_header(above) is None)
                ):
                    letters[f"option_{key.upper()}"] = col
            if len(letters) >= 2:
                fields.update(letters)
                header_rows = 2
        return index, _Columns(fields, header_rows)
    return None


def _parse_correct(raw: str, options: list[str]) -> tuple[list[int] | None, str | None]:
    """Indexes of the right options, or None and the part that matches nothing.

    Letters ("B", "A, C", "AC") win over an option whose text is the same letters;
    otherwise the full text of one option names it.
    """
    by_text = [i for i, text in enumerate(options) if text and raw.casefold() == text.casefold()]
    stripped = re.sub(r"^(?:đáp án|phương án|option|answer|câu)\s*", "", raw, flags=re.IGNORECASE)
    stripped = stripped.replace(".", " ").replace(")", " ").strip()
    if re.fullmatch(r"[A-Za-z](?:[\s,;/&+]*[A-Za-z])*", stripped) and (
        re.search(r"[\s,;/&+]", stripped) or len(stripped) <= 6
    ):
        found: list[int] = []
        for ch in re.findall(r"[A-Za-z]", stripped):
            i = ord(ch.upper()) - ord("A")
            if i >= len(options) or not options[i]:
                # "Sai" is three letters but also the text of an option of a true/false question.
                if by_text:
                    return by_text[:1], None
                return None, ch.upper() if len(stripped) == 1 or re.search(
                    r"[\s,;/&+]", stripped
                ) else raw
            if i not in found:
                found.append(i)
        return sorted(found), None
    if by_text:
        return by_text[:1], None
    return None, raw


def read_table(
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    file: str,
    sheet: str | None,
    default_topic: str | None,
    limits: ImportLimits,
    result: ParseResult,
    required_header: bool = True,
    pictures: CellPictures | None = None,
    reader: PictureReader | None = None,
) -> bool:
    """Read one table into ``result``; returns False when it has no header row at all.

    ``rows`` are (row number as the user sees it, cell values). Problems are added to
    ``result.errors``; a row with any problem adds no question.
    """
    rows = list(rows)
    found = _find_header(rows)
    if found is None:
        filled = [number for number, values in rows if any(cell_text(v) for v in values)]
        if filled and not required_header:
            result.warnings.append(
                make_issue(
                    Location(file, sheet, row=filled[0]),
                    None,
                    f"không đọc {len(filled)} dòng có chữ ở đây vì không có dòng tiêu đề "
                    "('Câu hỏi', 'Phương án A', …, 'Đáp án đúng'); nếu là hướng dẫn thì không sao",
                    f"{len(filled)} filled row(s) here are not read: there is no header row "
                    "('Question', 'Option A', …, 'Correct'); fine if they are instructions",
                )
            )
        if required_header:
            result.errors.append(
                make_issue(
                    Location(file, sheet),
                    "stem",
                    "không tìm thấy dòng tiêu đề (cần các cột 'Câu hỏi', 'Phương án A', 'Phương án B', …, 'Đáp án đúng')",
                    "no header row found (the columns 'Question', 'Option A', 'Option B', …, 'Correct' are needed)",
                )
            )
        return False
    index, columns = found
    header_row = rows[index][0]
    used = set(columns.fields.values())
    for col, value in enumerate(rows[index][1]):
        label = cell_text(value)
        if col in used or not label:
            continue
        if columns.header_rows == 2 and fold(label) in _OPTION_GROUP:
            continue  # the group label ("Phương án") over the letters row
        result.warnings.append(
            make_issue(
                Location(file, sheet, row=header_row),
                None,
                f"không đọc cột '{label}': tên cột không thuộc mẫu (STT, Câu hỏi, Phương án A…, "
                "Đáp án đúng, Chủ đề, Mức độ, Giải thích, Nguồn, Định dạng)",
                f"the column '{label}' is not read: it is not one of the template's columns (No, "
                "Question, Option A…, Correct, Topic, Difficulty, Explanation, Source, Format)",
            )
        )
    missing = [field for field in REQUIRED if field not in columns.fields]
    if missing:
        for field in missing:
            result.errors.append(
                make_issue(
                    Location(file, sheet, row=header_row),
                    field,
                    "thiếu cột bắt buộc này trong dòng tiêu đề",
                    "this required column is missing from the header row",
                )
            )
        return True
    option_columns = sorted(
        ((field[7:], col) for field, col in columns.fields.items() if field.startswith("option_")),
    )
    last_letter = option_columns[-1][0]
    option_cols = {ltr: col for ltr, col in option_columns}
    letters = [letter(i) for i in range(ord(last_letter) - ord("A") + 1)]

    def get(values: Sequence[object], field: str) -> object:
        col = columns.fields.get(field)
        return values[col] if col is not None and col < len(values) else None

    already = len(result.questions)
    seen = 0
    pictures = pictures or {}
    picture_rows = {row for row, _ in pictures}
    placed: set[tuple[int, int]] = set()

    def pictures_at(
        row: int, col: int | None, where: Location, field: str
    ) -> tuple[PictureDraft, ...]:
        if col is None or (row, col) not in pictures or reader is None:
            return ()
        placed.add((row, col))
        found = (reader.read(p.data, p.alt, where, field, p.name) for p in pictures[(row, col)])
        return tuple(p for p in found if p is not None)

    for row_number, values in rows[index + columns.header_rows :]:
        if not any(cell_text(v) for v in values) and row_number not in picture_rows:
            continue
        seen += 1
        if already + seen > limits.max_questions:
            raise too_many_questions(limits)
        where = Location(file, sheet, row=row_number)
        problems = []
        fmt_raw = fold(cell_text(get(values, "format")))
        text_format = TEXT_PLAIN
        if fmt_raw == "html":
            text_format = TEXT_HTML
        elif fmt_raw not in ("", "plain", "text", "vanban"):
            problems.append(
                make_issue(
                    where,
                    "format",
                    f"'{cell_text(get(values, 'format'))}' phải là 'plain' hoặc 'html'",
                    f"'{cell_text(get(values, 'format'))}' must be 'plain' or 'html'",
                )
            )

        notes: list[ImportIssue] = []

        def clean(
            value: object,
            field: str,
            text_format: str = text_format,
            where: Location = where,
            notes: list[ImportIssue] = notes,
        ) -> str:
            text = cell_text(value)
            if text_format != TEXT_HTML:
                return text
            removed = html_removed(text, where, field)
            if removed:
                notes.append(removed)
            return sanitize_html(text)

        stem = clean(get(values, "stem"), "stem")
        stem_pictures = pictures_at(
            row_number, columns.fields.get("stem"), where, "stem"
        ) + pictures_at(row_number, columns.fields.get("picture"), where, "picture")
        texts = [
            clean(values[option_cols[ltr]], f"option_{ltr}")
            if ltr in option_cols and option_cols[ltr] < len(values)
            else ""
            for ltr in letters
        ]
        option_pictures = [
            pictures_at(row_number, option_cols.get(ltr), where, f"option_{ltr}") for ltr in letters
        ]
        # An option is there when it has a text or a picture.
        present = [bool(t or option_pictures[i]) for i, t in enumerate(texts)]
        while texts and not present[len(texts) - 1]:
            texts.pop()
        for i in range(len(texts)):
            if not present[i]:
                nxt = next(letter(j) for j in range(i + 1, len(texts)) if present[j])
                problems.append(
                    make_issue(
                        where,
                        f"option_{letter(i)}",
                        f"thiếu phương án {letter(i)} trong khi có phương án {nxt} (các phương án phải liền nhau)",
                        f"option {letter(i)} is empty while option {nxt} is given (options must have no gaps)",
                    )
                )
        correct_raw = cell_text(get(values, "correct"))
        right: list[int] = []
        if correct_raw:
            # A picture-only option still answers to its letter.
            parsed, bad = _parse_correct(
                correct_raw, [t or ("\x00" if present[i] else "") for i, t in enumerate(texts)]
            )
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
        kept = [i for i in range(len(texts)) if present[i]]
        options = [(texts[i], i in right) for i in kept]
        base = check_question(
            stem,
            options,
            where,
            stem_pictured=bool(stem_pictures),
            option_pictures=[picture_names(option_pictures[i]) for i in kept],
        )
        if correct_raw:
            base = [p for p in base if p.field != "correct"]
        elif len(options) >= 2:
            base = [p for p in base if p.field != "correct"] + [
                make_issue(
                    where, "correct", "chưa ghi đáp án đúng", "the correct answer is not given"
                )
            ]
        problems.extend(base)
        difficulty = read_difficulty(get(values, "difficulty"), where, problems)
        if problems:
            result.errors.extend(problems)
            continue
        topic = cell_text(get(values, "topic")) or default_topic
        explanation = clean(get(values, "explanation"), "explanation") or None
        result.warnings.extend(notes)
        result.questions.append(
            QuestionDraft(
                stem=stem,
                options=tuple(
                    OptionDraft(text, correct, option_pictures[i])
                    for i, (text, correct) in zip(kept, options, strict=True)
                ),
                pictures=stem_pictures,
                location=where,
                text_format=text_format,
                topic=topic or None,
                difficulty=difficulty,
                explanation=explanation,
                source=cell_text(get(values, "source")) or None,
                number=cell_text(get(values, "number")) or None,
            )
        )
    for row, col in sorted(set(pictures) - placed):
        for p in pictures[(row, col)]:
            result.warnings.append(
                make_issue(
                    Location(file, sheet, row=row),
                    None,
                    f"hình '{p.name}' ở ô {get_column_letter(col + 1)}{row} không nằm ở cột câu hỏi, phương án hay cột 'Hình' của một câu hỏi: không được nhập",
                    f"the picture '{p.name}' in cell {get_column_letter(col + 1)}{row} is not in a question's Question, Option or 'Picture' column: not imported",
                )
            )
    return True
