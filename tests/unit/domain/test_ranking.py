import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.domain.errors import ContestError
from contest.domain.ranking import DEFAULT_ORDER, Entry, TieBreak, parse_order, rank_entries

T0 = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)


def entry(eid, score, error=None, duration=None, minute=None, attempts=None, registered=None):
    return Entry(
        entry_id=eid,
        owner_id=eid,
        score=score,
        prediction_error=error,
        duration_seconds=duration,
        submitted_at=None if minute is None else T0 + timedelta(minutes=minute),
        attempts_used=attempts,
        registered_at=None if registered is None else T0 - timedelta(days=registered),
    )


def ids(ranking):
    return [row.entry.entry_id for row in ranking.rows]


@pytest.mark.parametrize(
    ("name", "entries", "order", "expected"),
    [
        (
            "more correct answers win",
            [entry("a", 18, 0, 10, 0), entry("b", 19, 90, 900, 50)],
            DEFAULT_ORDER,
            ["b", "a"],
        ),
        (
            "closer prediction wins when scores tie",
            [entry("a", 19, 7, 10, 0), entry("b", 19, 3, 900, 50)],
            DEFAULT_ORDER,
            ["b", "a"],
        ),
        (
            "shorter time wins when score and prediction tie",
            [entry("a", 19, 3, 300, 0), entry("b", 19, 3, 200, 50)],
            DEFAULT_ORDER,
            ["b", "a"],
        ),
        (
            "earlier submission wins when everything else ties",
            [entry("a", 19, 3, 200, 9), entry("b", 19, 3, 200, 2)],
            DEFAULT_ORDER,
            ["b", "a"],
        ),
        (
            "no prediction ranks behind any prediction",
            [entry("a", 19, None, 10, 0), entry("b", 19, 5000, 900, 50)],
            DEFAULT_ORDER,
            ["b", "a"],
        ),
        (
            "fewer attempts used wins when that key comes first",
            [entry("a", 19, 0, 10, 0, attempts=3), entry("b", 19, 9, 90, 5, attempts=1)],
            (TieBreak.CORRECT, TieBreak.ATTEMPTS_USED, TieBreak.PREDICTION_ERROR),
            ["b", "a"],
        ),
        (
            "earlier registration wins when that key comes first",
            [entry("a", 19, 0, registered=1), entry("b", 19, 9, registered=30)],
            ("correct", "registered_at", "prediction_error"),
            ["b", "a"],
        ),
        (
            "duration before prediction when the rules say so",
            [entry("a", 19, 0, 300, 0), entry("b", 19, 9, 200, 5)],
            (TieBreak.CORRECT, TieBreak.DURATION, TieBreak.PREDICTION_ERROR),
            ["b", "a"],
        ),
    ],
)
def test_tie_break_order(name, entries, order, expected):
    assert ids(rank_entries(entries, order)) == expected
    assert ids(rank_entries(list(reversed(entries)), order)) == expected


def test_closer_prediction_wins_when_scores_tie():
    ranking = rank_entries([entry("far", 20, 40), entry("near", 20, 2)])
    assert ranking.rank_of("near") == 1 and ranking.rank_of("far") == 2


def test_exact_ties_share_a_rank_and_a_tie_group():
    ranking = rank_entries(
        [
            entry("c", 20, 1, 100, 0),
            entry("a", 20, 1, 100, 0),
            entry("b", 20, 1, 100, 0),
            entry("d", 19, 1, 100, 0),
            entry("e", 18, 1, 100, 0),
            entry("f", 18, 1, 100, 0),
        ]
    )
    assert [(r.entry.entry_id, r.rank, r.tie_group) for r in ranking.rows] == [
        ("a", 1, 1),
        ("b", 1, 1),
        ("c", 1, 1),
        ("d", 4, None),
        ("e", 5, 2),
        ("f", 5, 2),
    ]
    assert {gid: [e.entry_id for e in es] for gid, es in ranking.tie_groups().items()} == {
        1: ["a", "b", "c"],
        2: ["e", "f"],
    }


def test_entries_that_differ_only_on_a_key_outside_the_order_tie():
    ranking = rank_entries([entry("a", 20, 1, 100, 0), entry("b", 20, 1, 100, 9)], ["correct"])
    assert [r.rank for r in ranking.rows] == [1, 1]


@pytest.mark.parametrize(
    "order",
    [["correct", "correct"], ["speed"], []],
)
def test_a_bad_order_is_refused(order):
    with pytest.raises(ContestError):
        parse_order(order)


def test_duplicate_entry_ids_are_refused():
    with pytest.raises(ContestError):
        rank_entries([entry("a", 1), entry("a", 2)])


entries_strategy = st.lists(
    st.builds(
        entry,
        eid=st.uuids().map(str),
        score=st.integers(0, 5),
        error=st.one_of(st.none(), st.integers(0, 3)),
        duration=st.one_of(st.none(), st.integers(10, 13)),
        minute=st.one_of(st.none(), st.integers(0, 3)),
    ),
    max_size=40,
    unique_by=lambda e: e.entry_id,
)


@settings(max_examples=80, deadline=None)
@given(entries_strategy, st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_input_order(entries, rnd):
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    first, second = rank_entries(entries), rank_entries(shuffled)
    assert [(r.entry, r.rank, r.tie_group) for r in first.rows] == [
        (r.entry, r.rank, r.tie_group) for r in second.rows
    ]


@settings(max_examples=80, deadline=None)
@given(entries_strategy)
def test_ranks_never_improve_down_the_list_and_ties_match_keys(entries):
    rows = rank_entries(entries).rows
    for before, after in zip(rows, rows[1:]):
        assert before.rank <= after.rank
        assert (before.rank == after.rank) == (
            before.tie_group is not None and before.tie_group == after.tie_group
        )
        assert before.entry.score >= after.entry.score


def test_a_large_shuffled_field_ranks_identically():
    rnd = random.Random(7)
    entries = [
        entry(f"e{i}", rnd.randint(0, 10), rnd.randint(0, 5), rnd.randint(1, 4))
        for i in range(3000)
    ]
    shuffled = entries[:]
    rnd.shuffle(shuffled)
    assert rank_entries(entries).rows == rank_entries(shuffled).rows
