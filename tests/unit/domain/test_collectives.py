import pytest

from contest.domain.collectives import (
    CollectiveCriterion,
    CollectivePlan,
    Participation,
    SizeBand,
    Unit,
    collective_tiers,
    rank_units,
)
from contest.domain.errors import ContestError
from contest.domain.prizes import Outcome, TieRule

UNITS = [
    Unit("province", "Tỉnh Lạng Sơn"),
    Unit("so-tt", "Sở Thông tin và Truyền thông", "province", headcount=40, pool="agencies"),
    Unit("so-gd", "Sở Giáo dục và Đào tạo", "province", headcount=80, pool="agencies"),
    Unit("cao-loc", "Huyện Cao Lộc", "province", headcount=200, pool="districts"),
    Unit("loc-binh", "Huyện Lộc Bình", "province", headcount=150, pool="districts"),
    Unit("xa-a", "Xã Hợp Thành", "cao-loc"),
    Unit("xa-b", "Xã Tú Mịch", "loc-binh"),
]


def people(unit, count, start=0, score=None, prize=None):
    return [Participation(f"{unit}-{start + i}", unit, score, prize) for i in range(count)]


def plan(criterion, **kwargs):
    kwargs.setdefault("tiers", collective_tiers({"agencies": 1, "districts": 1}))
    return CollectivePlan(criterion=criterion, pools=("agencies", "districts"), **kwargs)


def winners(result):
    return sorted(s.unit.unit_id for s in result.winners())


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (CollectiveCriterion.PARTICIPANTS, ["cao-loc", "so-gd"]),
        (CollectiveCriterion.PARTICIPATION_RATE, ["cao-loc", "so-tt"]),
        (CollectiveCriterion.MEAN_SCORE, ["loc-binh", "so-tt"]),
    ],
)
def test_units_are_ranked_by_the_declared_criterion(criterion, expected):
    participations = [
        *people("so-tt", 30, score=9),  # 75%
        *people("so-gd", 35, score=7),  # 43.75%
        *people("cao-loc", 150, score=6),  # 75%
        *people("loc-binh", 100, score=8),  # 66.7%
    ]
    assert winners(rank_units(UNITS, participations, plan(criterion))) == expected


def test_points_add_prize_points_and_participation():
    participations = [
        *people("so-tt", 10, prize=None),
        *people("so-gd", 10),
        *people("so-gd", 1, start=100, prize="first"),
        *people("cao-loc", 100),
        *people("loc-binh", 90),
    ]
    result = rank_units(
        UNITS,
        participations,
        plan(
            CollectiveCriterion.POINTS,
            prize_points={"first": 10, "second": 7},
            points_per_participation_percent=0.5,
        ),
    )
    so_gd = next(s for s in result.standings if s.unit.unit_id == "so-gd")
    # 10 for the first prize + 0.5 × 13.75% participation
    assert so_gd.points == pytest.approx(10 + 0.5 * 11 / 80 * 100)
    assert winners(result) == ["loc-binh", "so-gd"]


def test_sizes_bands_set_the_participation_threshold():
    bands = (SizeBand(49, 0.30), SizeBand(99, 0.25))
    participations = [*people("so-tt", 11), *people("so-gd", 20), *people("cao-loc", 5)]
    result = rank_units(
        UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS, size_bands=bands)
    )
    by_id = {s.unit.unit_id: s for s in result.standings}
    # 11/40 = 27.5% misses the 30% bar for units under 50; 20/80 = 25% meets the 25% bar.
    assert not by_id["so-tt"].qualifies
    assert "30%" in by_id["so-tt"].reason_en and "27,5%" in by_id["so-tt"].reason_vi
    assert by_id["so-tt"].outcome is Outcome.INELIGIBLE
    assert by_id["so-gd"].qualifies and by_id["so-gd"].outcome is Outcome.AWARDED
    # No band covers 200 staff, so no threshold applies.
    assert by_id["cao-loc"].qualifies


def test_participants_roll_up_to_ancestors_only_when_set():
    participations = [*people("xa-a", 30), *people("cao-loc", 5), *people("loc-binh", 20)]
    flat = rank_units(UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS))
    rolled = rank_units(UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS, roll_up=True))
    assert winners(flat) == ["loc-binh"]
    assert winners(rolled) == ["cao-loc"]
    assert next(s for s in rolled.standings if s.unit.unit_id == "cao-loc").participants == 35


def test_pools_are_ranked_separately():
    participations = [
        *people("so-tt", 1),
        *people("so-gd", 2),
        *people("cao-loc", 90),
        *people("loc-binh", 80),
    ]
    result = rank_units(
        UNITS,
        participations,
        plan(
            CollectiveCriterion.PARTICIPANTS,
            tiers=collective_tiers({"agencies": 1, "districts": 2}),
        ),
    )
    ranks = [(s.unit.unit_id, s.rank) for s in result.standings]
    assert ranks == [("so-gd", 1), ("so-tt", 2), ("cao-loc", 1), ("loc-binh", 2)]
    assert winners(result) == ["cao-loc", "loc-binh", "so-gd"]


def test_a_tie_between_units_follows_the_tie_rule():
    participations = [*people("so-tt", 10), *people("so-gd", 10)]
    shared = rank_units(UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS))
    assert sorted(s.unit.unit_id for s in shared.winners("agencies")) == ["so-gd", "so-tt"]
    held = rank_units(
        UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS, tie_rule=TieRule.COMMITTEE)
    )
    assert held.winners("agencies") == ()
    assert held.allocation.needs_committee_decision
    assert [s.rank for s in held.pool("agencies")] == [1, 1]


def test_a_participant_counts_once_per_unit():
    participations = [Participation("p1", "so-tt", 5), Participation("p1", "so-tt", 7)]
    result = rank_units(UNITS, participations, plan(CollectiveCriterion.PARTICIPANTS))
    assert next(s for s in result.standings if s.unit.unit_id == "so-tt").participants == 1


@pytest.mark.parametrize(
    ("units", "participations"),
    [
        ([Unit("a", "A", "b"), Unit("b", "B", "a")], []),
        ([Unit("a", "A", "missing")], []),
        ([Unit("a", "A")], [Participation("p", "nowhere")]),
    ],
)
def test_a_broken_tree_or_unknown_unit_is_refused(units, participations):
    with pytest.raises(ContestError):
        rank_units(units, participations, plan(CollectiveCriterion.PARTICIPANTS))
