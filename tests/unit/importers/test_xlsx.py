import io

import openpyxl

from contest.importers import parse_file

VNEID = "Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng"
MARKS = "ặ ẵ ẳ ỗ ữ ự Ử Ễ Đ"


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_vietnamese_text_and_numbers_stored_as_numbers():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["STT", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng", "Mức độ"]
    )
    ws.append([1, VNEID, 2023, 0.5, MARKS, "C", 3])
    ws.append([2, "Năm?", 2022, 2023.0, None, 2, None])
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert [e.message_en for e in result.errors] == [
        "Row 3, column 'Correct': '2' is not one of the question's options"
    ]
    q = result.questions[0]
    assert q.stem == VNEID
    assert [o.text for o in q.options] == ["2023", "0.5", MARKS]
    assert q.options[2].correct and q.difficulty == "hard" and q.number == "1"


def test_trailing_empty_rows_and_merged_topic_cells():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Chủ đề", "Câu hỏi", "A", "B", "Đáp án đúng"])
    ws.append([1, "Chính quyền số", "Câu một?", "x", "y", "A"])
    ws.append([2, None, "Câu hai?", "x", "y", "B"])
    ws.append([3, "Kinh tế số", "Câu ba?", "x", "y", "B"])
    ws.merge_cells("B2:B3")
    for row in range(5, 40):
        ws.cell(row=row, column=1).value = None
    ws.cell(row=60, column=3).value = ""
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert result.errors == []
    assert [q.topic for q in result.questions] == ["Chính quyền số", "Chính quyền số", "Kinh tế số"]


def test_merged_option_header_over_a_row_of_letters():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Câu hỏi", "Phương án", None, None, "Đáp án đúng"])
    ws.append([None, None, "A", "B", "C", None])
    ws.append([1, "Hỏi?", "x", "y", "z", "C"])
    ws.merge_cells("C1:E1")
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert result.errors == []
    assert [o.text for o in result.questions[0].options] == ["x", "y", "z"]
    assert result.questions[0].location.row == 3


def test_each_sheet_is_a_topic_when_there_is_no_topic_column():
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active.append(["Điền câu hỏi vào các trang sau"])
    for title in ("Chuyển đổi số", "An toàn thông tin"):
        ws = wb.create_sheet(title)
        ws.append(["cau hoi", "a", "b", "DAP AN DUNG"])
        ws.append([f"Về {title}?", "x", "y", "a"])
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert result.errors == []
    assert [(q.topic, q.location.sheet) for q in result.questions] == [
        ("Chuyển đổi số", "Chuyển đổi số"),
        ("An toàn thông tin", "An toàn thông tin"),
    ]


def test_errors_name_the_sheet_and_row():
    wb = openpyxl.Workbook()
    wb.active.title = "Tuần 1"
    wb.active.append(["Câu hỏi", "A", "B", "Đáp án đúng"])
    wb.active.append(["Hỏi?", "x", "y", "E"])
    ws = wb.create_sheet("Tuần 2")
    ws.append(["Câu hỏi", "A", "B", "Đáp án đúng"])
    ws.append(["Hỏi?", "x", None, "A"])
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert [(e.location.sheet, e.location.row, e.field) for e in result.errors] == [
        ("Tuần 1", 2, "correct"),
        ("Tuần 2", 2, "options"),
    ]
    assert result.errors[0].message_vi.startswith("Trang 'Tuần 1', dòng 2, cột 'Đáp án đúng'")
    assert result.errors[0].message_en.startswith("Sheet 'Tuần 1', row 2, column 'Correct'")


def test_too_many_questions_is_refused():
    from contest.importers import ImportLimits

    wb = openpyxl.Workbook()
    wb.active.append(["Câu hỏi", "A", "B", "Đáp án đúng"])
    for n in range(5):
        wb.active.append([f"Hỏi {n}?", "x", "y", "A"])
    result = parse_file(workbook_bytes(wb), "bank.xlsx", ImportLimits(max_questions=3))
    assert result.questions == []
    assert "3" in result.errors[0].message_vi


def test_a_file_that_is_not_a_workbook_is_refused():
    result = parse_file(b"not a zip", "bank.xlsx")
    assert result.questions == [] and len(result.errors) == 1


def excel_style_workbook(rows: list[list[str]]) -> bytes:
    """A workbook laid out as Excel writes it: shared strings, a date style, a dimension."""
    import zipfile

    strings: list[str] = []
    cells = []
    for r, row in enumerate(rows, start=1):
        xml_cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, float) and ref == "F2":
                xml_cells.append(f'<c r="{ref}" s="1"><v>{value}</v></c>')
            elif isinstance(value, (int, float)):
                xml_cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                strings.append(value)
                xml_cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
        cells.append(f'<row r="{r}">{"".join(xml_cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Câu hỏi" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
        f'<dimension ref="A1:F{len(rows)}"/><sheetData>{"".join(cells)}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def test_shared_strings_and_date_cells_as_excel_writes_them():
    data = excel_style_workbook(
        [
            ["STT", "Câu hỏi", "A", "B", "Đáp án đúng", "C"],
            [1, VNEID, MARKS, "2", "A", 45108.0],
        ]
    )
    result = parse_file(data, "excel.xlsx")
    assert result.errors == []
    (q,) = result.questions
    assert q.stem == VNEID
    assert [o.text for o in q.options] == [MARKS, "2", "01/07/2023"]
