import io

import openpyxl

from contest.exporters import export_xlsx
from contest.exporters.xlsx import sample_bank, write_sample_workbook
from contest.importers import Location, OptionDraft, QuestionDraft, parse_file


def test_vietnamese_headers_frozen_row_and_formula_like_text_kept_as_text():
    bank = [
        QuestionDraft(
            "=SUM(A1:A2)",
            (OptionDraft("+84", True), OptionDraft("2023", False), OptionDraft("@x", False)),
            Location("x"),
            difficulty="medium",
            topic="Chính quyền số",
        )
    ]
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(bank, title="Tuần 1: bank")))
    ws = wb.active
    assert ws.title == "Tuần 1  bank"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:8] == [
        "STT",
        "Câu hỏi",
        "Phương án A",
        "Phương án B",
        "Phương án C",
        "Phương án D",
        "Đáp án đúng",
        "Chủ đề",
    ]
    assert ws["B2"].value == "=SUM(A1:A2)" and ws["B2"].data_type == "s"
    assert ws["D2"].value == "2023" and ws["G2"].value == "A" and ws["I2"].value == "Trung bình"


def test_sample_workbook_reads_back_complete():
    data = write_sample_workbook(200)
    result = parse_file(data, "sample.xlsx")
    assert result.errors == []
    assert [q.stem for q in result.questions] == [q.stem for q in sample_bank(200)]
