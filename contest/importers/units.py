"""Read a unit tree (code, name, parent code, headcount) from CSV or XLSX; no database."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from contest.domain.errors import ContestError
from contest.importers.base import FileRefused, ImportLimits
from contest.importers.safety import open_office_zip
from contest.text import normalize_text


@dataclass(frozen=True)
class UnitDraft:
    code: str
    name: str
    parent_code: str | None
    headcount: int | None
    row: int
    selectable: bool | None = None  # None: the file has no such column; keep what is stored


@dataclass(frozen=True)
class UnitIssue:
    file: str
    row: int | None
    field: str | None
    message_vi: str
    message_en: str

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


def _fold(text: str) -> str:
    """Header key: lower case, no diacritics, no spaces or punctuation."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "d")
    return "".join(ch for ch in text.lower() if ch.isalnum() and not unicodedata.combining(ch))


HEADERS = {
    "code": {"code", "ma", "madonvi", "unitcode"},
    "name": {"name", "ten", "tendonvi", "unitname", "donvi"},
    "parent_code": {
        "parentcode",
        "parent",
        "macaptren",
        "madonvicha",
        "macha",
        "captren",
        "donvicha",
    },
    "headcount": {"headcount", "soluong", "socanbo", "bienche", "songuoi", "quymo", "tongso"},
    "selectable": {
        "selectable",
        "chondangky",
        "chochon",
        "chochonkhidangky",
        "duocchon",
        "dangkyvao",
        "nhanthisinh",
    },
}
# The columns' sizes (models.Unit): longer text is an error here, not a database failure.
MAX_CODE, MAX_NAME = 64, 300
YES = {"yes", "y", "x", "1", "true", "co", "c", "dung"}
NO = {"no", "n", "0", "false", "khong", "k", "sai", ""}

FIELD_LABELS = {
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "parent_code": ("Mã cấp trên", "Parent code"),
    "headcount": ("Số người", "Headcount"),
    "selectable": ("Cho chọn khi đăng ký", "Selectable"),
}


def _unit_cell(value: object) -> str:
    """A workbook number as its digits (a headcount of 1.0 reads "1")."""
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def read_table(
    data: bytes, filename: str, xlsx_cell: Callable[[object], str] = _unit_cell
) -> list[list[str]] | UnitIssue:
    """A CSV or XLSX file's rows as text, or the one problem that makes the file unreadable.

    Shared by the unit and the excluded-list imports; `xlsx_cell` turns a workbook value into
    text (each list reads numbers its own way)."""
    try:
        rows = _rows(data, filename, xlsx_cell)
    except (ContestError, FileRefused) as exc:
        return UnitIssue(filename, None, None, exc.message_vi, exc.message_en)
    except Exception as exc:  # noqa: BLE001 — a corrupt workbook must be an error message, not a crash
        return UnitIssue(
            filename,
            None,
            None,
            f"{filename}: không đọc được tệp ({type(exc).__name__}).",
            f"{filename}: the file cannot be read ({type(exc).__name__}).",
        )
    if not rows:
        return UnitIssue(
            filename, None, None, f"{filename}: tệp trống.", f"{filename}: the file is empty."
        )
    return rows


def find_columns(header: list[str], headers: dict[str, set[str]]) -> dict[str, int]:
    """Each known field's column, by the first header cell that names it."""
    folded = [_fold(h) for h in header]
    columns: dict[str, int] = {}
    for field, names in headers.items():
        for i, h in enumerate(folded):
            if h in names:
                columns[field] = i
                break
    return columns


