import codecs
import unicodedata

from contest.importers import parse_file

VNEID = "Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng"
MARKS = "ặ ẵ ẳ ỗ ữ ự Ử Ễ Đ"


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letters precomposed where it can, tones as combining marks."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return out


def test_semicolon_csv_with_bom_keeps_every_diacritic():
    text = (
        "STT;Câu hỏi;Phương án A;Phương án B;Phương án C;Đáp án đúng;Chủ đề;Mức độ;Giải thích;Nguồn\n"
        f"1;{VNEID}?;Đúng;Sai;{MARKS};A;Chuyển đổi số;Nhận biết;{MARKS};Nghị quyết 06\n"
    )
    result = parse_file(codecs.BOM_UTF8 + text.encode(), "bank.csv")
    assert result.errors == []
    (q,) = result.questions
    assert q.stem == VNEID + "?"
    assert [o.text for o in q.options] == ["Đúng", "Sai", MARKS]
    assert [o.correct for o in q.options] == [True, False, False]
    assert (q.topic, q.difficulty, q.explanation, q.source, q.number) == (
        "Chuyển đổi số",
        "easy",
        MARKS,
        "Nghị quyết 06",
        "1",
    )
    assert q.location.row == 2


def test_decomposed_input_comes_out_nfc():
    text = unicodedata.normalize("NFD", f"Câu hỏi,A,B,Đáp án đúng\n{VNEID},x,y,B\n")
    (q,) = parse_file(text.encode(), "bank.csv").questions
    assert q.stem == VNEID


def test_utf16_csv_is_decoded():
    text = f"Câu hỏi\tA\tB\tĐáp án đúng\n{VNEID}\t{MARKS}\tkhông\tA\n"
    result = parse_file(text.encode("utf-16"), "bank.csv")
    assert result.errors == []
    assert result.questions[0].options[0].text == MARKS


def test_windows_1258_csv_is_refused_with_advice():
    data = to_cp1258("Câu hỏi,A,B,Đáp án đúng\nThủ đô của Việt Nam?,Hà Nội,Huế,A\n")
    result = parse_file(data, "bank.csv")
    assert result.questions == []
    (error,) = result.errors
    assert "CSV UTF-8" in error.message_vi and "Windows-1258" in error.message_vi
    assert "CSV UTF-8" in error.message_en and "Windows-1258" in error.message_en


def test_all_errors_of_a_file_are_reported_with_their_rows():
    text = (
        "STT,Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án đúng,Mức độ\n"
        "1,Câu đúng?,a,b,c,d,A,Dễ\n"
        ",,,,,,,\n"
        "3,,a,b,,,A,\n"
        "4,Một phương án?,a,,,,A,\n"
        "5,Thiếu C?,a,b,,d,B,\n"
        "6,Đáp án sai?,a,b,c,d,E,\n"
        "7,Không đáp án?,a,b,,,,\n"
        "8,Mức độ lạ?,a,b,,,A,siêu khó\n"
        '9,Nhiều đáp án?,a,b,c,,"A, C",2\n'
    )
    result = parse_file(text.encode(), "bank.csv")
    found = {(e.location.row, e.field) for e in result.errors}
    assert found == {
        (4, "stem"),
        (5, "options"),
        (6, "option_C"),
        (7, "correct"),
        (8, "correct"),
        (9, "difficulty"),
    }
    (wrong_key,) = [e for e in result.errors if e.location.row == 7]
    assert (
        wrong_key.message_vi
        == "Dòng 7, cột 'Đáp án đúng': 'E' không phải là một phương án có trong câu hỏi"
    )
    assert (
        wrong_key.message_en == "Row 7, column 'Correct': 'E' is not one of the question's options"
    )
    assert [q.number for q in result.questions] == ["1", "9"]
    assert result.questions[1].multiple_answers
    assert [o.correct for o in result.questions[1].options] == [True, False, True]


def test_headers_match_without_case_spacing_or_diacritics():
    text = (
        'so thu tu,CAU HOI,option a,OPTION B,dap an c,DAP AN DUNG,chu de\n1,Hỏi?,x,y,z,"b, c",Số\n'
    )
    result = parse_file(text.encode(), "bank.csv")
    assert result.errors == []
    assert [o.correct for o in result.questions[0].options] == [False, True, True]
    assert result.questions[0].topic == "Số"


def test_correct_answer_may_be_given_as_letters_or_option_text():
    text = "Câu hỏi,A,B,C,Đáp án đúng\nQ1?,Đúng,Sai,,Sai\nQ2?,x,y,z,AC\nQ3?,x,y,z,Đáp án B\n"
    result = parse_file(text.encode(), "bank.csv")
    assert result.errors == []
    assert [[o.correct for o in q.options] for q in result.questions] == [
        [False, True],
        [True, False, True],
        [False, True, False],
    ]


def test_missing_required_header_is_reported():
    result = parse_file("Câu hỏi,A,B\nHỏi?,x,y\n".encode(), "bank.csv")
    assert [(e.location.row, e.field) for e in result.errors] == [(1, "correct")]
    assert result.questions == []


def test_a_title_line_before_a_semicolon_header():
    text = "Ngân hàng câu hỏi tuần 1\nCâu hỏi;A;B;Đáp án đúng\nHỏi, thật sao?;x;y;B\n"
    result = parse_file(text.encode(), "bank.csv")
    assert result.errors == []
    assert result.questions[0].stem == "Hỏi, thật sao?" and result.questions[0].location.row == 3
