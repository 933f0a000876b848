"""Moodle GIFT question banks: multiple choice, multiple response and true/false; other kinds are skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contest.drafts import PictureDraft, category_topic
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
from contest.importers.pictures import PictureReader, picture_names, take_images
from contest.importers.safety import decode_text
from contest.text import (
    fold,
    looks_like_html,
    normalize_text,
    plain_to_html,
    sanitize_html,
)

TRUE_TEXT = "Đúng"
FALSE_TEXT = "Sai"

# Escaped control characters are swapped for private-use characters while the
# structure is parsed, then swapped back, as Moodle's own importer does.
_ESCAPES = [
    ("\\\\", "\ue000"),
    ("\\~", "\ue001"),
    ("\\=", "\ue002"),
    ("\\#", "\ue003"),
    ("\\{", "\ue004"),
    ("\\}", "\ue005"),
    ("\\:", "\ue006"),
]
_UNESCAPE = {placeholder: raw[1] for raw, placeholder in _ESCAPES}
_FORMAT = re.compile(r"^\s*\[(html|plain|moodle|markdown)\]", re.IGNORECASE)
# "\n" is a line break in GIFT (as in Moodle), which eats LaTeX's \neq, \nabla, \ne…
_NEWLINE_COMMAND = re.compile(r"\\n[a-z]+")
_NAME_LINE = re.compile(r"(?m)^[ \t]*::")
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
COMMENT_LABELS = {
    "mucdo": "difficulty",
    "difficulty": "difficulty",
    "nguon": "source",
    "source": "source",
    "chude": "topic",
    "topic": "topic",
}


def _escape_placeholders(text: str) -> str:
    for raw, placeholder in _ESCAPES:
        text = text.replace(raw, placeholder)
    return text.replace("\\n", "\n")


def _unescape(text: str) -> str:
    return "".join(_UNESCAPE.get(ch, ch) for ch in text)


def _split_format(text: str) -> tuple[str | None, str]:
    match = _FORMAT.match(text)
    if not match:
        return None, text
    return match.group(1).lower(), text[match.end() :]


@dataclass
class _Block:
    """Lines between blank lines, as Moodle's importer splits a GIFT file."""

    comments: list[str] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)
    category: tuple[int, str] | None = None


def _blocks(text: str) -> list[_Block]:
    """Blocks separated by blank lines; ``//`` comment lines are kept apart for metadata.

    A ``$CATEGORY:`` line is a block of its own even when no blank line follows it
    (Moodle would read the questions below it as part of the category's name).
    """
    blocks: list[_Block] = []
    current = _Block()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            if current.lines or current.comments:
                blocks.append(current)
            current = _Block()
        elif stripped.startswith("//"):
            current.comments.append(stripped[2:])
        elif stripped.startswith("$CATEGORY:"):
            if current.lines:
                blocks.append(current)
                current = _Block()
            blocks.append(_Block(current.comments, [], (number, stripped)))
            current = _Block()
        else:
            current.lines.append((number, line))
    if current.lines or current.comments:
        blocks.append(current)
    return blocks


@dataclass(frozen=True)
class _Answer:
    weight: float
    text: str
    fmt: str | None
    feedback: bool


def _answers(body: str) -> list[_Answer]:
    """Each "=" or "~" answer with its weight, text, format and whether it had feedback."""
    answers = []
    for piece in body.replace("=", "~=").split("~")[1:]:
        weight = 0.0
        if piece.startswith("="):
            weight = 100.0
            piece = piece[1:]
        match = _WEIGHT.match(piece)
        if match:
            weight = float(match.group(1).replace(",", "."))
            piece = piece[match.end() :]
        text, hash_, feedback = piece.partition("#")
        fmt, text = _split_format(text.strip())
        answers.append(_Answer(weight, text.strip(), fmt, bool(hash_ and feedback.strip())))
    return answers


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        text = decode_text(data, kind="GIFT").lstrip("\ufeff")
        topic: str | None = None
        reader = PictureReader(result)
        for block in _blocks(text):
            meta: dict[str, str] = {}
            for comment in block.comments:
                head, colon, value = comment.partition(":")
                name = COMMENT_LABELS.get(fold(head)) if colon else None
                if name:
                    meta[name] = normalize_text(value)
            if block.category is not None:
                number, line = block.category
                topic = category_topic(line[len("$CATEGORY:") :])
                result.warnings.append(category_note(Location(filename, line=number), topic))
                continue
            if not block.lines:
                continue
            if len(result.questions) + len(result.skipped) >= limits.max_questions:
                raise too_many_questions(limits)
            _question(block.lines, filename, meta.get("topic") or topic, meta, result, reader)
    except FileRefused as refused:
        return refused.result(filename)
    return result


