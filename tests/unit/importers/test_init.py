from contest.importers import ImportLimits, parse_file


def test_txt_is_sniffed_as_aiken_or_gift():
    aiken = parse_file("Hỏi?\nA. x\nB. y\nANSWER: B\n".encode(), "bank.txt")
    gift = parse_file("Hỏi? {=x ~y}\n".encode(), "bank.txt")
    assert [o.correct for o in aiken.questions[0].options] == [False, True]
    assert [o.correct for o in gift.questions[0].options] == [True, False]


def test_issue_as_dict_has_the_agreed_keys():
    result = parse_file("Câu hỏi,A,B,Đáp án đúng\nHỏi?,x,y,Z\n".encode(), "bank.csv")
    assert result.errors[0].as_dict() == {
        "file": "bank.csv",
        "sheet": None,
        "row": 2,
        "line": None,
        "field": "correct",
        "message_vi": "Dòng 2, cột 'Đáp án đúng': 'Z' không phải là một phương án có trong câu hỏi",
        "message_en": "Row 2, column 'Correct': 'Z' is not one of the question's options",
    }


def test_question_limit_applies_to_text_formats():
    text = "\n\n".join(f"Câu {n}? {{=a ~b}}" for n in range(5))
    result = parse_file(text.encode(), "bank.gift", ImportLimits(max_questions=4))
    assert result.questions == [] and "4" in result.errors[0].message_en


def test_old_office_formats_get_advice():
    (error,) = parse_file(b"\xd0\xcf\x11\xe0", "bank.xls").errors
    assert ".xlsx" in error.message_vi and ".xlsx" in error.message_en
