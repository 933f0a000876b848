import io

import docx
from docx.shared import RGBColor

from contest.importers import parse_file

VNEID = "Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng"
MARKS = "ặ ẵ ẳ ỗ ữ ự Ử Ễ Đ"


def document_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def question_document(mark: str) -> bytes:
    """Two questions whose right options (B, then A) are singled out by ``mark``."""
    document = docx.Document()
    document.add_paragraph("ĐỀ THI TÌM HIỂU CHUYỂN ĐỔI SỐ")
    for number, right in ((1, 1), (2, 0)):
        document.add_paragraph(f"Câu {number}: {VNEID}?" if number == 1 else f"{number}. {MARKS}")
        for i, text in enumerate(["Đúng", "Sai", "Không rõ"]):
            paragraph = document.add_paragraph()
            label = f"{'ABC'[i]}. " if number == 1 else f"{'abc'[i]}) "
            if mark == "star" and i == right:
                label = "*" + label
            run = paragraph.add_run(label + text)
            if i == right:
                if mark == "bold":
                    run.bold = True
                elif mark == "underline":
                    run.underline = True
                elif mark == "colour":
                    run.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)
        if mark == "line":
            document.add_paragraph(f"Đáp án: {'ABC'[right]}")
    return document_bytes(document)


def test_right_answer_marked_in_each_accepted_way():
    for mark in ("bold", "underline", "colour", "star", "line"):
        result = parse_file(question_document(mark), "bank.docx")
        assert result.errors == [], mark
        assert [[o.correct for o in q.options] for q in result.questions] == [
            [False, True, False],
            [True, False, False],
        ], mark
        assert result.questions[0].stem == VNEID + "?"
        assert result.questions[1].stem == MARKS
        assert [o.text for o in result.questions[0].options] == ["Đúng", "Sai", "Không rõ"]


def test_metadata_lines_topic_sections_and_options_on_one_line():
    document = docx.Document()
    document.add_paragraph("Chủ đề: Chính quyền số")
    document.add_paragraph("Câu 1. Thủ đô của Việt Nam?")
    document.add_paragraph("A. Hà Nội\tB. Huế\tC. Đà Nẵng\tD. Sài Gòn")
    document.add_paragraph("Đáp án: A")
    document.add_paragraph("Mức độ: Thông hiểu")
    document.add_paragraph("Giải thích: Hà Nội là thủ đô.")
    document.add_paragraph("Nguồn: Hiến pháp 2013")
    document.add_paragraph("Chủ đề: Kinh tế số")
    document.add_paragraph("Câu 2: Câu nhiều")
    document.add_paragraph("dòng?")
    document.add_paragraph("A) một")
    document.add_paragraph("B) hai")
    document.add_paragraph("Đáp án đúng: A, B")
    result = parse_file(document_bytes(document), "bank.docx")
    assert result.errors == []
    first, second = result.questions
    assert [o.text for o in first.options] == ["Hà Nội", "Huế", "Đà Nẵng", "Sài Gòn"]
    assert (first.topic, first.difficulty, first.explanation, first.source) == (
        "Chính quyền số",
        "medium",
        "Hà Nội là thủ đô.",
        "Hiến pháp 2013",
    )
    assert first.location.line == 2
    assert (second.topic, second.stem, second.multiple_answers) == (
        "Kinh tế số",
        "Câu nhiều dòng?",
        True,
    )


def test_problems_of_every_question_are_reported():
    document = docx.Document()
    document.add_paragraph("Câu 1: Không có đáp án?")
    document.add_paragraph("A. x")
    document.add_paragraph("B. y")
    document.add_paragraph("Câu 2: Một phương án?")
    document.add_paragraph("A. x")
    document.add_paragraph("Đáp án: A")
    document.add_paragraph("Câu 3: Thiếu C?")
    document.add_paragraph("A. x")
    document.add_paragraph("B. y")
    document.add_paragraph("D. z")
    document.add_paragraph("Đáp án: E")
    document.add_paragraph("Mức độ: khó lắm")
    result = parse_file(document_bytes(document), "bank.docx")
    assert result.questions == []
    assert {(e.location.line, e.field) for e in result.errors} == {
        (1, "correct"),
        (4, "options"),
        (7, "options"),
        (7, "correct"),
        (7, "difficulty"),
    }


def test_tables_laid_out_like_the_excel_form():
    document = docx.Document()
    document.add_paragraph("Ngân hàng câu hỏi")
    table = document.add_table(rows=3, cols=5)
    for row, values in enumerate(
        [
            ["STT", "Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng"],
            ["1", VNEID, "Đúng", "Sai", "A"],
            ["2", MARKS, "x", "y", "C"],
        ]
    ):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    result = parse_file(document_bytes(document), "bank.docx")
    assert [q.stem for q in result.questions] == [VNEID]
    (error,) = result.errors
    assert (error.location.sheet, error.location.row, error.field) == ("Bảng 1", 3, "correct")


def test_a_document_without_questions_says_how_to_write_them():
    document = docx.Document()
    document.add_paragraph("Chỉ có tiêu đề")
    result = parse_file(document_bytes(document), "bank.docx")
    assert result.questions == [] and "Câu 1:" in result.errors[0].message_vi


def test_bold_letters_everywhere_and_the_right_text_bold():
    document = docx.Document()
    document.add_paragraph("Câu 1: Hỏi?")
    for i, text in enumerate(["x", "y", "z"]):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{'ABC'[i]}. ").bold = True
        paragraph.add_run(text).bold = i == 2
    (q,) = parse_file(document_bytes(document), "bank.docx").questions
    assert [o.correct for o in q.options] == [False, False, True]
