"""CSV files of open data: UTF-8 with a byte-order mark (Excel then reads Vietnamese letters
right), one licence line first, text in NFC, no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value)
        return "'" + text if text.startswith(_FORMULA_START) else text
    return value


def licence_comment(text: str) -> str:
    """The licence as the first line: starts with '#', holds no comma or quote, so a reader
    that skips one line (or comment lines) is not confused about the columns."""
    clean = unicodedata.normalize("NFC", text).replace(",", ";").replace('"', "'")
    clean = " ".join(clean.split())
    return clean if clean.startswith("#") else "# " + clean


def write_csv(first_line: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """`first_line`: the licence of open data, or what a file of personal data is for."""
    buf = io.StringIO()
    buf.write(BOM + licence_comment(first_line) + "\r\n")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")
