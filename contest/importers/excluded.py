"""Read the list of people who may not enter (CCCD, full name, note) from CSV or XLSX; no database."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from contest.domain.citizen_id import normalise, parse_citizen_id
from contest.domain.errors import ContestError
from contest.importers.units import UnitIssue, _fold, _rows

# The same record as the unit import: file, row, field and the message in both languages.
ExcludedIssue = UnitIssue


@dataclass(frozen=True)
class ExcludedDraft:
    citizen_id: str
    full_name: str
    note: str
    row: int


HEADERS = {
    "citizen_id": {
        "cccd",
        "socccd",
        "citizenid",
        "socancuoc",
        "socancuoccongdan",
        "cancuoccongdan",
        "sodinhdanh",
        "sodinhdanhcanhan",
        "cmnd",
        "idnumber",
    },
    "full_name": {"hovaten", "hoten", "ten", "fullname", "name"},
    "note": {"ghichu", "chucvu", "vaitro", "note", "role", "notes"},
}
FIELD_LABELS = {
    "citizen_id": ("Số CCCD", "Citizen ID"),
    "full_name": ("Họ và tên", "Full name"),
    "note": ("Ghi chú", "Note"),
}
MAX_ROWS = 5000


def _xlsx_rows(data: bytes) -> list[list[str]]:
    """Rows as text; a CCCD typed as a number lost its leading zero, so numbers get it back."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    for row in wb.worksheets[0].iter_rows(values_only=True):
        cells = []
        for v in row:
            if v is None:
                cells.append("")
            elif isinstance(v, int | float) and float(v).is_integer() and 0 <= v < 10**12:
                cells.append(str(int(v)).zfill(12))
            else:
                cells.append(str(v))
        rows.append(cells)
    wb.close()
    return rows


def parse_excluded(data: bytes, filename: str) -> tuple[list[ExcludedDraft], list[ExcludedIssue]]:
    """Every problem is reported at once, by row and column; the list is usable only without any."""
    issues: list[ExcludedIssue] = []

    def issue(row: int | None, field: str | None, vi: str, en: str) -> None:
        if field:
            label_vi, label_en = FIELD_LABELS[field]
            vi, en = f"Dòng {row}, cột '{label_vi}': {vi}", f"Row {row}, column '{label_en}': {en}"
        issues.append(ExcludedIssue(filename, row, field, vi, en))

    try:
        rows = _xlsx_rows(data) if filename.lower().endswith(".xlsx") else _rows(data, filename)
    except ContestError as exc:
        return [], [ExcludedIssue(filename, None, None, exc.message_vi, exc.message_en)]
    except Exception as exc:  # noqa: BLE001 — a corrupt workbook must be an error message, not a crash
        return [], [
            ExcludedIssue(
                filename,
                None,
                None,
                f"{filename}: không đọc được tệp ({type(exc).__name__}).",
                f"{filename}: the file cannot be read ({type(exc).__name__}).",
            )
        ]
    if not rows:
        return [], [
            ExcludedIssue(
                filename, None, None, f"{filename}: tệp trống.", f"{filename}: the file is empty."
            )
        ]
    header = [_fold(h) for h in rows[0]]
    columns: dict[str, int] = {}
    for name, accepted in HEADERS.items():
        for i, h in enumerate(header):
            if h in accepted:
                columns[name] = i
                break
    if "citizen_id" not in columns:
        issue(
            1,
            None,
            "Thiếu cột 'Số CCCD' ở dòng tiêu đề (ví dụ: CCCD, Họ và tên, Ghi chú).",
            "The header row lacks the 'Citizen ID' column (e.g. CCCD, Full name, Note).",
        )
        return [], issues
    if len(rows) - 1 > MAX_ROWS:
        issue(
            None,
            None,
            f"{filename}: tối đa {MAX_ROWS} người mỗi danh sách.",
            f"{filename}: at most {MAX_ROWS} people per list.",
        )
        return [], issues

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        value = row[i] if i is not None and i < len(row) else ""
        return unicodedata.normalize("NFC", value or "").strip()

    drafts: list[ExcludedDraft] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any((c or "").strip() for c in row):
            continue
        raw = cell(row, "citizen_id")
        if not raw:
            issue(number, "citizen_id", "số CCCD bị trống.", "the citizen ID is empty.")
            continue
        digits = normalise(raw)
        try:
            parse_citizen_id(digits)
        except ContestError as exc:
            hint_vi = hint_en = ""
            if digits.isdigit() and len(digits) < 12:
                hint_vi = " Có thể số 0 ở đầu đã bị mất: hãy định dạng cột là văn bản."
                hint_en = " A leading zero may have been lost: format the column as text."
            issue(
                number,
                "citizen_id",
                f"'{raw}': {exc.message_vi}{hint_vi}",
                f"'{raw}': {exc.message_en}{hint_en}",
            )
            continue
        if digits in seen:
            issue(
                number,
                "citizen_id",
                f"số CCCD {digits} trùng với dòng {seen[digits]}.",
                f"citizen ID {digits} repeats row {seen[digits]}.",
            )
            continue
        seen[digits] = number
        drafts.append(
            ExcludedDraft(digits, cell(row, "full_name")[:200], cell(row, "note")[:500], number)
        )
    if not drafts and not issues:
        issues.append(
            ExcludedIssue(
                filename,
                None,
                None,
                f"{filename}: không có dòng nào có số CCCD.",
                f"{filename}: no row holds a citizen ID.",
            )
        )
    return drafts, issues
