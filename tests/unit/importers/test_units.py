from io import BytesIO

from openpyxl import Workbook

from contest.importers.units import parse_units


def test_csv_with_vietnamese_headers_and_semicolons_is_read():
    data = "\ufeffMã;Tên đơn vị;Mã cấp trên;Số cán bộ\nLS;Tỉnh Lạng Sơn;;\nLS-BG;Huyện Bình Gia;LS;1.250\n".encode()
    drafts, issues = parse_units(data, "don-vi.csv")
    assert issues == []
    assert [(d.code, d.name, d.parent_code, d.headcount) for d in drafts] == [
        ("LS", "Tỉnh Lạng Sơn", None, None),
        ("LS-BG", "Huyện Bình Gia", "LS", 1250),
    ]


def test_xlsx_with_numbers_stored_as_numbers_is_read():
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "parent code", "headcount"])
    ws.append(["SL", "Tỉnh Sơn La", None, None])
    ws.append(["SL-MC", "Huyện Mộc Châu", "SL", 415])
    buf = BytesIO()
    wb.save(buf)
    drafts, issues = parse_units(buf.getvalue(), "units.xlsx")
    assert issues == [] and drafts[1].headcount == 415


def test_all_problems_are_reported_with_row_and_field():
    data = (
        "code,name,parent_code,headcount\n"
        "A,Đơn vị A,,\n"
        "A,Đơn vị trùng,,\n"
        "B,,A,\n"
        "C,Đơn vị C,ZZZ,abc\n"
    ).encode()
    _, issues = parse_units(data, "bad.csv")
    found = {(i.row, i.field) for i in issues}
    assert found == {(3, "code"), (4, "name"), (5, "parent_code"), (5, "headcount")}
    bad_parent = next(i for i in issues if i.field == "parent_code")
    assert "ZZZ" in bad_parent.message_vi and bad_parent.message_vi.startswith("Dòng 5")
    assert bad_parent.message_en.startswith("Row 5")


def test_missing_required_header_is_reported():
    _, issues = parse_units(b"name,headcount\nX,1\n", "u.csv")
    assert len(issues) == 1 and "Mã" in issues[0].message_vi


def test_cycle_in_the_tree_is_refused():
    _, issues = parse_units(b"code,name,parent_code\nA,A,B\nB,B,A\n", "u.csv")
    assert any("cycle" in i.message_en for i in issues)


def test_parent_may_be_an_existing_unit():
    drafts, issues = parse_units(
        b"code,name,parent_code\nLS-X,Xa X,LS\n", "u.csv", frozenset({"LS"})
    )
    assert issues == [] and drafts[0].parent_code == "LS"


def test_non_utf8_file_is_refused_with_a_clear_message():
    _, issues = parse_units("code,name\nA,Sơn La\n".encode("cp1258"), "u.csv")
    assert issues and "UTF-8" in issues[0].message_en


def test_a_selectable_column_marks_inner_units_and_a_bad_value_is_named():
    data = (
        "Mã,Tên,Mã cấp trên,Cho chọn khi đăng ký\n"
        "LS,Tỉnh Lạng Sơn,,\n"
        "LS-TP,Thành phố Lạng Sơn,LS,Có\n"
        "LS-TP-CL,Phường Chi Lăng,LS-TP,không\n"
    ).encode()
    drafts, issues = parse_units(data, "don-vi.csv")
    assert issues == []
    assert [d.selectable for d in drafts] == [False, True, False]
    _, issues = parse_units(data.replace("Có".encode(), b"maybe"), "don-vi.csv")
    assert [(i.row, i.field) for i in issues] == [(3, "selectable")]
    assert "maybe" in issues[0].message_vi and "yes/no" in issues[0].message_en


def test_without_the_column_selectable_is_left_unknown():
    drafts, _ = parse_units("code,name\nA,Đơn vị A\n".encode(), "a.csv")
    assert drafts[0].selectable is None
