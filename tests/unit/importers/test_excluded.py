"""The excluded list: CCCDs from CSV or XLSX, every bad row named with its column."""

import io

from openpyxl import Workbook

from contest.importers.excluded import parse_excluded


def test_csv_rows_become_people_with_names_and_notes():
    data = "CCCD;Họ và tên;Ghi chú\n020085000001;Hoàng Văn Thụ;Ban Tổ chức\n\n001190000002;;\n".encode()
    drafts, issues = parse_excluded(data, "loai-tru.csv")
    assert issues == []
    assert [(d.citizen_id, d.full_name, d.note, d.row) for d in drafts] == [
        ("020085000001", "Hoàng Văn Thụ", "Ban Tổ chức", 2),
        ("001190000002", "", "", 4),
    ]


def test_bad_rows_are_reported_by_row_and_column_in_both_languages():
    data = "Số CCCD,Họ tên\n12345,A\n020085000001,B\n020085000001,C\n999085000001,D\n".encode()
    drafts, issues = parse_excluded(data, "x.csv")
    assert [(i.row, i.field) for i in issues] == [
        (2, "citizen_id"),
        (4, "citizen_id"),
        (5, "citizen_id"),
    ]
    assert issues[0].message_vi.startswith("Dòng 2, cột 'Số CCCD'")
    assert "leading zero" in issues[0].message_en
    assert "trùng với dòng 3" in issues[1].message_vi and "repeats row 3" in issues[1].message_en
    assert "999" in issues[2].message_en


def test_a_number_cell_in_a_workbook_gets_its_leading_zero_back():
    wb = Workbook()
    ws = wb.active
    ws.append(["CCCD", "Họ và tên"])
    ws.append([20085000001, "Lương Văn Tri"])
    buffer = io.BytesIO()
    wb.save(buffer)
    drafts, issues = parse_excluded(buffer.getvalue(), "ds.xlsx")
    assert issues == [] and drafts[0].citizen_id == "020085000001"


def test_a_file_without_the_cccd_column_is_refused():
    drafts, issues = parse_excluded("Họ tên\nA\n".encode(), "x.csv")
    assert drafts == [] and issues[0].row == 1 and "CCCD" in issues[0].message_vi
