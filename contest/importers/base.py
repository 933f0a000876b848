"""Drafts, problems and limits shared by every question-bank importer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field

from contest.drafts import (
    DIFFICULTIES,
    TEXT_HTML,
    TEXT_PLAIN,
    Location,
    OptionDraft,
    QuestionDraft,
    letter,
)
from contest.text import ALLOWED_TAGS, difficulty_code, removed_tags, unknown_difficulty

__all__ = [
    "DIFFICULTIES",
    "TEXT_HTML",
    "TEXT_PLAIN",
    "Location",
    "OptionDraft",
    "QuestionDraft",
    "letter",
]


@dataclass(frozen=True)
class ImportIssue:
    """One problem (or one skipped question) with its place and a reason in both languages."""

    location: Location
    field: str | None
    message_vi: str
    message_en: str

    def as_dict(self) -> dict:
        return {
            "file": self.location.file,
            "sheet": self.location.sheet,
            "row": self.location.row,
            "line": self.location.line,
            "field": self.field,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


@dataclass
class ParseResult:
    questions: list[QuestionDraft] = dc_field(default_factory=list)
    errors: list[ImportIssue] = dc_field(default_factory=list)
    skipped: list[ImportIssue] = dc_field(default_factory=list)
    # What was read but changed or left out of an imported question (HTML removed,
    # partial credit, feedback), and lines that hold no question (categories, titles).
    warnings: list[ImportIssue] = dc_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_questions: int = 20_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 100


class FileRefused(Exception):
    """The whole file is refused (too big, zip bomb, DTD, wrong encoding...)."""

    def __init__(self, field: str | None, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_vi = message_vi
        self.message_en = message_en

    def result(self, filename: str) -> ParseResult:
        return ParseResult(
            errors=[ImportIssue(Location(filename), self.field, self.message_vi, self.message_en)]
        )


# Canonical names of the fields, as the Excel form and the error messages show them.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "number": ("STT", "No"),
    "stem": ("Câu hỏi", "Question"),
    "options": ("Phương án", "Options"),
    "correct": ("Đáp án đúng", "Correct"),
    "topic": ("Chủ đề", "Topic"),
    "difficulty": ("Mức độ", "Difficulty"),
    "explanation": ("Giải thích", "Explanation"),
    "source": ("Nguồn", "Source"),
    "format": ("Định dạng", "Format"),
    "picture": ("Hình", "Picture"),
}


def field_label(field: str | None) -> tuple[str, str] | None:
    if field is None:
        return None
    if field.startswith("option_"):
        return f"Phương án {field[7:]}", f"Option {field[7:]}"
    return FIELD_LABELS.get(field, (field, field))


def make_issue(
    location: Location, field: str | None, reason_vi: str, reason_en: str
) -> ImportIssue:
    """Build an issue whose messages start with the place, e.g. "Dòng 14, cột 'Đáp án đúng': …"."""
    vi: list[str] = []
    en: list[str] = []
    if location.sheet:
        if location.file.lower().endswith(".docx"):  # tables of a Word file are named "Bảng n"
            vi.append(location.sheet)
            en.append(location.sheet.replace("Bảng", "Table"))
        else:
            vi.append(f"trang '{location.sheet}'")
            en.append(f"sheet '{location.sheet}'")
    if location.row is not None:
        vi.append(f"dòng {location.row}")
        en.append(f"row {location.row}")
    elif location.line is not None:
        vi.append(f"dòng {location.line}")
        en.append(f"line {location.line}")
    label = field_label(field)
    if label:
        tabular = location.row is not None
        vi.append(f"{'cột' if tabular else 'mục'} '{label[0]}'")
        en.append(f"{'column' if tabular else 'field'} '{label[1]}'")
    if vi:
        where_vi, where_en = ", ".join(vi), ", ".join(en)
        return ImportIssue(
            location,
            field,
            f"{where_vi[0].upper()}{where_vi[1:]}: {reason_vi}",
            f"{where_en[0].upper()}{where_en[1:]}: {reason_en}",
        )
    return ImportIssue(location, field, reason_vi, reason_en)


def check_question(
    stem: str,
    options: list[tuple[str, bool]],
    location: Location,
    *,
    correct_field: str = "correct",
    stem_pictured: bool = False,
    option_pictures: Sequence[str] = (),
) -> list[ImportIssue]:
    """The problems every format shares: empty stem, < 2 options, no right option, repeated option.

    A stem or an option may be a picture alone: ``stem_pictured`` and ``option_pictures`` (per
    option, the names of its pictures, "" for none) say so; two options are the same only when
    their texts and their pictures are.
    """
    problems: list[ImportIssue] = []
    if not stem and not stem_pictured:
        problems.append(
            make_issue(location, "stem", "câu hỏi không có nội dung", "the question has no text")
        )
    if len(options) < 2:
        problems.append(
            make_issue(
                location,
                "options",
                f"câu hỏi cần ít nhất 2 phương án, mới có {len(options)}",
                f"a question needs at least 2 options, it has {len(options)}",
            )
        )
    elif not any(correct for _, correct in options):
        problems.append(
            make_issue(
                location, correct_field, "không có phương án đúng", "no option is marked as correct"
            )
        )
    seen: dict[tuple[str, str], int] = {}
    for i, (text, _) in enumerate(options):
        pictured = option_pictures[i] if i < len(option_pictures) else ""
        if not text and not pictured:
            problems.append(
                make_issue(
                    location,
                    f"option_{letter(i)}",
                    f"phương án {letter(i)} không có nội dung",
                    f"option {letter(i)} has no text",
                )
            )
        elif (text, pictured) in seen:
            first = seen[(text, pictured)]
            problems.append(
                make_issue(
                    location,
                    f"option_{letter(i)}",
                    f"phương án {letter(i)} trùng với phương án {letter(first)}",
                    f"option {letter(i)} repeats option {letter(first)}",
                )
            )
        else:
            seen[(text, pictured)] = i
    return problems


def too_many_questions(limits: ImportLimits) -> FileRefused:
    return FileRefused(
        None,
        f"Tệp có quá nhiều câu hỏi (tối đa {limits.max_questions}); hãy chia thành nhiều tệp",
        f"The file has too many questions (at most {limits.max_questions}); split it into several files",
    )


def skipped_kind(
    location: Location, kind_vi: str, kind_en: str, name: str | None = None
) -> ImportIssue:
    named = f" '{name}'" if name else ""
    return make_issue(
        location,
        None,
        f"bỏ qua câu hỏi{named} dạng {kind_vi}: cuộc thi chỉ chạy câu hỏi trắc nghiệm (một hoặc nhiều đáp án, đúng/sai)",
        f"skipped {kind_en} question{named}: the contest runs only multiple-choice, multiple-response and true/false questions",
    )


def read_difficulty(label: object, location: Location, problems: list[ImportIssue]) -> str | None:
    """The difficulty code for a label as typed, or None; an unknown label adds its problem."""
    try:
        return difficulty_code(label)
    except ValueError as exc:
        vi, en = unknown_difficulty(str(exc))
        problems.append(make_issue(location, "difficulty", vi, en))
        return None


def html_removed(raw: str, location: Location, field: str | None) -> ImportIssue | None:
    """A warning naming the HTML tags that sanitising drops from ``raw``, or None."""
    tags = removed_tags(raw)
    if not tags:
        return None
    named = ", ".join(f"<{tag}>" for tag in tags)
    kept = ", ".join(sorted(ALLOWED_TAGS))
    return make_issue(
        location,
        field,
        f"đã bỏ thẻ HTML {named} (chỉ giữ {kept})",
        f"HTML removed: {named} (only {kept} are kept)",
    )


def partial_credit(location: Location, field: str, weight: float) -> ImportIssue:
    shown = f"{weight:g}"
    return make_issue(
        location,
        field,
        f"phương án được {shown}% điểm được tính là sai: cuộc thi không chấm điểm từng phần",
        f"the option worth {shown}% is counted as wrong: the contest gives no partial credit",
    )


def feedback_dropped(location: Location, count: int) -> ImportIssue:
    return make_issue(
        location,
        "options",
        f"bỏ phản hồi riêng của {count} phương án: cuộc thi chỉ giữ phần giải thích chung",
        f"the feedback of {count} option(s) is not kept: the contest keeps only the general explanation",
    )


def category_note(where: Location, topic: str | None) -> ImportIssue:
    shown = topic or "-"
    return make_issue(
        where,
        "topic",
        f"dòng danh mục ('$CATEGORY:') không phải câu hỏi: các câu hỏi sau nó thuộc chủ đề '{shown}'",
        f"the category ('$CATEGORY:') is not a question: the questions after it get the topic '{shown}'",
    )
