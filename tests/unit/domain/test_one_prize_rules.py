"""One prize per person across rounds, both ways the contest may state it, and the boundary
ties that must reach the committee (individual and collective)."""

from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.collectives import (
    CollectiveCriterion,
    CollectivePlan,
    Participation,
    Unit,
    collective_tiers,
    rank_units,
)
from contest.domain.prizes import (
    LineRule,
    OnePrizeScope,
    Outcome,
    PrizePlan,
    PrizeTier,
    TieRule,
    allocate_contest,
)
from contest.domain.ranking import Entry

T0 = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)
TIERS = (
    PrizeTier("first", "Giải Nhất", "First prize", 1, 1),
    PrizeTier("second", "Giải Nhì", "Second prize", 2, 1),
    PrizeTier("third", "Giải Ba", "Third prize", 3, 1),
)


def plan(scope=OnePrizeScope.CONTEST, one=True):
    return PrizePlan(tiers=TIERS, one_prize_per_person=one, one_prize_scope=scope)


def round_of(prefix, *owners):
    """Owners best first: scores 10, 9, 8, …"""
    return (
        prefix,
        [
            Entry(f"{prefix}-{o}", o, 10 - i, submitted_at=T0 + timedelta(minutes=i))
            for i, o in enumerate(owners)
        ],
    )


def prizes_of(allocations):
    return [{r.entry.owner_id: r.tier_code for r in a.awarded()} for a in allocations]


# Bình wins third in week 1 and then first in week 2; Chi and Dung are next in line.
WEEKS = [round_of("1", "an", "chi", "binh", "dung"), round_of("2", "binh", "em", "giang")]


@pytest.mark.parametrize(
    ("scope", "one", "expected"),
    [
        pytest.param(
            OnePrizeScope.CONTEST,
            True,
            [
                {"an": "first", "chi": "second", "dung": "third"},
                {"binh": "first", "em": "second", "giang": "third"},
            ],
            id="highest-kept-across-the-contest-hands-the-freed-third-to-the-next-in-line",
        ),
        pytest.param(
            OnePrizeScope.ROUND,
            True,
            [
                {"an": "first", "chi": "second", "binh": "third"},
                {"binh": "first", "em": "second", "giang": "third"},
            ],
            id="per-round-independently-lets-binh-win-in-both-weeks",
        ),
        pytest.param(
            OnePrizeScope.CONTEST,
            False,
            [
                {"an": "first", "chi": "second", "binh": "third"},
                {"binh": "first", "em": "second", "giang": "third"},
            ],
            id="no-one-prize-rule-at-all",
        ),
    ],
)
def test_one_prize_per_person_follows_the_rule_the_contest_states(scope, one, expected):
    allocations = allocate_contest(WEEKS, [plan(scope, one)] * 2)
    assert prizes_of(allocations) == expected


def test_a_later_higher_prize_says_where_it_is_held_on_the_freed_line():
    week1, _ = allocate_contest(WEEKS, [plan()] * 2)
    freed = week1.result_for("1-binh")
    assert freed.outcome is Outcome.HAS_HIGHER_PRIZE
    assert "Giải Nhất" in freed.reason_vi and "đợt 2" in freed.reason_vi


def test_nobody_holds_two_prizes_when_the_whole_contest_keeps_the_highest():
    weeks = [round_of(str(n), "an", "binh", "chi", f"x{n}") for n in range(1, 5)]
    allocations = allocate_contest(weeks, [plan()] * 4)
    owners = [r.entry.owner_id for a in allocations for r in a.awarded()]
    assert len(owners) == len(set(owners)) == 7  # everyone who entered wins once


def test_rounds_of_different_rules_are_allocated_each_as_its_plan_says():
    allocations = allocate_contest(WEEKS, [plan(), plan(OnePrizeScope.ROUND)])
    # Week 2 reads the rule per round, so it does not take part in the contest-wide rule.
    assert prizes_of(allocations)[0]["binh"] == "third"


@pytest.mark.parametrize(
    ("scope", "one", "rule"),
    [
        (OnePrizeScope.CONTEST, True, LineRule.CONTEST_HIGHEST),
        (OnePrizeScope.ROUND, True, LineRule.PER_ROUND),
        (OnePrizeScope.ROUND, False, LineRule.NONE),
    ],
)
def test_each_plan_names_the_rule_its_lines_follow(scope, one, rule):
    assert plan(scope, one).line_rule is rule


# Collective ties at a quota boundary ------------------------------------------------------


def units_with_rates(rates, headcount=100):
    units = [Unit(f"u{i}", f"Đơn vị {i}", None, headcount, "districts") for i in range(len(rates))]
    people = [
        Participation(f"u{i}-p{k}", f"u{i}", 5.0)
        for i, rate in enumerate(rates)
        for k in range(round(rate * headcount))
    ]
    return units, people


@pytest.mark.parametrize(
    ("rule", "keys", "awarded", "undecided"),
    [
        pytest.param(TieRule.COMMITTEE, (), 1, 2, id="two-units-tied-at-the-boundary-wait"),
        pytest.param(TieRule.SHARE, (), 3, 0, id="the-share-rule-gives-both"),
    ],
)
def test_units_tied_at_a_quota_boundary_are_never_dropped(rule, keys, awarded, undecided):
    units, people = units_with_rates([0.30, 0.10, 0.10, 0.05])
    plan_ = CollectivePlan(
        criterion=CollectiveCriterion.PARTICIPATION_RATE,
        tiers=collective_tiers({"districts": 2}),
        pools=("districts",),
        tie_rule=rule,
        keys=keys,
    )
    result = rank_units(units, people, plan_)
    outcomes = [s.outcome for s in result.standings]
    assert outcomes.count(Outcome.AWARDED) == awarded
    assert outcomes.count(Outcome.UNDECIDED) == undecided


def test_a_second_collective_key_settles_a_tie_on_the_first():
    units = [
        Unit("big", "Huyện lớn", None, 200, "districts"),
        Unit("small", "Huyện nhỏ", None, 100, "districts"),
    ]
    people = [Participation(f"b{k}", "big", 5.0) for k in range(20)] + [
        Participation(f"s{k}", "small", 5.0) for k in range(10)
    ]
    plan_ = CollectivePlan(
        criterion=CollectiveCriterion.PARTICIPATION_RATE,
        tiers=collective_tiers({"districts": 1}),
        pools=("districts",),
        tie_rule=TieRule.COMMITTEE,
        keys=(CollectiveCriterion.PARTICIPANTS,),
    )
    result = rank_units(units, people, plan_)
    assert [s.unit.unit_id for s in result.winners()] == ["big"]
