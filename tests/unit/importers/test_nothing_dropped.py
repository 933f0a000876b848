"""Every block of a bank file is imported, skipped with a reason, or an error or warning with its place."""

import io

import docx
import openpyxl

from contest.importers import parse_file


def gift(text: str):
    return parse_file(text.encode("utf-8"), "bank.gift")


def test_questions_right_after_a_category_line_are_read_with_its_topic():
    result = gift(
        "$CATEGORY: $course$/top/Chuyển đổi số\n"
        "::C1::Ứng dụng VNeID do ai xây dựng?{=Bộ Công an ~Bộ Y tế}\n"
        "\n"
        "::C2::Cổng Dịch vụ công quốc gia có địa chỉ nào?{=dichvucong.gov.vn ~vneid.gov.vn}\n"
    )
    assert result.errors == []
    assert [q.number for q in result.questions] == ["C1", "C2"]
    assert {q.topic for q in result.questions} == {"Chuyển đổi số"}
    assert [(w.location.line, w.field) for w in result.warnings] == [(1, "topic")]
    assert "'Chuyển đổi số'" in result.warnings[0].message_vi


def test_two_questions_with_no_blank_line_between_them_are_an_error_naming_the_second_line():
    result = gift(
        "// Chủ đề: Dịch vụ công\n::C1::Câu một?{=Đúng ~Sai}\n::C2::Câu hai?{\n  =A\n  ~B\n}\n"
    )
    assert result.questions == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.location.line == 2
    assert "line 3" in error.message_en and "dòng 3" in error.message_vi
    assert "blank line" in error.message_en


def test_two_unnamed_questions_run_together_are_an_error_too():
    result = gift("Câu một?{=Đúng ~Sai}\nCâu hai?{=A ~B}\n\nCâu ba?{=X ~Y}\n")
    assert [q.stem for q in result.questions] == ["Câu ba?"]
    assert [e.location.line for e in result.errors] == [1]
    assert "line 2" in result.errors[0].message_en


def test_text_after_the_answers_on_a_new_line_is_a_missing_word_question_with_a_warning():
    result = gift("Thủ đô của Việt Nam là {=Hà Nội ~Huế}\nthành phố lớn thứ hai.\n")
    assert result.questions[0].stem == "Thủ đô của Việt Nam là _____ thành phố lớn thứ hai."
    assert [w.location.line for w in result.warnings] == [1]
    assert "line 2" in result.warnings[0].message_en


def test_partial_credit_and_option_feedback_are_warnings():
    result = gift("Khó?{~sai#không ~%50%một nửa =đúng#tốt}\n")
    assert [o.correct for o in result.questions[0].options] == [False, False, True]
    fields = sorted(w.field for w in result.warnings)
    assert fields == ["option_B", "options"]
    assert any("50%" in w.message_vi for w in result.warnings)


def test_moodle_conformance_files_every_block_accounted_for(moodle_fixture):
    counts = {}
    for name in (
        "questions.gift.txt",
        "questions_in_category.gift.txt",
        "examples.txt",
        "questions.aiken.txt",
        "aiken_errors.txt",
    ):
        result = parse_file(moodle_fixture(name), name)
        counts[name] = (
            len(result.questions),
            len(result.skipped),
            len(result.errors),
            len(result.warnings),
        )
    # Moodle imports 9 questions from questions.gift.txt; we run 5 and skip 4 with a reason.
    assert counts["questions.gift.txt"][:3] == (5, 4, 0)
    # 1 category (a warning) + 4 questions; two questions lose an <a> and a <span>.
    assert counts["questions_in_category.gift.txt"] == (2, 2, 0, 4)
    # examples.txt holds 43 questions (counted by hand): 23 run, 20 of other kinds skipped.
    assert counts["examples.txt"][:3] == (23, 20, 0)
    assert counts["questions.aiken.txt"] == (2, 0, 0, 0)
    # Moodle's test expects 3 questions from aiken_errors.txt; the 4 malformed ones are errors.
    assert counts["aiken_errors.txt"] == (3, 0, 4, 0)


def test_category_fixture_warns_of_the_html_it_removed(moodle_fixture):
    result = parse_file(
        moodle_fixture("questions_in_category.gift.txt"), "questions_in_category.gift.txt"
    )
    removed = [w for w in result.warnings if "HTML" in w.message_en]
    assert [(w.location.line, w.field) for w in removed] == [(14, "stem"), (27, "stem")]
    assert "<a>" in removed[0].message_en and "<span>" in removed[1].message_vi


def test_moodle_xml_warns_of_removed_html_partial_credit_and_category():
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Giao th\xc3\xb4ng</text></category></question>
  <question type="multichoice">
    <name><text>Bi\xe1\xbb\x83n b\xc3\xa1o</text></name>
    <questiontext format="html"><text><![CDATA[<p>Bi\xe1\xbb\x83n <span style="color:red">n\xc3\xa0y</span> l\xc3\xa0 g\xc3\xac?</p>]]></text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>C\xe1\xba\xa5m</text></answer>
    <answer fraction="50"><text>Nguy hi\xe1\xbb\x83m</text></answer>
    <answer fraction="0"><text>Ch\xe1\xbb\x89 d\xe1\xba\xabn</text></answer>
  </question>
  <question type="essay"><name><text>Lu\xe1\xba\xadn</text></name><questiontext><text>Vi\xe1\xba\xbft</text></questiontext></question>
</quiz>
"""
    result = parse_file(xml, "bank.xml")
    assert result.errors == [] and len(result.questions) == 1 and len(result.skipped) == 1
    assert result.questions[0].topic == "Giao thông"
    assert sorted((w.location.line, w.field) for w in result.warnings) == [
        (3, "topic"),
        (4, "option_B"),
        (4, "stem"),
    ]


def test_xlsx_columns_it_does_not_read_and_sheets_without_a_header_are_warnings():
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = "Hướng dẫn"
    guide.append(["Điền mỗi câu hỏi vào một dòng"])
    sheet = wb.create_sheet("Câu hỏi")
    sheet.append(["STT", "Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng", "Ghi chú"])
    sheet.append([1, "Câu một?", "x", "y", "A", "kiểm tra lại"])
    out = io.BytesIO()
    wb.save(out)
    result = parse_file(out.getvalue(), "bank.xlsx")
    assert len(result.questions) == 1 and result.errors == []
    places = sorted((w.location.sheet, w.location.row) for w in result.warnings)
    assert places == [("Câu hỏi", 1), ("Hướng dẫn", 1)]
    assert any("'Ghi chú'" in w.message_en for w in result.warnings)


def test_docx_text_before_the_first_question_is_a_warning():
    document = docx.Document()
    document.add_paragraph("ĐỀ THI TÌM HIỂU CHUYỂN ĐỔI SỐ")
    document.add_paragraph("Thí sinh chọn một phương án đúng.")
    document.add_paragraph("Câu 1: Câu một?")
    document.add_paragraph("A. x")
    document.add_paragraph("*B. y")
    out = io.BytesIO()
    document.save(out)
    result = parse_file(out.getvalue(), "bank.docx")
    assert len(result.questions) == 1 and result.errors == []
    assert [w.location.line for w in result.warnings] == [1]
    assert "1–2" in result.warnings[0].message_vi
