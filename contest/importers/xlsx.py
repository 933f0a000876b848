"""Excel (.xlsx) question banks: one row a question, one sheet a topic when there is no topic column."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Sequence

import defusedxml
from defusedxml.ElementTree import iterparse
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601

from contest.importers.base import FileRefused, ImportLimits, Location, ParseResult, make_issue
from contest.importers.office_pictures import sheet_pictures
from contest.importers.pictures import PictureReader
from contest.importers.safety import dtd_refused, open_office_zip
from contest.importers.tabular import read_table

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_REF = re.compile(r"([A-Z]+)([0-9]+)")
# Transitional and strict OOXML name the same elements in two namespaces.
_ROW_TAGS = frozenset(
    {
        "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row",
        "{http://purl.oclc.org/ooxml/spreadsheetml/main}row",
    }
)


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    try:
        raw = archive.read(part.lstrip("/"))
    except KeyError:
        return []
    return [range_boundaries(ref.decode("ascii")) for ref in _MERGE.findall(raw)]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _inline_text(cell: ET.Element) -> str:
    parts = []
    for node in cell:
        if _local(node.tag) != "is":
            continue
        for piece in node:
            name = _local(piece.tag)
            if name == "t":
                parts.append(piece.text or "")
            elif name == "r":  # rich-text runs; phonetic runs (rPh) are left out
                for t in piece:
                    if _local(t.tag) == "t":
                        parts.append(t.text or "")
    return "".join(parts)


def _sheet_rows(
    archive: zipfile.ZipFile, part: str, shared: Sequence[object], date_styles: set[int], epoch
) -> Iterator[tuple[int, list[object]]]:
    """(row number, cell values) of a worksheet part.

    openpyxl's own read-only cell reader took 2–4 s for 10,000 questions here; this reader
    takes about one. ``open_office_zip`` has already refused any part with a DTD, and the
    parser refuses one too (defusedxml: about 0.15 s more CPU for 10,000 questions than the
    bare C parser), so no entity is ever expanded even if that check were fooled.
    """
    try:
        yield from _parsed_rows(archive, part, shared, date_styles, epoch)
    except defusedxml.DefusedXmlException as exc:
        raise dtd_refused(part) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        raise FileRefused(
            "file",
            f"Tệp Excel (.xlsx) bị hỏng: '{part}' sai cú pháp XML (dòng {line}, cột {column})",
            f"The Excel (.xlsx) file is damaged: '{part}' is malformed XML (line {line}, column {column})",
        ) from exc
    except (LookupError, ValueError, OSError, zlib.error) as exc:  # unknown encoding, bad deflate
        raise FileRefused(
            "file",
            f"Tệp Excel (.xlsx) bị hỏng: không đọc được '{part}'",
            f"The Excel (.xlsx) file is damaged: '{part}' cannot be read",
        ) from exc


def _parsed_rows(
    archive: zipfile.ZipFile, part: str, shared: Sequence[object], date_styles: set[int], epoch
) -> Iterator[tuple[int, list[object]]]:
    previous = 0
    cell_tag = v_tag = ""
    with archive.open(part.lstrip("/")) as source:
        events = iterparse(
            source, events=("end",), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        for _, element in events:
            if element.tag not in _ROW_TAGS:
                continue
            if not cell_tag:
                ns = element.tag[: -len("row")]
                cell_tag, v_tag = ns + "c", ns + "v"
            r = element.get("r")
            number = int(r) if r and r.isdigit() else previous + 1
            previous = number
            values: list[object] = []
            for cell in element:
                if cell.tag != cell_tag:
                    continue
                ref = cell.get("r")
                match = _REF.match(ref) if ref else None
                column = column_index_from_string(match.group(1)) if match else len(values) + 1
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    values[column - 1] = _inline_text(cell)
                    continue
                v = cell.find(v_tag)
                raw = v.text if v is not None else None
                if raw is None:
                    continue
                values[column - 1] = _value(kind, raw, cell.get("s"), shared, date_styles, epoch)
            element.clear()
            yield number, values


def _value(
    kind: str, raw: str, style: str | None, shared: Sequence[object], date_styles: set[int], epoch
) -> object:
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            return None
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return from_ISO8601(raw)
        except ValueError:
            return raw
    try:
        number: float | int = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
    except ValueError:
        return raw
    if style is not None and style.isdigit() and int(style) in date_styles:
        try:
            return from_excel(number, epoch)
        except (ValueError, OverflowError):
            return number
    return number


def _filled(
    rows: Iterator[tuple[int, list[object]]], merges: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[object]]]:
    """Rows with the value of a merged range copied into every cell it covers."""
    anchors: dict[tuple[int, int, int, int], object] = {}
    for number, values in rows:
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


def _open_workbook(data: bytes):
    """Workbook structure, shared strings and date styles, read by openpyxl."""
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    sheets = [
        (sheet.name, rel.target)
        for sheet, rel in reader.parser.find_sheets()
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type
    ]
    return reader, sheets


def parse(data: bytes, filename: str, limits: ImportLimits) -> ParseResult:
    result = ParseResult()
    try:
        archive = open_office_zip(data, limits, "Excel (.xlsx)")
        try:
            reader, sheets = _open_workbook(data)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or non-xlsx file
            raise FileRefused(
                "file",
                "Không mở được tệp Excel (.xlsx): tệp hỏng hoặc không phải định dạng .xlsx (tệp .xls cũ cần lưu lại thành .xlsx)",
                "The Excel (.xlsx) file cannot be opened: it is damaged or not .xlsx (save an old .xls file as .xlsx)",
            ) from exc
        shared = reader.shared_strings
        date_styles = set(reader.wb._date_formats)
        epoch = reader.wb.epoch
        several = len(sheets) > 1
        found_any = False
        reader = PictureReader(result)
        for title, part in sheets:
            rows = _sheet_rows(archive, part, shared, date_styles, epoch)
            pictures, floating = sheet_pictures(archive, part)
            if floating:
                result.warnings.append(
                    make_issue(
                        Location(filename, title if several else None),
                        None,
                        f"{floating} hình không gắn vào ô nào nên không biết thuộc câu hỏi nào: không được nhập (hãy đặt hình 'di chuyển theo ô')",
                        f"{floating} picture(s) are not anchored to a cell, so they belong to no question: not imported (set them to 'move with cells')",
                    )
                )
            found_any |= read_table(
                _filled(rows, _merged_ranges(archive, part)),
                file=filename,
                sheet=title if several else None,
                default_topic=title if several else None,
                limits=limits,
                result=result,
                # In a workbook of several sheets, a sheet of instructions has no header.
                required_header=not several,
                pictures=pictures,
                reader=reader,
            )
        if any(name.startswith("xl/richData/") for name in archive.namelist()):
            result.warnings.append(
                make_issue(
                    Location(filename),
                    None,
                    "tệp có hình 'đặt trong ô' (Excel 365) nên không đọc được; hãy chọn hình, 'Đặt trên các ô' (Place over Cells) rồi nhập lại",
                    "the file has pictures placed in cells (Excel 365), which cannot be read; select them, choose 'Place over Cells' and import again",
                )
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
    except FileRefused as refused:
        return refused.result(filename)
    return result
