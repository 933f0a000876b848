"""Question-bank importers: every supported file format in, question drafts and bilingual problems out.

``parse_file(data, filename)`` returns a ``ParseResult``: ``questions`` (``QuestionDraft``),
``errors`` and ``skipped`` (``ImportIssue``, each with file, sheet, row or line, field and a
message in Vietnamese and English). Text is NFC with whitespace collapsed. Excel, CSV, Word
and Aiken text is plain (``text_format == "plain"``: the page escapes it); GIFT and Moodle
XML text that holds HTML is sanitised to b, strong, i, em, u, sub, sup, br, p, code, pre
without attributes (``text_format == "html"``). Difficulty is "easy", "medium", "hard" or
None. ``fingerprint``, ``find_duplicates`` and ``near_duplicates`` serve the preview.
"""

from __future__ import annotations

import logging
import os

from contest import formulas
from contest.importers import aiken, csvfile, docx, gift, moodle_xml, xlsx
from contest.importers.base import (
    FileRefused,
    ImportIssue,
    ImportLimits,
    Location,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    make_issue,
)
from contest.importers.duplicates import (
    Duplicate,
    NearDuplicate,
    find_duplicates,
    fingerprint,
    near_duplicates,
)
from contest.importers.safety import check_size

__all__ = [
    "Duplicate",
    "ImportIssue",
    "ImportLimits",
    "Location",
    "NearDuplicate",
    "OptionDraft",
    "ParseResult",
    "QuestionDraft",
    "check_formulas",
    "SUPPORTED_EXTENSIONS",
    "find_duplicates",
    "fingerprint",
    "near_duplicates",
    "parse_file",
]

log = logging.getLogger(__name__)

_PARSERS = {
    ".xlsx": xlsx.parse,
    ".xlsm": xlsx.parse,
    ".docx": docx.parse,
    ".csv": csvfile.parse,
    ".gift": gift.parse,
    ".aiken": aiken.parse,
    ".xml": moodle_xml.parse,
}
SUPPORTED_EXTENSIONS = (*_PARSERS, ".txt")


def _pick(data: bytes, extension: str):
    if extension in _PARSERS:
        return _PARSERS[extension]
    if extension == ".txt":
        head = data[:65536].decode("utf-8", errors="ignore")
        return aiken.parse if aiken.looks_like_aiken(head) else gift.parse
    return None


def parse_file(data: bytes, filename: str, limits: ImportLimits = ImportLimits()) -> ParseResult:
    """Read a question bank file; the format comes from the extension (.txt is sniffed: GIFT or Aiken).

    Never raises for a bad file: every problem is an error in the result, all of a file's
    problems at once. Questions of kinds the contest cannot run are in ``skipped``.
    """
    extension = os.path.splitext(filename)[1].lower()
    parser = _pick(data, extension)
    if extension in (".xls", ".doc"):
        modern = extension + "x"
        return FileRefused(
            "file",
            f"Tệp {extension} là định dạng cũ; hãy mở bằng Excel/Word và lưu lại thành {modern} rồi nhập lại",
            f"{extension} is an old format; open it in Excel/Word, save it as {modern} and import it again",
        ).result(filename)
    if parser is None:
        return FileRefused(
            "file",
            f"Không hỗ trợ định dạng tệp '{extension or filename}'; hãy dùng .xlsx, .docx, .csv, .txt/.gift (GIFT), "
            ".txt/.aiken (Aiken) hoặc .xml (Moodle XML)",
            f"The file format '{extension or filename}' is not supported; use .xlsx, .docx, .csv, .txt/.gift (GIFT), "
            ".txt/.aiken (Aiken) or .xml (Moodle XML)",
        ).result(filename)
    try:
        check_size(data, limits)
        return check_formulas(parser(data, filename, limits))
    except FileRefused as refused:
        return refused.result(filename)
    except Exception:  # a file must never take the import page down; the bug is logged
        log.exception("unexpected failure reading %s", filename)
        return FileRefused(
            "file",
            "Không đọc được tệp do lỗi không mong đợi; hãy kiểm tra tệp hoặc báo cho quản trị viên",
            "The file could not be read because of an unexpected error; check the file or tell the administrator",
        ).result(filename)


def _formula_issues(draft: QuestionDraft) -> list[ImportIssue]:
    texts = [("stem", draft.stem)]
    texts += [(f"option_{chr(ord('A') + i)}", o.text) for i, o in enumerate(draft.options)]
    texts.append(("explanation", draft.explanation or ""))
    issues = []
    for field, text in texts:
        for problem in formulas.problems(text, draft.text_format):
            shown = problem.latex if len(problem.latex) <= 60 else problem.latex[:57] + "…"
            issues.append(
                make_issue(
                    draft.location,
                    field,
                    f"công thức '{shown}': {problem.message_vi}",
                    f"formula '{shown}': {problem.message_en}",
                )
            )
    return issues


def check_formulas(result: ParseResult) -> ParseResult:
    """Every formula ($…$, $$…$$, \\(…\\), \\[…\\]) of every question can be shown, or its
    question becomes errors naming the field and the formula.

    One check for every format, after the format's own parser: a formula is text in any
    of them. Only text with a "$" or a backslash can hold one, so most banks pay nothing.
    """
    kept = []
    added = False
    for draft in result.questions:
        pieces = [draft.stem, draft.explanation or "", *(o.text for o in draft.options)]
        if not any("$" in p or "\\" in p for p in pieces):
            kept.append(draft)
            continue
        issues = _formula_issues(draft)
        if issues:
            result.errors.extend(issues)
            added = True
        else:
            kept.append(draft)
    result.questions = kept
    if added:
        result.errors.sort(key=_place)
    return result


def _place(issue: ImportIssue) -> tuple[str, int]:
    at = issue.location.row if issue.location.row is not None else issue.location.line
    return (issue.location.sheet or "", at if at is not None else 0)