def _rows(data: bytes, filename: str, xlsx_cell: Callable[[object], str]) -> list[list[str]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        # The question importers' checks: sizes, ratios and no DTD in any part.
        open_office_zip(data, ImportLimits(), "Excel (.xlsx)")

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [[xlsx_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ContestError(
                f"{filename}: tệp không phải UTF-8. Hãy lưu lại dưới dạng 'CSV UTF-8'.",
                f"{filename}: the file is not UTF-8. Save it again as 'CSV UTF-8'.",
            ) from exc
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def parse_units(
    data: bytes, filename: str, known_codes: frozenset[str] = frozenset()
) -> tuple[list[UnitDraft], list[UnitIssue]]:
    """All problems are reported at once; `known_codes` are units already in the contest."""
    issues: list[UnitIssue] = []

    def issue(row: int | None, field: str | None, vi: str, en: str) -> None:
        if field:
            label_vi, label_en = FIELD_LABELS[field]
            vi, en = f"Dòng {row}, cột '{label_vi}': {vi}", f"Row {row}, column '{label_en}': {en}"
        issues.append(UnitIssue(filename, row, field, vi, en))

    rows = read_table(data, filename)
    if isinstance(rows, UnitIssue):
        return [], [rows]
    columns = find_columns(rows[0], HEADERS)
    for required in ("code", "name"):
        if required not in columns:
            label_vi, label_en = FIELD_LABELS[required]
            issue(
                1,
                None,
                f"Thiếu cột '{label_vi}' ở dòng tiêu đề.",
                f"The header row lacks the '{label_en}' column.",
            )
    if issues:
        return [], issues

    def cell(row: list[str], field: str) -> str:
        # NFC, control characters (a NUL cannot be stored in PostgreSQL) made spaces, trimmed.
        i = columns.get(field)
        return normalize_text(row[i]) if i is not None and i < len(row) else ""

    drafts: list[UnitDraft] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any((c or "").strip() for c in row):
            continue
        code, name, parent, head, marked = (
            cell(row, f) for f in ("code", "name", "parent_code", "headcount", "selectable")
        )
        if not code:
            issue(number, "code", "mã đơn vị bị trống.", "the unit code is empty.")
        elif code in seen:
            issue(
                number,
                "code",
                f"mã '{code}' trùng với dòng {seen[code]}.",
                f"code '{code}' repeats row {seen[code]}.",
            )
        else:
            seen[code] = number
        if len(code) > MAX_CODE:
            issue(
                number,
                "code",
                f"mã dài {len(code)} ký tự; tối đa {MAX_CODE}.",
                f"the code is {len(code)} characters long; at most {MAX_CODE}.",
            )
        if not name:
            issue(number, "name", "tên đơn vị bị trống.", "the unit name is empty.")
        elif len(name) > MAX_NAME:
            issue(
                number,
                "name",
                f"tên dài {len(name)} ký tự; tối đa {MAX_NAME}.",
                f"the name is {len(name)} characters long; at most {MAX_NAME}.",
            )
        headcount: int | None = None
        if head:
            cleaned = head.replace(".", "").replace(",", "").replace(" ", "")
            if cleaned.isdigit():
                headcount = int(cleaned)
            else:
                issue(
                    number,
                    "headcount",
                    f"'{head}' không phải là số nguyên không âm.",
                    f"'{head}' is not a whole number of zero or more.",
                )
        selectable: bool | None = None
        if "selectable" in columns:
            if _fold(marked) in YES:
                selectable = True
            elif _fold(marked) in NO:
                selectable = False
            else:
                issue(
                    number,
                    "selectable",
                    f"'{marked}' không phải là có/không.",
                    f"'{marked}' is not yes/no.",
                )
        drafts.append(UnitDraft(code, name, parent or None, headcount, number, selectable))
    codes = set(seen) | set(known_codes)
    for d in drafts:
        if d.parent_code and d.parent_code not in codes:
            issue(
                d.row,
                "parent_code",
                f"mã cấp trên '{d.parent_code}' không có trong tệp hay trong cây đơn vị.",
                f"parent code '{d.parent_code}' is neither in the file nor in the unit tree.",
            )
        if d.parent_code and d.parent_code == d.code:
            issue(
                d.row,
                "parent_code",
                "đơn vị không thể là cấp trên của chính nó.",
                "a unit cannot be its own parent.",
            )
    parent_of = {d.code: d.parent_code for d in drafts}
    for d in drafts:
        walk, steps = d.parent_code, 0
        while walk in parent_of and steps <= len(parent_of):
            if walk == d.code:
                issue(d.row, "parent_code", "cây đơn vị có vòng lặp.", "the unit tree has a cycle.")
                break
            walk, steps = parent_of[walk], steps + 1
    if not drafts and not issues:
        issues.append(
            UnitIssue(
                filename,
                None,
                None,
                f"{filename}: không có đơn vị nào.",
                f"{filename}: no units found.",
            )
        )
    return drafts, issues
