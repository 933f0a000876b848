"""CSV question banks (UTF-8 with or without BOM, or UTF-16 with BOM; comma, semicolon or tab)."""

from __future__ import annotations

import csv
import io

from contest.importers.base import FileRefused, ImportLimits, ParseResult
from contest.importers.safety import decode_text
from contest.importers.tabular import read_table


def _delimiter(text: str) -> tuple[str, str]:
    """The delimiter, and the text without Excel's "sep=;" hint line."""
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        return first.strip()[4], rest
    # Excel writes ";" where the system list separator is ";" (Vietnamese Windows often is).
    # A title line may come first, so a few lines are looked at.
    sample = [line for line in text.splitlines()[:10] if line.strip()][:5]
    counts = {d: sum(line.count(d) for line in sample) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ",")), text


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        text = decode_text(data, kind="CSV")
        delimiter, text = _delimiter(text.lstrip("\ufeff"))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            # Rows are numbered by record, as Excel numbers them when it opens the file.
            rows = [(number, row) for number, row in enumerate(reader, start=1)]
        except csv.Error as exc:
            raise FileRefused(
                "file",
                f"Tệp CSV sai cấu trúc (dấu ngoặc kép không đóng?): {exc}",
                f"The CSV file is malformed (an unclosed quote?): {exc}",
            ) from exc
        read_table(
            rows, file=filename, sheet=None, default_topic=None, limits=limits, result=result
        )
    except FileRefused as refused:
        return refused.result(filename)
    return result
