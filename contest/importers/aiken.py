"""Moodle Aiken question banks: a stem line, "A)" or "A." options, then "ANSWER: B"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contest.importers.base import (
    FileRefused,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    check_question,
    make_issue,
    too_many_questions,
)
from contest.importers.safety import decode_text
from contest.text import normalize_text

_OPTION = re.compile(r"([A-Z])[.)]\s*(.*)")
_ANSWER = re.compile(r"ANSWER\s*:\s*(.*)", re.IGNORECASE)


@dataclass
class _Pending:
    line: int
    stem: list[str]
    options: list[tuple[str, str]] = field(default_factory=list)


def looks_like_aiken(text: str) -> bool:
    answers = len(re.findall(r"(?m)^\s*ANSWER\s*:", text))
    braces = len(re.findall(r"(?<!\\)\}", text))
    return answers > 0 and answers >= braces


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    """Aiken text is plain text (Moodle escapes it too), so "<", ">" and "&" stay as typed."""
    result = ParseResult()
    try:
        text = decode_text(data, kind="Aiken").lstrip("\ufeff")
        pending: _Pending | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = normalize_text(raw)
            if not line:
                continue
            where = Location(filename, line=number)
            option = _OPTION.fullmatch(line)
            answer = _ANSWER.fullmatch(line)
            if answer:
                if pending is None:
                    result.errors.append(
                        make_issue(
                            where,
                            "correct",
                            "dòng 'ANSWER:' không thuộc câu hỏi nào (câu hỏi chưa bắt đầu)",
                            "an 'ANSWER:' line belongs to no question (question not started)",
                        )
                    )
                    continue
                _finish(pending, answer.group(1), filename, result)
                if len(result.questions) > limits.max_questions:
                    raise too_many_questions(limits)
                pending = None
            elif option:
                if pending is None:
                    result.errors.append(
                        make_issue(
                            where,
                            "options",
                            "phương án đứng trước khi có câu hỏi (câu hỏi chưa bắt đầu)",
                            "an option comes before any question (question not started)",
                        )
                    )
                    continue
                pending.options.append((option.group(1), normalize_text(option.group(2))))
            else:
                if pending is not None and pending.options:
                    result.errors.append(
                        make_issue(
                            Location(filename, line=pending.line),
                            "correct",
                            "câu hỏi chưa có dòng 'ANSWER:' trước khi câu sau bắt đầu",
                            "the question is not completed with an 'ANSWER:' line before the next question starts",
                        )
                    )
                    pending = None
                if pending is None:
                    pending = _Pending(number, [line])
                else:
                    pending.stem.append(line)
        if pending is not None:
            result.errors.append(
                make_issue(
                    Location(filename, line=pending.line),
                    "correct",
                    "câu hỏi cuối tệp chưa có dòng 'ANSWER:'",
                    "the last question has no 'ANSWER:' line",
                )
            )
    except FileRefused as refused:
        return refused.result(filename)
    return result


def _finish(pending: _Pending, answer: str, filename: str, result: ParseResult) -> None:
    where = Location(filename, line=pending.line)
    letters = [ltr for ltr, _ in pending.options]
    wanted = [ch for ch in re.findall(r"[A-Za-z]", answer.upper())]
    problems = []
    if letters != [chr(ord("A") + i) for i in range(len(letters))]:
        problems.append(
            make_issue(
                where,
                "options",
                f"các phương án {', '.join(letters)} không liền nhau theo thứ tự A, B, C…",
                f"the options {', '.join(letters)} are not consecutive A, B, C…",
            )
        )
    for ch in wanted:
        if ch not in letters and len(letters) >= 2:
            problems.append(
                make_issue(
                    where,
                    "correct",
                    f"'{ch}' không phải là một phương án có trong câu hỏi",
                    f"'{ch}' is not one of the question's options",
                )
            )
    options = [(text, ltr in wanted) for ltr, text in pending.options]
    stem = normalize_text(" ".join(pending.stem))
    base = check_question(stem, options, where)
    if problems:
        base = [p for p in base if p.field != "correct"]
    problems.extend(base)
    if problems:
        result.errors.extend(problems)
        return
    result.questions.append(
        QuestionDraft(
            stem=stem, options=tuple(OptionDraft(t, c) for t, c in options), location=where
        )
    )
