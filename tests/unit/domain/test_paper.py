from contest.domain.paper import (
    Option,
    PaperItem,
    QuestionKind,
    bank_key,
    option_order_at,
    option_orders,
    question_at,
    read_options,
    read_paper,
    version_at,
    version_ids,
    write_paper,
)

STORED = [{"q": 7, "v": 70, "o": [3, 1, 2]}, {"q": 8, "v": 81, "o": [5, 4]}]


def test_a_stored_paper_reads_into_items_and_writes_back_unchanged():
    items = read_paper(STORED)
    assert items == (PaperItem(7, 70, (3, 1, 2)), PaperItem(8, 81, (5, 4)))
    assert write_paper(items) == STORED


def test_round_wide_readers_get_versions_and_questions_without_items():
    assert version_ids([STORED, [{"q": 9, "v": 90, "o": [1]}]]) == {70, 81, 90}
    assert version_at(STORED, 1) == 81 and question_at(STORED, 0) == 7
    assert option_order_at(STORED, 0) == (3, 1, 2) and option_orders(STORED) == ((3, 1, 2), (5, 4))


def test_options_and_the_bank_key():
    raw = [{"id": 1, "text": "Một", "correct": True}, {"id": 2, "text": "Hai"}]
    assert read_options(raw) == (Option(1, "Một", True), Option(2, "Hai", False))
    assert bank_key(raw) == frozenset({"1"})


def test_the_kind_of_question_follows_the_key_it_is_scored_with():
    assert QuestionKind.of_key(frozenset({"1"})) is QuestionKind.SINGLE
    assert QuestionKind.of_key(frozenset({"1", "2"})) is QuestionKind.MULTIPLE
