"""Moodle GIFT question banks: multiple choice, multiple response and true/false; other kinds are skipped."""

from __future__ import annotations

import re

from contest.drafts import category_topic
from contest.importers.base import (
    TEXT_HTML,
    TEXT_PLAIN,
    FileRefused,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    check_question,
    make_issue,
    read_difficulty,
    skipped_kind,
    too_many_questions,
)
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
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
_COMMENT_LABELS = {
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


def _blocks(text: str) -> list[tuple[int, list[str], list[tuple[int, str]]]]:
    """Questions are separated by blank lines; comments are kept apart for metadata."""
    blocks = []
    comments: list[str] = []
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if lines or comments:
                blocks.append((lines[0][0] if lines else number, comments, lines))
            comments, lines = [], []
        elif line.lstrip().startswith("//"):
            comments.append(line.lstrip()[2:])
        else:
            lines.append((number, line))
    if lines or comments:
        blocks.append((lines[0][0] if lines else 0, comments, lines))
    return blocks


def _answers(body: str) -> list[tuple[float, str, str | None]]:
    """(weight, text, per-answer format) of each "=" or "~" answer, feedback removed."""
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
        text = piece.split("#", 1)[0]
        fmt, text = _split_format(text.strip())
        answers.append((weight, text.strip(), fmt))
    return answers


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        text = decode_text(data, kind="GIFT").lstrip("\ufeff")
        topic: str | None = None
        for first_line, comments, lines in _blocks(text):
            meta: dict[str, str] = {}
            for comment in comments:
                head, colon, value = comment.partition(":")
                name = _COMMENT_LABELS.get(fold(head)) if colon else None
                if name:
                    meta[name] = normalize_text(value)
            if not lines:
                continue
            where = Location(filename, line=first_line)
            raw = "\n".join(line for _, line in lines).strip()
            if raw.startswith("$CATEGORY:"):
                topic = category_topic((raw[len("$CATEGORY:") :].splitlines() or [""])[0])
                continue
            if len(result.questions) + len(result.skipped) >= limits.max_questions:
                raise too_many_questions(limits)
            _question(raw, where, meta.get("topic") or topic, meta, result)
    except FileRefused as refused:
        return refused.result(filename)
    return result


def _question(
    raw: str, where: Location, topic: str | None, meta: dict[str, str], result: ParseResult
) -> None:
    text = _escape_placeholders(raw)
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
    # Text after the answers makes a missing-word question, except a stray '";' that
    # Moodle's own fixtures carry (copied from PHP strings) and Moodle tolerates.
    if after.strip().strip("\"';"):
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
    if "~" in body:
        answers = _answers(body)
        # Partial credit does not exist in the contest: a single-answer question keeps
        # only its full-credit options, a multiple-response one every positive weight.
        single = "=" in body
        best = max((weight for weight, _, _ in answers), default=0.0)
        options = [
            (answer, fmt, weight > 0 and (weight >= best if single else True))
            for weight, answer, fmt in answers
        ]
    elif "=" in body and "->" in body:
        result.skipped.append(skipped_kind(where, "ghép cặp (matching)", "matching", name))
        return
    else:
        check = body.split("#", 1)[0].strip()
        if check in ("T", "TRUE", "F", "FALSE"):
            truth = check in ("T", "TRUE")
            options = [(TRUE_TEXT, "plain", truth), (FALSE_TEXT, "plain", not truth)]
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

    def clean(value: str, fmt: str | None = None) -> str:
        value = _unescape(value)
        if text_format == TEXT_PLAIN:
            return normalize_text(value)
        if fmt == "plain":
            return plain_to_html(normalize_text(value))
        return sanitize_html(value)

    stem_text = clean(stem)
    cleaned = [(clean(answer, fmt), correct) for answer, fmt, correct in options]
    problems = check_question(stem_text, cleaned, where)
    difficulty = read_difficulty(meta.get("difficulty"), where, problems)
    if problems:
        result.errors.extend(problems)
        return
    result.questions.append(
        QuestionDraft(
            stem=stem_text,
            options=tuple(OptionDraft(t, c) for t, c in cleaned),
            location=where,
            text_format=text_format,
            topic=topic,
            difficulty=difficulty,
            explanation=clean(explanation) or None if explanation is not None else None,
            source=meta.get("source") or None,
            number=name,
        )
    )
