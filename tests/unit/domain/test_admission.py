"""The admission controller for starts: AIMD on latency, the token bucket, the queue's window,
expiry and the estimates people read."""

from __future__ import annotations

import pytest

from contest.domain.admission import (
    AdmissionSettings,
    ShedSettings,
    StartController,
    estimated_wait,
    is_live,
    next_rate,
    p95,
    place_in,
    poll_after,
    poll_ms,
    refresh_seconds,
    retry_seconds,
    rounded_wait,
    should_shed,
)

S = AdmissionSettings(initial_rate=10.0, increase=2.0, decrease=0.5, min_rate=1.0, max_rate=50.0)


@pytest.mark.parametrize(
    "start_p95, save_p95, demand, expected",
    [
        (100.0, 20.0, True, 12.0),  # fast and wanted: one step up
        (100.0, 20.0, False, 10.0),  # fast but nobody refused: no evidence for more
        (400.0, 20.0, True, 5.0),  # slow starts: halve
        (100.0, 90.0, True, 5.0),  # slow saves back off starts too
        (None, None, True, 12.0),  # nothing measured yet: probe upwards while people wait
    ],
)
def test_aimd_step(start_p95, save_p95, demand, expected):
    assert next_rate(10.0, start_p95, save_p95, demand, S) == expected


def test_the_rate_stays_within_its_bounds():
    assert next_rate(1.5, 999.0, None, True, S) == S.min_rate
    assert next_rate(49.0, 10.0, None, True, S) == S.max_rate


def test_p95_of_twenty_samples_is_the_nineteenth():
    assert p95([float(i) for i in range(1, 21)]) == 19.0
    assert p95([]) is None


def test_the_bucket_lets_through_its_rate_and_no_more():
    c = StartController(AdmissionSettings(initial_rate=4.0, max_concurrent=100, burst_seconds=0.5))
    admitted = 0
    t = 0.0
    while t < 10.0:
        if c.try_admit(t):
            admitted += 1
            c.finished(t, 1.0)
        t += 0.01
    # 4 a second for 10 s, give or take the burst, while the rate has no reason to move
    # (no latency over target, but refusals: demand) — the rate grows by AIMD, so bound loosely.
    assert 35 <= admitted <= 4 * 10 + sum(2.0 * k for k in range(1, 11)) + 2


def test_starts_running_at_once_are_capped_so_saves_keep_threads():
    c = StartController(AdmissionSettings(initial_rate=1000.0, max_concurrent=3, burst_seconds=1))
    c.tokens = 100.0
    assert [c.try_admit(0.0) for _ in range(4)] == [True, True, True, False]
    c.finished(0.001, 5.0)
    assert c.try_admit(0.002)


def test_slow_starts_lower_the_rate_and_fast_ones_with_demand_raise_it():
    c = StartController(AdmissionSettings(initial_rate=20.0, decrease=0.5, increase=2.0))
    c.try_admit(0.0)
    for i in range(10):
        c.finished(0.1 + i * 0.01, 900.0)
    c.try_admit(1.5)  # the adjustment comes with the next call after a second
    assert c.rate == 10.0
    for i in range(10):
        c.finished(1.6 + i * 0.01, 20.0)
    c.note_waiting(2.7)
    assert c.rate == 12.0


def test_slow_saves_alone_lower_the_rate():
    c = StartController(AdmissionSettings(initial_rate=20.0, decrease=0.5, save_target_ms=50))
    c.try_admit(0.0)
    for _ in range(10):
        c.note_save(200.0)
    c.note_waiting(1.2)
    assert c.rate == 10.0


def test_tokens_are_granted_to_the_head_of_the_queue_at_the_rate():
    c = StartController(AdmissionSettings(initial_rate=10.0, increase=0.0, burst_seconds=1.0))
    c.grant(0.0, 100)  # the first call starts the clock
    assert c.grant(0.5, 100) == 5  # half a second at 10 a second
    assert c.grant(0.6, 100) == 1
    assert c.grant(0.6, 100) == 0
    # More waiting than tokens: never more than the bucket holds (1 s of the rate).
    assert c.grant(5.0, 100) == 10
    # Fewer waiting than tokens: the rest is kept for the next ask.
    c.tokens = 3.0
    assert c.grant(5.0, 1) == 1 and c.tokens == 2.0
    c.give_back(1)
    assert c.tokens == 3.0


def test_the_estimate_and_the_polling_interval():
    s = AdmissionSettings(poll_min=1.0, poll_max=8.0)
    assert estimated_wait(99, 20.0) == 5.0
    assert poll_after(0.5, s) == 1.0  # near the head: ask every second
    assert poll_after(600.0, s) == 8.0  # far back: rarely


