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
    ws.append(["STT", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng", "Mức độ"])
    ws.append([1, VNEID, 2023, 0.5, MARKS, "C", 3])
    ws.append([2, "Năm?", 2022, 2023.0, None, 2, None])
    result = parse_file(workbook_bytes(wb), "bank.xlsx")
    assert [e.message_en for e in result.errors] == ["Row 3, column 'Correct': '2' is not one of the question's options"]
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
        ("Chuyển đổi số", "Chuyển đổi số"), ("An toàn thông tin", "An toàn thông tin")
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
        ("Tuần 1", 2, "correct"), ("Tuần 2", 2, "options")
    ]
    assert result.errors[0].message_vi.startswith("Trang 'Tuần 1', Dòng 2, cột 'Đáp án đúng'")


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
