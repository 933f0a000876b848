from contest.importers import parse_file


def test_moodle_aiken_errors_fixture_gives_three_questions_and_reports_the_rest(moodle_fixture):
    result = parse_file(moodle_fixture("aiken_errors.txt"), "aiken_errors.txt")
    assert [q.stem for q in result.questions] == [
        "A good question",
        "A second good question",
        "A third good question with HTML chars such as > < &",
    ]
    assert (
        result.questions[1].options[1].correct
        and result.questions[1].options[1].text == "Correct (No space)"
    )
    assert result.questions[2].text_format == "plain"
    assert result.questions[2].options[0].text == "Correct (< > &)"
    assert [e.location.line for e in result.errors] == [1, 5, 7, 14]


def test_moodle_aiken_fixture(moodle_fixture):
    result = parse_file(moodle_fixture("questions.aiken.txt"), "questions.aiken.txt")
    assert result.errors == []
    first, second = result.questions
    assert first.options[1].text == "Martin Dougiamas" and first.options[1].correct
    assert '<html class="cool"> & images' in second.stem


def test_aiken_extension_and_vietnamese():
    text = "Thủ đô của Việt Nam là?\nA. Hà Nội\nB. Huế\nANSWER: A\n"
    result = parse_file(text.encode(), "bank.aiken")
    assert result.errors == [] and result.questions[0].options[0].text == "Hà Nội"


def test_answer_outside_the_options_is_reported():
    text = "Hỏi?\nA) x\nB) y\nANSWER: E\n"
    result = parse_file(text.encode(), "bank.aiken")
    assert result.questions == []
    assert (
        result.errors[0].message_en
        == "Line 1, field 'Correct': 'E' is not one of the question's options"
    )


def test_empty_and_repeated_options_are_reported():
    text = "Hỏi?\nA) x\nB)\nC) x\nANSWER: A\n"
    result = parse_file(text.encode(), "bank.aiken")
    assert result.questions == []
    assert [e.field for e in result.errors] == ["option_B", "option_C"]
