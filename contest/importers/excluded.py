"""Read the list of people who may not enter (CCCD, full name, note) from CSV or XLSX; no database."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from contest.domain.citizen_id import normalise, parse_citizen_id
from contest.domain.errors import ContestError
from contest.importers.units import UnitIssue, find_columns, read_table

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


def _excluded_cell(value: object) -> str:
    """A CCCD typed as a number lost its leading zero: numbers get it back."""
    if value is None:
        return ""
    if isinstance(value, int | float) and float(value).is_integer() and 0 <= value < 10**12:
        return str(int(value)).zfill(12)
    return str(value)


def parse_excluded(data: bytes, filename: str) -> tuple[list[ExcludedDraft], list[ExcludedIssue]]:
    """Every problem is reported at once, by row and column; the list is usable only without any."""
    issues: list[ExcludedIssue] = []

    def issue(row: int | None, field: str | None, vi: str, en: str) -> None:
        if field:
            label_vi, label_en = FIELD_LABELS[field]
            vi, en = f"Dòng {row}, cột '{label_vi}': {vi}", f"Row {row}, column '{label_en}': {en}"
        issues.append(ExcludedIssue(filename, row, field, vi, en))

    rows = read_table(data, filename, _excluded_cell)
    if isinstance(rows, UnitIssue):
        return [], [rows]
    columns = find_columns(rows[0], HEADERS)
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
