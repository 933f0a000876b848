"""Tests for attempt timing, starting, counting and what a participant may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from contest.domain.attempts import (
    AttemptClock,
    ResultVisibility,
    RoundWindow,
    can_start,
    may_show_key,
    may_show_score,
    validate_visibility,
)
from contest.domain.errors import ContestError

UTC = UTC
VN = timezone(timedelta(hours=7))
# Lạng Sơn week 1: Monday 03/07/2023 10:00 → Monday 10/07/2023 09:00, Vietnam time.
OPENS = datetime(2023, 7, 3, 10, 0, tzinfo=VN)
CLOSES = datetime(2023, 7, 10, 9, 0, tzinfo=VN)
WINDOW = RoundWindow(OPENS, CLOSES)
START = datetime(2023, 7, 5, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def clock(started=START, limit=20 * M, closes=CLOSES, grace=10 * S) -> AttemptClock:
    return AttemptClock(started, limit, closes, grace)


# --- timing ---------------------------------------------------------------------------


def test_deadline_is_the_time_limit_when_the_round_closes_later():
    assert clock().deadline == START + 20 * M


def test_deadline_is_the_round_close_when_it_comes_first():
    late_start = CLOSES - 5 * M
    assert clock(started=late_start).deadline == CLOSES


SAVES = [
    ("test_save_before_deadline_is_accepted", START + 19 * M, None, True),
    ("test_save_at_deadline_is_accepted", START + 20 * M, None, True),
    ("test_save_inside_grace_is_accepted", START + 20 * M + 5 * S, None, True),
    ("test_save_at_exactly_deadline_plus_grace_is_accepted", START + 20 * M + 10 * S, None, True),
    (
        "test_save_after_deadline_plus_grace_is_refused",
        START + 20 * M + 10 * S + timedelta(microseconds=1),
        None,
        False,
    ),
    ("test_save_after_submission_is_refused", START + 5 * M, START + 4 * M, False),
]


@pytest.mark.parametrize(
    ("now", "submitted", "accepted"), [s[1:] for s in SAVES], ids=[s[0] for s in SAVES]
)
def test_saves(now, submitted, accepted):
    assert clock().accepts_saves_at(now, submitted) is accepted


def test_save_after_round_close_plus_grace_is_refused_even_with_time_left():
    late = clock(started=CLOSES - 5 * M)
    assert late.accepts_saves_at(CLOSES + 10 * S)
    assert not late.accepts_saves_at(CLOSES + 11 * S)


REMAINING = [
    ("full_time_at_start", START, 1200),
    ("rounds_down_part_seconds", START + timedelta(milliseconds=500), 1199),
    ("zero_at_deadline", START + 20 * M, 0),
    ("never_negative_in_grace", START + 20 * M + 5 * S, 0),
    ("never_negative_long_after", START + 3 * M * 60, 0),
]


@pytest.mark.parametrize(
    ("now", "seconds"), [r[1:] for r in REMAINING], ids=[r[0] for r in REMAINING]
)
def test_remaining_seconds_for_the_countdown(now, seconds):
    assert clock().remaining(now) == seconds


FINALITY = [
    ("running_attempt_is_not_final", START + 5 * M, None, False),
    ("submitted_attempt_is_final_at_once", START + 5 * M, START + 5 * M, True),
    ("unsubmitted_attempt_in_grace_is_not_final", START + 20 * M + 10 * S, None, False),
    ("unsubmitted_attempt_after_grace_is_final", START + 20 * M + 11 * S, None, True),
]


@pytest.mark.parametrize(
    ("now", "submitted", "final"), [f[1:] for f in FINALITY], ids=[f[0] for f in FINALITY]
)
def test_finality_needs_no_background_job(now, submitted, final):
    assert clock().is_final(now, submitted) is final


def test_an_attempt_is_final_exactly_when_it_stops_accepting_saves():
    c = clock()
    for offset in range(-3, 4):
        now = c.last_save_at + offset * timedelta(microseconds=1)
        assert c.is_final(now, None) is not c.accepts_saves_at(now)


def test_finish_time_of_a_submission_in_grace_counts_as_the_deadline():
    c = clock()
    assert c.finished_at(START + 30 * M, START + 20 * M + 4 * S) == c.deadline
    assert c.finished_at(START + 30 * M, START + 7 * M) == START + 7 * M


def test_finish_time_of_a_timed_out_attempt_is_the_deadline():
    c = clock()
    assert c.finished_at(START + 30 * M, None) == c.deadline
    assert c.finished_at(START + 19 * M, None) is None


def test_naive_times_are_a_programming_error():
    with pytest.raises(ValueError):
        AttemptClock(datetime(2023, 7, 5, 10), 20 * M, CLOSES, S)


# --- starting -------------------------------------------------------------------------

STARTS = [
    (
        "test_start_before_the_round_opens_is_refused",
        0,
        0,
        OPENS - S,
        "not_open_yet",
        "Đợt thi chưa mở; đợt thi bắt đầu lúc 10:00 ngày 03/07/2023",
        "The round is not open yet; it opens at 10:00 on 03/07/2023 (UTC+7)",
    ),
    ("test_start_at_the_opening_minute_is_allowed", 0, 1, OPENS, None, "", ""),
    (
        "test_start_at_the_closing_minute_is_refused",
        0,
        0,
        CLOSES,
        "closed",
        "Đợt thi đã kết thúc lúc 09:00 ngày 10/07/2023",
        "The round closed at 09:00 on 10/07/2023 (UTC+7)",
    ),
    (
        "test_start_with_no_attempts_left_is_refused",
        3,
        3,
        START,
        "no_attempts_left",
        "Bạn đã dùng hết 3 lượt thi của đợt này",
        "You have used all 3 attempts allowed in this round",
    ),
    (
        "test_single_attempt_round_refuses_a_second",
        1,
        1,
        START,
        "no_attempts_left",
        "Bạn đã dùng lượt thi duy nhất của đợt này",
        "You have already used your one attempt in this round",
    ),
    ("test_start_with_attempts_left_is_allowed", 2, 3, START, None, "", ""),
    ("test_unlimited_attempts_never_run_out", 500, 0, START, None, "", ""),
]


@pytest.mark.parametrize(
    ("used", "maximum", "now", "reason", "message_vi", "message_en"),
    [s[1:] for s in STARTS],
    ids=[s[0] for s in STARTS],
)
def test_can_start(used, maximum, now, reason, message_vi, message_en):
    check = can_start(used, maximum, WINDOW, now)
    assert bool(check) is (reason is None)
    assert (check.reason, check.message_vi, check.message_en) == (reason, message_vi, message_en)


def test_a_refused_start_raises_a_bilingual_error():
    with pytest.raises(ContestError) as caught:
        can_start(1, 1, WINDOW, START).raise_if_refused()
    assert caught.value.message_vi == "Bạn đã dùng lượt thi duy nhất của đợt này"
    can_start(0, 1, WINDOW, START).raise_if_refused()


def test_a_round_that_closes_before_it_opens_is_refused():
    with pytest.raises(ValueError):
        RoundWindow(CLOSES, OPENS)


# --- what may be shown ----------------------------------------------------------------

VISIBILITY = [
    # setting,      final, closed, shown
    ("on_submit", False, False, False),
    ("on_submit", False, True, False),
    ("on_submit", True, False, True),
    ("on_submit", True, True, True),
    ("after_close", False, False, False),
    ("after_close", False, True, False),
    ("after_close", True, False, False),
    ("after_close", True, True, True),
    ("never", True, True, False),
    ("never", False, False, False),
]


@pytest.mark.parametrize(("setting", "final", "closed", "shown"), VISIBILITY)
def test_score_visibility(setting, final, closed, shown):
    assert may_show_score(ResultVisibility(show_score=setting), final, closed) is shown


@pytest.mark.parametrize(("setting", "final", "closed", "shown"), VISIBILITY)
def test_key_visibility(setting, final, closed, shown):
    assert may_show_key(ResultVisibility(show_key=setting), final, closed) is shown


@pytest.mark.parametrize("setting", ["on_submit", "after_close", "never"])
def test_key_is_never_shown_before_the_attempt_is_final(setting):
    visibility = ResultVisibility(show_score=setting, show_key=setting)
    for closed in (False, True):
        assert not may_show_key(visibility, False, closed)
        assert not may_show_score(visibility, False, closed)


def test_unknown_visibility_setting_is_a_programming_error():
    with pytest.raises(ValueError):
        ResultVisibility(show_key="always")  # type: ignore[arg-type]


def test_key_on_submit_is_refused_when_another_attempt_may_follow():
    with pytest.raises(ContestError) as caught:
        validate_visibility(ResultVisibility(show_key="on_submit"), max_attempts=0)
    assert caught.value.field == "show_key"
    validate_visibility(ResultVisibility(show_key="on_submit"), max_attempts=1)
    validate_visibility(ResultVisibility(show_key="after_close"), max_attempts=0)
