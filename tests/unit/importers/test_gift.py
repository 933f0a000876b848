from contest.importers import parse_file

VNEID = "Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng"
MARKS = "ặ ẵ ẳ ỗ ữ ự Ử Ễ Đ"


def test_moodle_questions_fixture_counts_nine_with_unrunnable_kinds_skipped(moodle_fixture):
    result = parse_file(moodle_fixture("questions.gift.txt"), "questions.gift.txt")
    assert result.errors == []
    assert len(result.questions) + len(result.skipped) == 9
    assert len(result.questions) == 5
    skipped = " ".join(s.message_en for s in result.skipped)
    for kind in ("essay", "matching", "numerical", "short answer"):
        assert kind in skipped
    q2, colours, q1, tsl_t, tsl_true = result.questions
    assert [(o.text, o.correct) for o in q2.options] == [
        ("yellow", True),
        ("red", False),
        ("blue", False),
    ]
    assert [o.correct for o in colours.options] == [
        True,
        False,
        True,
        False,
    ] and colours.multiple_answers
    assert [(o.text, o.correct) for o in q1.options] == [("Đúng", False), ("Sai", True)]
    assert q1.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert q1.stem == "42 is the Absolute Answer to everything."
    assert (
        [o.correct for o in tsl_t.options] == [o.correct for o in tsl_true.options] == [True, False]
    )
    assert q2.number == "Q2"


def test_moodle_category_fixture_sets_topic_and_sanitises_html(moodle_fixture):
    result = parse_file(
        moodle_fixture("questions_in_category.gift.txt"), "questions_in_category.gift.txt"
    )
    assert result.errors == []
    assert len(result.questions) == 2 and len(result.skipped) == 2
    greeting, acronym = result.questions
    assert greeting.topic == acronym.topic == "Default for New Features"
    assert greeting.text_format == "html"
    assert greeting.stem == "Listen to this greeting:<br><br>What language is being spoken?"
    assert [o.correct for o in greeting.options] == [False, True, False, False]
    assert (
        acronym.stem
        == "Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment."
    )
    assert [o.text for o in acronym.options] == ["Đúng", "Sai"]


def test_moodle_examples_fixture_parses_without_errors(moodle_fixture):
    result = parse_file(moodle_fixture("examples.txt"), "examples.txt")
    assert result.errors == []
    assert result.questions and result.skipped
    special = next(q for q in result.questions if q.number == "GIFT Control Characters")
    assert [o.text for o in special.options] == ["~", "=", "#", "{", "}", "\\"]
    assert special.options[-1].correct
    blanks = [q.stem for q in result.questions if "_____" in q.stem]
    assert "Grant is _____ in Grant's tomb." in blanks


def test_vietnamese_gift_with_category_comments_and_weights():
    text = (
        "$CATEGORY: $course$/top/Chuyển đổi số\n\n"
        "// Mức độ: Vận dụng\n"
        "// Nguồn: Quyết định 06/QĐ-TTg\n"
        f"::Câu 1:: {VNEID}? {{\n"
        f"  =Đúng # tốt\n  ~Sai\n  ~{MARKS}\n  ####Giải thích\\: {MARKS}\n}}\n\n"
        "Chọn hai {~%50%một ~%50%hai ~%-100%ba}\n"
    )
    result = parse_file(text.encode(), "bank.gift")
    assert result.errors == []
    first, second = result.questions
    assert (first.number, first.stem, first.topic, first.difficulty, first.source) == (
        "Câu 1",
        VNEID + "?",
        "Chuyển đổi số",
        "hard",
        "Quyết định 06/QĐ-TTg",
    )
    assert first.explanation == f"Giải thích: {MARKS}"
    assert [(o.text, o.correct) for o in first.options] == [
        ("Đúng", True),
        ("Sai", False),
        (MARKS, False),
    ]
    assert [o.correct for o in second.options] == [True, True, False]


def test_broken_gift_questions_are_errors_not_crashes():
    text = "Không đóng {=a ~b\n\nMột phương án {~%100%a}\n\nKhông đúng {~a ~b}\n"
    result = parse_file(text.encode(), "bank.gift")
    assert result.questions == []
    assert [(e.location.line, e.field) for e in result.errors] == [
        (1, "options"),
        (3, "options"),
        (5, "correct"),
    ]


def test_script_in_gift_html_is_removed():
    text = "[html]<p onclick='x()'>Hỏi <b>đậm</b><script>alert(1)</script></p>{=<i>a</i> ~b}"
    (q,) = parse_file(text.encode(), "bank.gift").questions
    assert q.text_format == "html"
    assert q.stem == "<p>Hỏi <b>đậm</b></p>"
    assert q.options[0].text == "<i>a</i>"
