"""The live page's figures against known data: attempts and saves made here, numbers asserted."""

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, utc

from contest import clock
from contest.services import live, taking

NOW = utc(2026, 11, 27, 8, 30, 15)  # 15:30 in Vietnam


@pytest.fixture
def running(db):
    """A round open since yesterday: five registered, three finished, one under way."""
    clock.freeze(NOW)
    contest = make_contest(db, "truc-tiep")
    rnd = contest.rounds[0]  # opened NOW - 1 day
    versions = make_bank(db, "live-bank", questions=5)
    day = timedelta(days=1)
    people = [
        make_entrant(db, contest, "Nguyễn Văn An", "LS-TP-CL"),
        make_entrant(db, contest, "Trần Thị Bình", "LS-TP-CL"),
        make_entrant(db, contest, "Lê Văn Cường", "LS-TP-CL"),
        make_entrant(db, contest, "Hoàng Thị Dung", "LS-TD"),
        make_entrant(db, contest, "Phạm Văn Em", "LS-TD"),  # registered, never started
    ]
    # Finished: yesterday 16:00 local, today 15:00 and 15:25 local.
    make_final_attempt(db, rnd, people[0], versions, 5, start_offset=timedelta(minutes=30))
    make_final_attempt(db, rnd, people[1], versions, 4, start_offset=day - timedelta(minutes=30))
    make_final_attempt(db, rnd, people[3], versions, 3, start_offset=day - timedelta(minutes=5))
    under_way = make_final_attempt(
        db,
        rnd,
        people[2],
        versions,
        0,
        answered=0,
        materialise=False,
        start_offset=day - timedelta(minutes=2),
    )
    return contest, rnd, people, under_way


def test_counts_of_people_and_attempts(db, running):
    contest, _, _, _ = running
    view = live.build(db, contest)
    assert view.registered == 5
    assert (view.active_participants, view.active_attempts) == (1, 1)
    assert (view.attempts_started, view.attempts_final) == (4, 3)


def test_starts_and_finishes_by_minute_in_vietnam_time(db, running):
    contest, _, _, _ = running
    view = live.build(db, contest)
    starts = dict(zip(view.started_per_minute.labels, view.started_per_minute.values))
    assert len(starts) == live.MINUTES_SHOWN and view.started_per_minute.labels[-1] == "15:30"
    assert {k: v for k, v in starts.items() if v} == {"15:00": 1, "15:25": 1, "15:28": 1}
    finished = dict(zip(view.finished_per_minute.labels, view.finished_per_minute.values))
    # Each finished attempt took 300 s.
    assert {k: v for k, v in finished.items() if v} == {"15:05": 1, "15:30": 1}


def test_starts_by_day_and_by_hour(db, running):
    contest, _, _, _ = running
    view = live.build(db, contest)
    assert dict(zip(view.by_day.labels, view.by_day.values)) == {"26/11": 1, "27/11": 3}
    hours = dict(zip(view.by_hour.labels, view.by_hour.values))
    assert len(hours) == 24 and view.by_hour.labels[-1] == "15h"
    assert {k: v for k, v in hours.items() if v} == {"16h": 1, "15h": 3}


def test_participation_by_unit_against_headcount(db, running):
    contest, _, _, _ = running
    units = {u.name: u for u in live.build(db, contest).units}
    # Chi Lăng's three count for the city (820 staff); Tràng Định has one of two registered.
    assert (units["Thành phố Lạng Sơn"].participants, units["Thành phố Lạng Sơn"].headcount) == (
        3,
        820,
    )
    assert units["Huyện Tràng Định"].participants == 1
    assert units["Huyện Tràng Định"].rate == pytest.approx(1 / 640)
    assert [u.name for u in live.build(db, contest).units] == [
        "Thành phố Lạng Sơn",
        "Huyện Tràng Định",
    ]


def test_saves_per_second_and_the_error_rate_come_from_the_counters(db, running):
    contest, rnd, people, under_way = running
    for pos in range(3):
        taking.save_answer(db, people[2].id, under_way.id, pos, [0], order=10 + pos)
    for status in (200, 200, 200, 503, 403):
        live.count_request(status)
    view = live.build(db, contest)
    assert view.saves_per_second_series.total * live.BUCKET_SECONDS == 3
    assert view.saves_per_second_series.values[-1] == 3 / live.BUCKET_SECONDS
    window_start = (int(NOW.timestamp()) - 300) // 10 * 10 + 10
    assert view.saves_per_second == pytest.approx(3 / (NOW.timestamp() - window_start))
    assert (view.requests, view.errors, view.refused) == (5, 1, 1)
    assert view.error_rate == pytest.approx(0.2) and view.refusal_rate == pytest.approx(0.2)


def test_counters_from_several_processes_add_up_and_old_ones_are_purged(db, running):
    contest, rnd, _, _ = running
    live.count(rnd.id, "save", 4)
    live.flush(db)
    live.count(rnd.id, "save", 6)  # another flush of the same bucket adds to it
    live.flush(db)
    live.count(rnd.id, "save", 7, at=NOW - timedelta(days=3))
    live.flush(db)
    assert live.build(db, contest).saves_per_second_series.total * live.BUCKET_SECONDS == 10
    assert live.purge(db) == 1


def test_the_view_is_cached_for_a_few_seconds(db, running):
    contest, rnd, _, _ = running
    first = live.live_view(db, contest)
    live.count(rnd.id, "save", 5)
    assert live.live_view(db, contest) is first
    live.reset()
    assert live.live_view(db, contest) is not first


def test_the_page_costs_a_fixed_handful_of_queries(db, running):
    contest, _, _, _ = running
    view = live.build(db, contest)
    # Every few seconds: rounds, active, attempts since a minute ago (2), starts and finishes a
    # minute, two counter reads, by hour. Once a minute also: the totals before, by day, the
    # collective plan, the units, participation by unit, registered.
    assert view.queries <= 15 and view.build_ms > 0
    assert live.build(db, contest, view.slow).queries <= 9


def test_the_whole_contest_figures_are_kept_a_minute_while_the_live_ones_refresh(
    db, running, monkeypatch
):
    contest, rnd, people, under_way = running
    monkeypatch.setattr(live, "TTL_SECONDS", 0.0)
    first = live.live_view(db, contest)
    make_entrant(db, contest, "Đỗ Văn Giang", "LS-TD")
    taking.save_answer(db, people[2].id, under_way.id, 0, [1], order=99)
    second = live.live_view(db, contest)
    assert second is not first and second.queries < first.queries
    assert second.saves_per_second_series.total * live.BUCKET_SECONDS == 1  # live
    assert second.registered == first.registered == 5  # a minute old at most
    monkeypatch.setattr(live, "SLOW_TTL_SECONDS", 0.0)
    assert live.live_view(db, contest).registered == 6
