"""Excel (.xlsx) question banks: one row a question, one sheet a topic when there is no topic column."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence

import openpyxl
from openpyxl.utils.cell import range_boundaries

from contest.importers.base import FileRefused, ImportLimits, Location, ParseResult, make_issue
from contest.importers.safety import open_office_zip
from contest.importers.tabular import read_table

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    # Read-only worksheets do not expose merged ranges, so they are read from the part itself.
    try:
        raw = archive.read(part.lstrip("/"))
    except KeyError:
        return []
    ranges = []
    for ref in _MERGE.findall(raw):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        ranges.append((min_col, min_row, max_col, max_row))
    return ranges


def _rows(sheet, merges: list[tuple[int, int, int, int]]) -> Iterator[tuple[int, Sequence[object]]]:
    """Rows with the value of a merged range copied into every cell it covers."""
    anchors: dict[tuple[int, int, int, int], object] = {}
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        if merges:
            values = list(values)
            for rng in merges:
                min_col, min_row, max_col, max_row = rng
                if number == min_row and min_col - 1 < len(values):
                    anchors[rng] = values[min_col - 1]
                if min_row <= number <= max_row and rng in anchors:
                    if len(values) < max_col:
                        values.extend([None] * (max_col - len(values)))
                    for col in range(min_col - 1, max_col):
                        if values[col] is None:
                            values[col] = anchors[rng]
        yield number, values


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        archive = open_office_zip(data, limits, "Excel (.xlsx)")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or non-xlsx file
            raise FileRefused(
                "file",
                "Không mở được tệp Excel (.xlsx): tệp hỏng hoặc không phải định dạng .xlsx (tệp .xls cũ cần lưu lại thành .xlsx)",
                "The Excel (.xlsx) file cannot be opened: it is damaged or not .xlsx (save an old .xls file as .xlsx)",
            ) from exc
        try:
            sheets = list(workbook.worksheets)
            several = len(sheets) > 1
            found_any = False
            for sheet in sheets:
                sheet.reset_dimensions()
                merges = _merged_ranges(archive, getattr(sheet, "_worksheet_path", ""))
                found_any |= read_table(
                    _rows(sheet, merges),
                    file=filename,
                    sheet=sheet.title if several else None,
                    default_topic=sheet.title if several else None,
                    limits=limits,
                    result=result,
                    # In a workbook of several sheets, a sheet of instructions has no header.
                    required_header=not several,
                )
            if several and not found_any:
                result.errors.append(
                    make_issue(
                        Location(filename),
                        "stem",
                        "không trang nào có dòng tiêu đề (cần các cột 'Câu hỏi', 'Phương án A', 'Phương án B', …, 'Đáp án đúng')",
                        "no sheet has a header row (the columns 'Question', 'Option A', 'Option B', …, 'Correct' are needed)",
                    )
                )
        finally:
            workbook.close()
    except FileRefused as refused:
        return refused.result(filename)
    return result
