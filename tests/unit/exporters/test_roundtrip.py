from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest.exporters import export_gift, export_moodle_xml, export_xlsx
from contest.importers import Location, OptionDraft, QuestionDraft, parse_file
from contest.text import normalize_text

# Every Vietnamese letter with each tone, the GIFT control characters and the
# characters that trip spreadsheets (=, +, -, @ at the start of a cell).
VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
    "áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "ẶẴẲỖỮỰỬỄĐ"
)
SPECIAL = " 0123456789.,;?!'\"()[]/<>&~=#{}:\\+-@%_\t\n"
ALPHABET = VIETNAMESE + SPECIAL


def texts(max_size: int = 40):
    return (
        st.text(alphabet=ALPHABET, min_size=1, max_size=max_size).map(normalize_text).filter(bool)
    )


@st.composite
def questions(draw):
    count = draw(st.integers(min_value=2, max_value=6))
    option_texts = draw(st.lists(texts(20), min_size=count, max_size=count, unique=True))
    right = draw(st.sets(st.integers(min_value=0, max_value=count - 1), min_size=1))
    return QuestionDraft(
        stem=draw(texts(80)),
        options=tuple(OptionDraft(text, i in right) for i, text in enumerate(option_texts)),
        location=Location("generated"),
        topic=draw(st.none() | texts(20)),
        difficulty=draw(st.sampled_from([None, "easy", "medium", "hard"])),
        explanation=draw(st.none() | texts(60)),
        source=draw(st.none() | texts(30)),
        number=draw(st.none() | st.integers(min_value=1, max_value=9999).map(str)),
    )


def semantic(q: QuestionDraft) -> tuple:
    return (q.stem, q.options, q.text_format, q.topic, q.difficulty, q.explanation, q.source)


banks = st.lists(questions(), min_size=1, max_size=8)
fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(banks)
def test_xlsx_export_then_import_is_lossless(bank):
    result = parse_file(export_xlsx(bank), "bank.xlsx")
    assert result.errors == []
    assert [semantic(q) for q in result.questions] == [semantic(q) for q in bank]


@fast
@given(banks)
def test_gift_export_then_import_is_lossless(bank):
    result = parse_file(export_gift(bank).encode("utf-8"), "bank.gift")
    assert result.errors == [] and result.skipped == []
    assert [semantic(q) for q in result.questions] == [semantic(q) for q in bank]
    assert [q.number for q in result.questions] == [q.number for q in bank]


def test_html_questions_survive_both_exports():
    bank = [
        QuestionDraft(
            "<p>Chọn <b>đúng</b> &amp; đủ</p>",
            (OptionDraft("<i>a</i>", True), OptionDraft("b &lt; c", False)),
            Location("x"),
            text_format="html",
            explanation="<em>vì</em>",
        )
    ]
    for data, name in ((export_xlsx(bank), "bank.xlsx"), (export_gift(bank).encode(), "bank.gift")):
        result = parse_file(data, name)
        assert [semantic(q) for q in result.questions] == [semantic(q) for q in bank], name


def _numbers_unique_per_topic(bank) -> bool:
    numbered = [(q.topic, q.number) for q in bank if q.number]
    return len(numbered) == len(set(numbered))


@fast
@given(banks.filter(_numbers_unique_per_topic))
def test_moodle_xml_export_then_import_is_lossless(bank):
    # Numbers are unique within a topic (a Moodle category holds an ID number once): a number
    # used twice in one topic travels only as the name, which cannot tell "1" from a stem "1".
    result = parse_file(export_moodle_xml(bank), "bank.xml")
    assert result.errors == []
    assert [semantic(q) for q in result.questions] == [semantic(q) for q in bank]
    assert [q.number for q in result.questions] == [q.number for q in bank]


def test_a_number_equal_to_the_stems_start_comes_back_from_moodle_xml():
    bank = [
        QuestionDraft(
            stem=stem,
            options=(OptionDraft("0", True), OptionDraft("00", False)),
            location=Location("generated"),
            number=number,
        )
        for stem, number in (("1", "1"), ("Câu hỏi thứ hai", "2"), ("3", None))
    ]
    result = parse_file(export_moodle_xml(bank), "bank.xml")
    assert [q.number for q in result.questions] == ["1", "2", None]
