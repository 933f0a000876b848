"""Rules that decide winners, end to end on a real database: the counting attempt, one prize
per person across rounds, ties kept to the list, four eyes and the states of a list."""

from datetime import timedelta

import pytest
from factories import make_bank, make_entrant, make_final_attempt, make_staff
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError, PermissionDenied
from contest.models import AuditEntry
from contest.services import contests, prize_lists, prize_plans, prizes, results, units
from contest.services.context import SYSTEM, Actor

UNITS_CSV = (
    "code,name,parent_code,headcount\n"
    "LS,Tỉnh Lạng Sơn,,\n"
    "LS-TP,Thành phố Lạng Sơn,LS,100\n"
    "LS-TD,Huyện Tràng Định,LS,100\n"
    "LS-VL,Huyện Văn Lãng,LS,100\n"
    "LS-SNV,Sở Nội vụ,LS,20\n"
).encode()


def tier(code, label, order, quota, **extra):
    return {
        "code": code,
        "label_vi": label,
        "label_en": code,
        "rank_order": order,
        "quota": quota,
        **extra,
    }


def actor(user) -> Actor:
    return Actor("staff", user.id, user.username)


def make_rounds_contest(db, slug: str, rounds: int = 1):
    now = clock.now()
    spec = contests.ContestSpec(
        slug=slug,
        title_vi="Cuộc thi trắc nghiệm trực tuyến tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
        title_en="Digital transformation contest",
        organiser_vi="BAN TỔ CHỨC",
        place_vi="Lạng Sơn",
        rules_vi="",
        rules_en="",
        min_age=12,
        rounds=tuple(
            contests.RoundSpec(
                n,
                f"Tuần {n}",
                f"Week {n}",
                now - timedelta(days=1) + timedelta(days=7 * (n - 1)),
                now + timedelta(days=6) + timedelta(days=7 * (n - 1)),
            )
            for n in range(1, rounds + 1)
        ),
    )
    contest = contests.create_contest(db, SYSTEM, spec)
    assert units.import_units(db, SYSTEM, contest, UNITS_CSV, "units.csv").ok
    return contest


@pytest.fixture
def committee(db):
    member = make_staff(db, "uyvien", ["committee_member"])
    other = make_staff(db, "uyvien2", ["committee_member"])
    chair = make_staff(db, "chutich", ["committee_chair", "committee_member"])
    return actor(member), actor(other), actor(chair)


def close(db, who, round_):
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    return results.close_round(db, who, round_)


# --- the counting attempt ------------------------------------------------------------------


def test_the_closer_prediction_chooses_the_counting_attempt_when_scores_tie(db, committee):
    member, _, _ = committee
    contest = make_rounds_contest(db, "dem-du-doan")
    round_ = contest.rounds[0]
    versions = make_bank(db, "dd-bank", 10)
    an = make_entrant(db, contest, "Nguyễn Văn An", unit_code="LS-TP")
    # Both 10 of 10: the true figure is 1 (An alone), so the slower attempt's 1 is exact.
    fast_far = make_final_attempt(db, round_, an, versions, 10, seconds=100, prediction=50)
    slow_close = make_final_attempt(
        db,
        round_,
        an,
        versions,
        10,
        seconds=400,
        prediction=1,
        number=2,
        start_offset=timedelta(hours=2),
    )
    prize_plans.save_plan(db, member, contest, {"tiers": [tier("first", "Giải Nhất", 1, 1)]})
    report = close(db, member, round_)
    assert report.true_figure == 1
    data = results.load_round(db, round_)
    assert data.counting[an.id].id == slow_close.id != fast_far.id
    row = results.individual_ranking(db, round_, data)[0]
    assert row.attempt.id == slow_close.id and row.entry.prediction_error == 0