def _question(
    lines: list[tuple[int, str]],
    filename: str,
    topic: str | None,
    meta: dict[str, str],
    result: ParseResult,
    reader: PictureReader,
) -> None:
    escaped = [_escape_placeholders(line) for _, line in lines]
    starts = []
    offset = 0
    for line in escaped:
        starts.append(offset)
        offset += len(line) + 1

    def line_at(position: int) -> int:
        index = max(i for i, begin in enumerate(starts) if begin <= position)
        return lines[index][0]

    where = Location(filename, line=lines[0][0])
    for number, line in lines:
        command = _NEWLINE_COMMAND.search(line.replace("\\\\", "  "))
        if command:
            result.warnings.append(
                make_issue(
                    Location(filename, line=number),
                    None,
                    f"'\\n' là dấu xuống dòng trong GIFT nên '{command.group()}' không còn là lệnh "
                    f"LaTeX; hãy viết '\\{command.group()}'",
                    f"'\\n' is a line break in GIFT, so '{command.group()}' is no LaTeX command; "
                    f"write '\\{command.group()}'",
                )
            )
    full = "\n".join(escaped)
    lead = len(full) - len(full.lstrip())
    text = full.strip()
    name = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            result.errors.append(
                make_issue(
                    where,
                    "number",
                    "tên câu hỏi '::' không đóng",
                    "the question name '::' is not closed",
                )
            )
            return
        name = normalize_text(_unescape(text[2:end])) or None
        lead += end + 2
        text = text[end + 2 :]
    start = text.find("{")
    if start < 0:
        result.skipped.append(
            skipped_kind(
                where, "mô tả (không có phần trả lời)", "description (no answer part)", name
            )
        )
        return
    finish = text.find("}", start)
    if finish < 0:
        result.errors.append(
            make_issue(
                where,
                "options",
                "thiếu dấu '}' đóng phần trả lời",
                "the closing '}' of the answers is missing",
            )
        )
        return
    body = text[start + 1 : finish].strip()
    before, after = text[:start], text[finish + 1 :]
    # A second answer set or question name after the first answers: two questions run
    # together with no blank line between them. Moodle would read one garbled question.
    named = _NAME_LINE.search(after)
    second = min(
        (i for i in (after.find("{"), named.start() if named else -1) if i >= 0), default=-1
    )
    if second >= 0:
        rest = lead + finish + 1
        begins = rest + len(after) - len(after.lstrip())
        result.errors.append(
            make_issue(
                where,
                None,
                f"khối này có hai câu hỏi liền nhau (câu thứ hai bắt đầu ở dòng {line_at(begins)}, "
                f"có hai phần trả lời '{{…}}'): hãy thêm một dòng trống giữa hai câu hỏi",
                f"this block holds two questions run together (the second starts on line "
                f"{line_at(begins)}, with a second '{{…}}' answer set): add a blank line between them",
            )
        )
        return
    # Text after the answers makes a missing-word question, except a stray '";' that
    # Moodle's own fixtures carry (copied from PHP strings) and Moodle tolerates.
    if after.strip().strip("\"';"):
        if "\n" in after.rstrip() and after.split("\n", 1)[1].strip():
            later = lead + finish + 1 + after.index("\n") + 1
            result.warnings.append(
                make_issue(
                    where,
                    "stem",
                    f"chữ sau phần trả lời ở dòng {line_at(later)} được đọc là phần cuối của câu hỏi "
                    "điền từ; nếu đó là một câu hỏi mới, hãy thêm một dòng trống trước nó",
                    f"the text after the answers on line {line_at(later)} is read as the end of a "
                    "missing-word question; if it is a new question, add a blank line before it",
                )
            )
        before = f"{before}_____{after}"
    stem_format, stem = _split_format(before)

    explanation = None
    if "####" in body:
        body, explanation = body.split("####", 1)
        body = body.strip()
    if body == "":
        result.skipped.append(skipped_kind(where, "tự luận (essay)", "essay", name))
        return
    if body.startswith("#"):
        result.skipped.append(skipped_kind(where, "số (numerical)", "numerical", name))
        return
    notes: list[ImportIssue] = []
    if "~" in body:
        answers = _answers(body)
        # Partial credit does not exist in the contest: a single-answer question keeps
        # only its full-credit options, a multiple-response one every positive weight.
        single = "=" in body
        best = max((a.weight for a in answers), default=0.0)
        options = [
            (a.text, a.fmt, a.weight > 0 and (a.weight >= best if single else True))
            for a in answers
        ]
        for i, a in enumerate(answers):
            if single and 0 < a.weight < best:
                notes.append(partial_credit(where, f"option_{letter(i)}", a.weight))
        with_feedback = sum(1 for a in answers if a.feedback)
        if with_feedback:
            notes.append(feedback_dropped(where, with_feedback))
    elif "=" in body and "->" in body:
        result.skipped.append(skipped_kind(where, "ghép cặp (matching)", "matching", name))
        return
    else:
        check, _, feedback = body.partition("#")
        check = check.strip()
        if check in ("T", "TRUE", "F", "FALSE"):
            truth = check in ("T", "TRUE")
            options = [(TRUE_TEXT, "plain", truth), (FALSE_TEXT, "plain", not truth)]
            if feedback.strip("# \n"):
                notes.append(feedback_dropped(where, 1 + feedback.strip("# \n").count("#")))
        else:
            result.skipped.append(
                skipped_kind(where, "trả lời ngắn (short answer)", "short answer", name)
            )
            return

    if stem_format in ("html",):
        text_format = TEXT_HTML
    elif stem_format in ("plain", "markdown"):
        text_format = TEXT_PLAIN
    else:
        pieces = [stem, explanation or ""] + [answer for answer, _, _ in options]
        text_format = (
            TEXT_HTML if any(looks_like_html(_unescape(p)) for p in pieces) else TEXT_PLAIN
        )

    found: dict[str, tuple[PictureDraft, ...]] = {}

    def clean(value: str, field: str, fmt: str | None = None) -> str:
        value = _unescape(value)
        if text_format == TEXT_PLAIN:
            return normalize_text(value)
        if fmt == "plain":
            return plain_to_html(normalize_text(value))
        if field == "explanation":
            value, dropped = take_images(value)
            if dropped:
                notes.append(
                    make_issue(
                        where,
                        field,
                        f"bỏ {len(dropped)} hình trong phần giải thích: phần giải thích chỉ giữ chữ",
                        f"{len(dropped)} picture(s) in the explanation are not kept: an explanation keeps text only",
                    )
                )
        else:
            value, found[field] = reader.from_html(value, where, field)
        removed = html_removed(value, where, field)
        if removed:
            notes.append(removed)
        return sanitize_html(value)

    stem_text = clean(stem, "stem")
    cleaned = [
        (clean(answer, f"option_{letter(i)}", fmt), correct)
        for i, (answer, fmt, correct) in enumerate(options)
    ]
    option_pictures = [found.get(f"option_{letter(i)}", ()) for i in range(len(cleaned))]
    problems = check_question(
        stem_text,
        cleaned,
        where,
        stem_pictured=bool(found.get("stem")),
        option_pictures=[picture_names(p) for p in option_pictures],
    )
    difficulty = read_difficulty(meta.get("difficulty"), where, problems)
    if problems:
        result.errors.extend(problems)
        return
    result.warnings.extend(notes)
    result.questions.append(
        QuestionDraft(
            stem=stem_text,
            options=tuple(
                OptionDraft(t, c, pics)
                for (t, c), pics in zip(cleaned, option_pictures, strict=True)
            ),
            pictures=found.get("stem", ()),
            location=where,
            text_format=text_format,
            topic=topic,
            difficulty=difficulty,
            explanation=clean(explanation, "explanation") or None
            if explanation is not None
            else None,
            source=meta.get("source") or None,
            number=name,
        )
    )
