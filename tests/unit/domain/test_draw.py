"""Tests for drawing papers from a round's pool: quotas, uniqueness, reproducibility, speed."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.domain.draw import (
    DrawSettings,
    PaperItem,
    PoolQuestion,
    PreparedPool,
    Quota,
    draw_paper,
    validate_settings,
)
from contest.domain.errors import ContestError

TOPICS = ("Đề án 06", "Chính quyền số", "An toàn thông tin")
LEVELS = ("easy", "medium", "hard")


def make_pool(spec: list[tuple[str | None, str | None]], options: int = 4) -> PreparedPool:
    return PreparedPool(
        PoolQuestion(i + 1, 1000 + i, topic, level, tuple(range(10 * i, 10 * i + options)))
        for i, (topic, level) in enumerate(spec)
    )


def quotas_matched(paper, pool: PreparedPool, quotas) -> bool:
    """Whether the paper's questions can be shared among the quotas, none used twice
    (bipartite matching of quota slots to questions, by augmenting paths)."""
    by_id = {q.question_id: q for q in pool.questions}
    slots = [quota for quota in quotas for _ in range(quota.count)]
    owner: dict[int, int] = {}

    def place(slot: int, seen: set[int]) -> bool:
        for item in paper:
            q = by_id[item.question_id]
            if item.question_id in seen or not slots[slot].matches((q.topic, q.difficulty)):
                continue
            seen.add(item.question_id)
            if item.question_id not in owner or place(owner[item.question_id], seen):
                owner[item.question_id] = slot
                return True
        return False

    return all(place(s, set()) for s in range(len(slots)))


def feasible_by_brute_force(pool: PreparedPool, quotas) -> bool:
    return quotas_matched(
        tuple(PaperItem(q.question_id, q.version_id, q.option_ids) for q in pool.questions),
        pool,
        quotas,
    )


# --- examples -------------------------------------------------------------------------


def test_paper_has_the_asked_number_of_distinct_questions():
    pool = make_pool([(TOPICS[i % 3], LEVELS[i % 3]) for i in range(50)])
    paper = draw_paper(pool, DrawSettings(20), random.Random(1))
    assert len(paper) == 20
    assert len({item.question_id for item in paper}) == 20


def test_same_seed_gives_the_same_paper():
    pool = make_pool([(TOPICS[i % 3], LEVELS[i % 3]) for i in range(50)])
    rules = DrawSettings(10, (Quota("Đề án 06", None, 3),))
    assert draw_paper(pool, rules, random.Random(7)) == draw_paper(pool, rules, random.Random(7))


def test_different_seeds_give_different_papers():
    pool = make_pool([(TOPICS[i % 3], LEVELS[i % 3]) for i in range(50)])
    papers = {draw_paper(pool, DrawSettings(10), random.Random(seed)) for seed in range(20)}
    assert len(papers) == 20


def test_unshuffled_paper_keeps_bank_order_and_option_order():
    pool = make_pool([("A", "easy")] * 30)
    paper = draw_paper(
        pool, DrawSettings(10, shuffle_questions=False, shuffle_options=False), random.Random(3)
    )
    ids = [item.question_id for item in paper]
    assert ids == sorted(ids)
    by_id = {q.question_id: q for q in pool.questions}
    assert all(item.option_order == by_id[item.question_id].option_ids for item in paper)


def test_shuffled_options_are_a_permutation_and_vary():
    pool = make_pool([("A", "easy")] * 30, options=5)
    paper = draw_paper(pool, DrawSettings(30), random.Random(3))
    by_id = {q.question_id: q for q in pool.questions}
    assert all(sorted(i.option_order) == sorted(by_id[i.question_id].option_ids) for i in paper)
    assert any(i.option_order != by_id[i.question_id].option_ids for i in paper)


def test_paper_carries_the_question_version_drawn():
    pool = make_pool([("A", "easy")] * 5)
    paper = draw_paper(pool, DrawSettings(5), random.Random(0))
    assert {(i.question_id, i.version_id) for i in paper} == {
        (q.question_id, q.version_id) for q in pool.questions
    }


def test_whole_bank_as_one_paper_uses_every_question():
    pool = make_pool([(TOPICS[i % 3], None) for i in range(50)])
    paper = draw_paper(pool, DrawSettings(50, (Quota(TOPICS[0], None, 17),)), random.Random(0))
    assert {i.question_id for i in paper} == set(range(1, 51))


def test_overlapping_quotas_are_filled_where_a_greedy_draw_would_fail():
    # Only one hard question exists, and it is also on topic A: the topic quota must
    # leave it to the difficulty quota, whatever the random order.
    pool = make_pool([("A", "hard"), ("A", "easy"), ("B", "easy"), ("B", "easy")])
    quotas = (Quota("A", None, 1), Quota(None, "hard", 1))
    for seed in range(50):
        paper = draw_paper(pool, DrawSettings(2, quotas), random.Random(seed))
        assert {i.question_id for i in paper} == {1, 2}


def test_every_question_of_a_quota_cell_is_drawn_about_equally_often():
    pool = make_pool([("A", "easy")] * 10 + [("B", "easy")] * 10)
    rules = DrawSettings(5, (Quota("A", None, 3),))
    counts = Counter(
        i.question_id for seed in range(2000) for i in draw_paper(pool, rules, random.Random(seed))
    )
    # A questions: 3 of 10 reserved plus a share of the other 2 drawn from the rest.
    for question_id in range(1, 21):
        expected = 2000 * (0.3 + 0.7 * 2 / 17) if question_id <= 10 else 2000 * 2 / 17 * 1
        assert abs(counts[question_id] - expected) < 0.2 * expected, question_id


def test_zero_count_quota_is_ignored():
    pool = make_pool([("A", "easy")] * 5)
    validate_settings(pool, DrawSettings(5, (Quota("Z", None, 0),)))


def test_quota_list_is_accepted_and_settings_stay_hashable():
    rules = DrawSettings(3, [Quota("A", None, 1)])  # type: ignore[arg-type]
    assert hash(rules) == hash(DrawSettings(3, (Quota("A", None, 1),)))


# --- refusals -------------------------------------------------------------------------

REFUSALS = [
    (
        "too_few_in_a_topic_and_level",
        [("Đề án 06", "hard")] * 2 + [("Khác", "easy")] * 20,
        DrawSettings(10, (Quota("Đề án 06", "hard", 3),)),
        "Ngân hàng chỉ có 2 câu chủ đề 'Đề án 06' mức 'Khó' nhưng cần 3",
        "The bank has only 2 questions on topic 'Đề án 06' of difficulty 'hard' but 3 are needed",
    ),
    (
        "paper_larger_than_bank",
        [("A", "easy")] * 5,
        DrawSettings(6),
        "Ngân hàng chỉ có 5 câu nhưng mỗi lượt thi cần 6 câu",
        "The bank has only 5 questions but each attempt needs 6",
    ),
    (
        "quotas_larger_than_paper",
        [("A", "easy")] * 20,
        DrawSettings(5, (Quota("A", None, 3), Quota(None, "easy", 3))),
        "Tổng các chỉ tiêu (6 câu) vượt quá số câu mỗi lượt thi (5)",
        "The quotas add up to 6 questions, more than the 5 of an attempt",
    ),
    (
        "overlapping_quotas_need_more_distinct_questions_than_exist",
        [("A", "hard")] * 2 + [("A", "easy")] + [("B", "easy")] * 10,
        DrawSettings(6, (Quota("A", None, 2), Quota(None, "hard", 2))),
        "Các chỉ tiêu chủ đề 'A' (2 câu), mức 'Khó' (2 câu) cần tổng cộng 4 câu khác nhau "
        "nhưng ngân hàng chỉ có 3 câu thuộc các chỉ tiêu này",
        "The quotas on topic 'A' (2), of difficulty 'hard' (2) together need 4 different "
        "questions but the bank has only 3 that match them",
    ),
    (
        "missing_topic",
        [("A", "easy")] * 10,
        DrawSettings(5, (Quota("Z", None, 1),)),
        "Ngân hàng chỉ có 0 câu chủ đề 'Z' nhưng cần 1",
        "The bank has only 0 questions on topic 'Z' but 1 is needed",
    ),
    (
        "no_questions",
        [("A", "easy")] * 10,
        DrawSettings(0),
        "Mỗi lượt thi phải có ít nhất 1 câu hỏi",
        "Each attempt needs at least 1 question",
    ),
    (
        "negative_quota",
        [("A", "easy")] * 10,
        DrawSettings(5, (Quota("A", None, -1),)),
        "Chỉ tiêu chủ đề 'A' không được là số âm (-1)",
        "The quota on topic 'A' cannot be negative (-1)",
    ),
]


@pytest.mark.parametrize(
    ("spec", "rules", "message_vi", "message_en"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_settings_the_pool_cannot_satisfy_are_refused_in_both_languages(
    spec, rules, message_vi, message_en
):
    pool = make_pool(spec)
    with pytest.raises(ContestError) as caught:
        validate_settings(pool, rules)
    assert caught.value.message_vi == message_vi
    assert caught.value.message_en == message_en
    with pytest.raises(ContestError):
        draw_paper(pool, rules, random.Random(0))


def test_a_question_listed_twice_in_the_pool_is_refused():
    question = PoolQuestion(1, 1, "A", "easy", (1, 2))
    with pytest.raises(ContestError, match="appears twice"):
        PreparedPool([question, question])


def test_a_question_with_a_repeated_option_is_refused():
    with pytest.raises(ContestError, match="option twice"):
        PreparedPool([PoolQuestion(1, 1, "A", "easy", (1, 1))])


# --- properties -----------------------------------------------------------------------

cells = st.tuples(st.sampled_from(TOPICS + (None,)), st.sampled_from(LEVELS + (None,)))


@st.composite
def pools_and_settings(draw):
    spec = draw(st.lists(cells, min_size=1, max_size=40))
    options = draw(st.lists(st.integers(1, 6), min_size=len(spec), max_size=len(spec)))
    pool = PreparedPool(
        PoolQuestion(100 + i, 5000 + i, topic, level, tuple(range(10 * i, 10 * i + n)))
        for i, ((topic, level), n) in enumerate(zip(spec, options))
    )
    quotas = draw(
        st.lists(
            st.builds(
                Quota,
                st.sampled_from(TOPICS + (None,)),
                st.sampled_from(LEVELS + (None,)),
                st.integers(1, 4),
            ),
            max_size=4,
        )
    )
    size = draw(st.integers(1, len(spec)))
    rules = DrawSettings(
        size,
        tuple(quotas),
        shuffle_questions=draw(st.booleans()),
        shuffle_options=draw(st.booleans()),
    )
    return pool, rules


@settings(max_examples=300, deadline=None)
@given(pools_and_settings(), st.integers(0, 2**32))
def test_a_valid_draw_is_exact_or_the_settings_are_really_unsatisfiable(case, seed):
    pool, rules = case
    satisfiable = sum(
        q.count for q in rules.quotas
    ) <= rules.questions_per_attempt and feasible_by_brute_force(pool, rules.quotas)
    try:
        validate_settings(pool, rules)
    except ContestError:
        assert not satisfiable
        return
    assert satisfiable
    paper = draw_paper(pool, rules, random.Random(seed))
    assert len(paper) == rules.questions_per_attempt
    assert len({i.question_id for i in paper}) == len(paper)
    assert quotas_matched(paper, pool, rules.quotas)
    by_id = {q.question_id: q for q in pool.questions}
    for item in paper:
        question = by_id[item.question_id]
        assert item.version_id == question.version_id
        assert Counter(item.option_order) == Counter(question.option_ids)
        if not rules.shuffle_options:
            assert item.option_order == question.option_ids
    if not rules.shuffle_questions:
        positions = [pool.questions.index(by_id[i.question_id]) for i in paper]
        assert positions == sorted(positions)
    assert draw_paper(pool, rules, random.Random(seed)) == paper


# --- speed ----------------------------------------------------------------------------


def test_five_thousand_papers_of_twenty_from_two_thousand_questions_take_under_two_seconds():
    rng = random.Random(2023)
    pool = make_pool([(rng.choice(TOPICS), rng.choice(LEVELS)) for _ in range(2000)])
    rules = DrawSettings(20, (Quota("Đề án 06", None, 3), Quota(None, "hard", 2)))
    validate_settings(pool, rules)
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    for _ in range(5000):
        draw_paper(pool, rules, rng)
    elapsed = time.process_time() - started
    # Measured ~0.5 s on a 2-core machine; the bound leaves room for a slow CI.
    assert elapsed < 2.0, elapsed
