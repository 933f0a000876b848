from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.errors import ContestError
from contest.domain.ranking import DEFAULT_ORDER, rank_entries
from contest.domain.scoring import (
    CountingPolicy,
    PredictionTarget,
    QuestionKey,
    ScoredAttempt,
    as_entry,
    attempts_used,
    counting_attempt,
    counting_attempts,
    prediction_error,
    prediction_true_figure,
    score_attempt,
)

T0 = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)

KEYS = (
    QuestionKey("q1", frozenset({"A"})),
    QuestionKey("q2", frozenset({"B", "D"})),
    QuestionKey("q3", frozenset({"C"}), points=2.0),
)


@pytest.mark.parametrize(
    ("answers", "correct", "answered", "score"),
    [
        ({"q1": {"A"}, "q2": {"B", "D"}, "q3": {"C"}}, 3, 3, 4.0),
        ({"q1": {"A"}, "q2": {"B"}, "q3": {"C"}}, 2, 3, 3.0),
        ({"q1": {"A"}, "q2": {"A", "B", "C", "D"}}, 1, 2, 1.0),
        ({"q1": {"B"}}, 0, 1, 0.0),
        ({"q1": set()}, 0, 0, 0.0),
        ({}, 0, 0, 0.0),
    ],
)
def test_multiple_answer_questions_score_all_or_nothing(answers, correct, answered, score):
    result = score_attempt(KEYS, answers)
    assert (result.correct, result.answered, result.question_count, result.score) == (
        correct,
        answered,
        3,
        score,
    )


def test_every_answer_right_is_all_correct():
    result = score_attempt(KEYS, {"q1": ["A"], "q2": ["D", "B"], "q3": ["C"]})
    assert result.all_correct and result.all_answered


def test_a_question_twice_on_a_paper_is_refused():
    with pytest.raises(ContestError):
        score_attempt((KEYS[0], KEYS[0]), {})


def attempt(aid, correct, duration, minutes, pid="p1", prediction=None, eligible=True, n=20):
    return ScoredAttempt(
        attempt_id=aid,
        participant_id=pid,
        correct=correct,
        question_count=n,
        duration_seconds=duration,
        submitted_at=T0 + timedelta(minutes=minutes),
        prediction=prediction,
        eligible=eligible,
    )


ATTEMPTS = [
    attempt("a", 15, 300, 0),
    attempt("b", 18, 500, 10),
    attempt("c", 18, 400, 20),
    attempt("d", 12, 100, 30),
]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (CountingPolicy.BEST, "c"),
        (CountingPolicy.FIRST, "a"),
        (CountingPolicy.LAST, "d"),
    ],
)
def test_the_policy_picks_the_attempt_that_counts(policy, expected):
    assert counting_attempt(ATTEMPTS, policy).attempt_id == expected
    assert counting_attempt(list(reversed(ATTEMPTS)), policy).attempt_id == expected


def test_first_and_last_go_by_start_time():
    long_early, short_late = attempt("x", 10, 3000, 60), attempt("y", 10, 60, 40)
    # x started at minute 10, y at minute 39, though x was submitted later.
    assert counting_attempt([long_early, short_late], CountingPolicy.FIRST).attempt_id == "x"
    assert counting_attempt([long_early, short_late], CountingPolicy.LAST).attempt_id == "y"


def test_best_attempt_prefers_earlier_submission_when_correct_and_duration_tie():
    early, late = attempt("x", 18, 400, 5), attempt("y", 18, 400, 50)
    assert counting_attempt([late, early]).attempt_id == "x"


def test_no_attempt_counts_when_there_is_none():
    assert counting_attempt([]) is None


def test_attempts_of_several_participants_cannot_be_counted_as_one():
    with pytest.raises(ContestError):
        counting_attempt([attempt("a", 1, 1, 0, pid="p1"), attempt("b", 1, 1, 0, pid="p2")])


def test_counting_attempts_returns_one_per_participant():
    rows = [*ATTEMPTS, attempt("z", 3, 10, 1, pid="p2")]
    counted = counting_attempts(rows)
    assert {pid: a.attempt_id for pid, a in counted.items()} == {"p1": "c", "p2": "z"}
    assert attempts_used(rows) == {"p1": 4, "p2": 1}


@pytest.mark.parametrize(
    ("target", "figure"),
    [(PredictionTarget.ALL_CORRECT, 2), (PredictionTarget.PARTICIPANTS, 4)],
)
def test_true_figure_counts_only_eligible_participants(target, figure):
    counted = [
        attempt("a", 20, 100, 0, pid="p1"),
        attempt("b", 20, 100, 0, pid="p2"),
        attempt("c", 19, 100, 0, pid="p3"),
        attempt("d", 20, 100, 0, pid="p4", eligible=False),
        attempt("e", 0, 100, 0, pid="p5"),
    ]
    assert prediction_true_figure(counted, target) == figure


@pytest.mark.parametrize(
    ("prediction", "true_figure", "error"),
    [(120, 100, 20), (80, 100, 20), (100, 100, 0), (None, 100, None)],
)
def test_prediction_error_is_the_absolute_difference(prediction, true_figure, error):
    assert prediction_error(prediction, true_figure) == error


# The counting attempt follows the round's own ranking order -------------------------------

# (aid, correct, seconds, minute submitted, prediction)
SAME_SCORE = [
    ("slow-close", 18, 500, 10, 41),
    ("fast-far", 18, 300, 20, 90),
    ("fewer", 17, 100, 30, 40),
]
TIME_FIRST = ("correct", "duration", "prediction_error", "submitted_at")


@pytest.mark.parametrize(
    ("order", "true_figure", "expected"),
    [
        pytest.param(DEFAULT_ORDER, 40, "slow-close", id="closer-prediction-wins-the-tie"),
        pytest.param(DEFAULT_ORDER, 88, "fast-far", id="the-other-prediction-is-closer"),
        pytest.param(DEFAULT_ORDER, None, "fast-far", id="no-true-figure-time-decides"),
        pytest.param(TIME_FIRST, 40, "fast-far", id="time-before-prediction-in-this-round"),
        pytest.param(("correct", "submitted_at"), 40, "slow-close", id="earlier-submission"),
    ],
)
def test_the_best_attempt_is_the_one_the_rounds_ranking_order_puts_first(
    order, true_figure, expected
):
    attempts = [attempt(aid, c, s, m, prediction=p) for aid, c, s, m, p in SAME_SCORE]
    chosen = counting_attempt(attempts, CountingPolicy.BEST, order=order, true_figure=true_figure)
    assert chosen.attempt_id == expected
    again = counting_attempt(
        list(reversed(attempts)), CountingPolicy.BEST, order=order, true_figure=true_figure
    )
    assert again.attempt_id == expected


def test_counting_and_ranking_agree_on_which_attempt_is_best():
    attempts = [attempt(aid, c, s, m, prediction=p) for aid, c, s, m, p in SAME_SCORE]
    ranked = rank_entries([as_entry(a, 40) for a in attempts], DEFAULT_ORDER)
    chosen = counting_attempt(attempts, order=DEFAULT_ORDER, true_figure=40)
    assert ranked.rows[0].entry.entry_id == chosen.attempt_id


def test_a_missing_prediction_never_counts_as_closer():
    silent, guessed = attempt("silent", 18, 100, 1), attempt("guess", 18, 900, 2, prediction=75)
    assert counting_attempt([silent, guessed], true_figure=40).attempt_id == "guess"
