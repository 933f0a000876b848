"""Open-data CSV: a BOM for Excel, one licence line, exact Vietnamese, no formula cells."""

from __future__ import annotations

import csv
import io
import unicodedata

from contest.exporters.csv_open import licence_comment, write_csv


def _read(data: bytes) -> tuple[str, list[list[str]]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    first, rest = text[1:].split("\r\n", 1)
    return first, list(csv.reader(io.StringIO(rest)))


def test_the_file_starts_with_a_bom_then_the_licence_then_the_header():
    data = write_csv("Giấy phép: CC BY 4.0", ("ho_ten", "so"), [("Nguyễn Văn A", 3)])
    first, rows = _read(data)
    assert first == "# Giấy phép: CC BY 4.0"
    assert rows == [["ho_ten", "so"], ["Nguyễn Văn A", "3"]]


def test_text_is_written_in_nfc_whatever_it_was_typed_in():
    decomposed = unicodedata.normalize("NFD", "Lương Thị Ưng")
    _, rows = _read(write_csv("x", ("ten",), [(decomposed,)]))
    assert rows[1][0] == "Lương Thị Ưng" and unicodedata.is_normalized("NFC", rows[1][0])


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_as_text():
    _, rows = _read(write_csv("x", ("a", "b", "c", "d"), [("=1+1", "@SUM(A1)", "+84", -5)]))
    assert rows[1] == ["'=1+1", "'@SUM(A1)", "'+84", "-5"]


def test_empty_and_boolean_cells():
    _, rows = _read(write_csv("x", ("a", "b", "c"), [(None, True, False)]))
    assert rows[1] == ["", "true", "false"]


def test_the_licence_line_holds_no_comma_or_quote_so_readers_keep_their_columns():
    line = licence_comment('Nguồn: Ban Tổ chức, "Cuộc thi"')
    assert line == "# Nguồn: Ban Tổ chức; 'Cuộc thi'"
    assert licence_comment("# đã có dấu") == "# đã có dấu"