def test_near_the_head_the_page_asks_within_a_quarter_second_far_back_rarely():
    s = AdmissionSettings()  # the defaults the site runs with
    assert poll_ms(0.05, s) == 250  # next in line at 20 starts/s: a called paper waits ≤ 0.25 s
    assert poll_ms(2.0, s) == 1000  # half the remaining wait
    assert poll_ms(3600.0, s) == 15000
    # Halving the interval each ask, a person 60 s back asks about eight times in all.
    wait, asks = 60.0, 0
    while wait > 0:
        wait -= poll_after(wait, s)
        asks += 1
    assert 6 <= asks <= 10


def test_a_page_without_javascript_refreshes_in_whole_seconds():
    assert refresh_seconds(250) == 1
    assert refresh_seconds(1000) == 1
    assert refresh_seconds(1001) == 2


def test_a_place_from_a_snapshot_of_the_queue():
    waiting = [3, 8, 9, 15]
    assert place_in(waiting, 3) == 0
    assert place_in(waiting, 15) == 3
    assert place_in(waiting, 10) is None  # called, served, left, or newer than the snapshot
    assert place_in(waiting, 99) is None
    assert place_in([], 1) is None


def test_a_ticket_whose_page_stopped_asking_expires():
    s = AdmissionSettings(ticket_ttl=30.0)
    assert is_live(29.9, s)
    assert not is_live(30.1, s)


@pytest.mark.parametrize(
    "seconds, shown",
    [
        (0.4, (5, "seconds")),
        (12, (15, "seconds")),
        (56, (60 // 60, "minutes")),
        (61, (2, "minutes")),
    ],
)
def test_waits_are_rounded_as_people_read_them(seconds, shown):
    assert rounded_wait(seconds) == shown


def test_slow_saves_halve_the_pages_running_at_once_and_fast_ones_let_more_in():
    from contest.domain.admission import PageGateSettings, next_page_limit

    s = PageGateSettings(minimum=1, maximum=8, save_target_ms=40.0)
    assert next_page_limit(6, 90.0, True, s) == 3  # saves slow: pages back off at once
    assert next_page_limit(1, 90.0, True, s) == 1  # never below one: pages still move
    assert next_page_limit(3, 10.0, True, s) == 4  # saves fast and pages waiting: one more
    assert next_page_limit(3, 10.0, False, s) == 3  # nobody waiting: no evidence for more
    assert next_page_limit(8, None, True, s) == 8  # at most the maximum


def test_the_page_gate_moves_on_the_saves_measured_in_each_interval():
    from contest.domain.admission import PageGate, PageGateSettings

    gate = PageGate(PageGateSettings(initial=4, adjust_every=0.5, min_samples=5))
    assert gate.adjust(0.0, True) == 4
    for _ in range(10):
        gate.note_save(200.0)
    assert gate.adjust(0.2, True) == 4  # within the interval: no change
    assert gate.adjust(0.6, True) == 2
    for _ in range(3):
        gate.note_save(200.0)  # too few to judge: treated as no saves, pages waiting
    assert gate.adjust(1.2, True) == 3


def test_the_page_gate_is_busy_when_more_pages_wait_than_run_at_once():
    from contest.domain.admission import PageGate, PageGateSettings

    gate = PageGate(PageGateSettings(initial=2))
    gate.waiting = 2
    assert not gate.busy()
    gate.waiting = 3
    assert gate.busy()


SHED = ShedSettings(budget_seconds=2.5, retry_min=2, retry_max=10)


@pytest.mark.parametrize(
    "waited, ahead, limit, page_seconds, shed",
    [
        (0.0, 0, 4, 0.05, False),  # first in the queue: a page's time
        (0.0, 0, 4, 3.0, True),  # pages slower than the budget: even first in line
        (0.0, 100, 4, 0.05, False),  # 25 rounds of 50 ms: 1.3 s, within the budget
        (0.0, 200, 4, 0.05, True),  # 51 rounds of 50 ms: 2.55 s, over it
        (0.0, 10_000, 4, None, False),  # nothing measured yet: only waiting sheds
        (2.4, 10, 4, 0.05, False),
        (2.5, 0, 4, 0.05, True),  # waited its budget
    ],
)
def test_a_page_is_shed_when_it_has_waited_or_would_wait_past_the_budget(
    waited, ahead, limit, page_seconds, shed
):
    assert should_shed(waited, ahead, limit, page_seconds, SHED) is shed


def test_the_busy_page_asks_again_later_the_longer_the_queue_within_bounds():
    assert retry_seconds(0, 4, 0.05, 1.0, SHED) == 2
    assert retry_seconds(400, 4, 0.05, 1.0, SHED) == 5  # 101 rounds of 50 ms
    assert retry_seconds(100_000, 4, 0.05, 1.0, SHED) == 10
    assert retry_seconds(100_000, 4, 0.05, 1.25, SHED) == 10  # jitter stays within bounds
    assert retry_seconds(400, 4, 0.05, 0.75, SHED) == 4  # and spreads retries out
    assert retry_seconds(10, 4, None, 1.0, SHED) == 2
