"""Plans as organisers write them: checked field by field, every problem in both languages."""

import pytest

from contest.domain.collectives import CollectiveCriterion, Participation, Unit, rank_units
from contest.domain.errors import InvalidInput
from contest.domain.plans import check_collective_plan, check_prize_plan, check_screening
from contest.domain.prizes import TieRule

TIERS = [
    {"code": "first", "label_vi": "Giải Nhất", "label_en": "First prize", "quota": "1"},
    {"code": "second", "label_vi": "Giải Nhì", "label_en": "Second prize", "quota": 2},
    {"code": "", "label_vi": "", "label_en": "", "quota": ""},  # a blank form row
]


def problems(excinfo) -> dict[str, tuple[str, str]]:
    return {e.field: (e.message_vi, e.message_en) for e in excinfo.value.errors}


def test_a_form_plan_becomes_the_domain_plan_and_a_canonical_spec():
    plan, spec = check_prize_plan({"tiers": TIERS, "tie_rule": "committee", "cap_percent": "50"})
    assert [t.code for t in plan.tiers_in_order] == ["first", "second"]
    assert plan.tie_rule is TieRule.COMMITTEE and plan.cap_percent == 50
    assert spec["tiers"][1] == {
        "code": "second",
        "label_vi": "Giải Nhì",
        "label_en": "Second prize",
        "rank_order": 2,
        "quota": 2,
    }
    assert check_prize_plan(spec)[1] == spec  # the canonical spec reads back the same


def test_every_bad_field_is_named_at_once_in_both_languages():
    tiers = [
        {"code": "first", "label_vi": "Giải Nhất", "quota": "-1"},
        {"code": "first", "label_vi": "", "quota": "hai", "min_score": "7,5"},
    ]
    with pytest.raises(InvalidInput) as excinfo:
        check_prize_plan({"tiers": tiers, "cap_percent": "150", "tie_rule": "coin"})
    found = problems(excinfo)
    assert set(found) >= {
        "tiers.1.quota",
        "tiers.2.code",
        "tiers.2.label_vi",
        "tiers.2.quota",
        "cap_percent",
        "tie_rule",
    }
    vi, en = found["tiers.2.code"]
    assert "trùng với giải thứ 1" in vi and "repeats tier 1" in en
    vi, en = found["cap_percent"]
    assert "Tỷ lệ giải tối đa" in vi and "Prize cap" in en and "150" in en


def test_a_decimal_comma_is_read_as_vietnamese_write_it():
    plan, _ = check_prize_plan(
        {"tiers": [{"code": "a", "label_vi": "Giải A", "quota": 1, "min_score": "7,5"}]}
    )
    assert plan.tiers[0].min_score == 7.5


def test_group_quotas_need_declared_groups():
    raw = {
        "tiers": [
            {"code": "a", "label_vi": "A", "quota": 0, "group_quotas": "officials=1, pupils=2"}
        ],
        "groups": "officials",
    }
    with pytest.raises(InvalidInput) as excinfo:
        check_prize_plan(raw)
    vi, en = problems(excinfo)["tiers.1.group_quotas"]
    assert "'pupils'" in vi and "'pupils'" in en
    raw["groups"] = "officials, pupils"
    plan, spec = check_prize_plan(raw)
    assert plan.tiers[0].group_quotas == {"officials": 1, "pupils": 2}
    assert spec["groups"] == ["officials", "pupils"]


def test_the_ranking_order_must_start_with_the_number_correct():
    with pytest.raises(InvalidInput) as excinfo:
        check_prize_plan({"tiers": TIERS[:1], "order": "duration, correct"})
    assert "order" in problems(excinfo)


def test_one_prize_scope_is_contest_or_round():
    plan, spec = check_prize_plan({"tiers": TIERS[:1], "one_prize_scope": "round"})
    assert spec["one_prize_scope"] == "round" and plan.one_prize_scope.value == "round"
    with pytest.raises(InvalidInput) as excinfo:
        check_prize_plan({"tiers": TIERS[:1], "one_prize_scope": "week"})
    assert "one_prize_scope" in problems(excinfo)


COLLECTIVE = {
    "criterion": "participation_rate",
    "keys": ["participants", "mean_score"],
    "pools": "agencies, districts",
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "group_quotas": "agencies=1, districts=1"}
    ],
    "unit_pools": {"SO-A": "agencies", "SO-B": "agencies", "H-C": "districts", "X": ""},
    "size_bands": [
        {"max_headcount": 49, "min_rate": 0.30},
        {"max_headcount": "99", "min_rate": "0,25"},
        {"max_headcount": "", "min_rate": ""},  # blank form row
    ],
}


def test_a_collective_plan_names_units_of_the_tree_and_size_bands():
    plan, spec = check_collective_plan(COLLECTIVE, ["SO-A", "SO-B", "H-C", "X"])
    assert plan.keys == (CollectiveCriterion.PARTICIPANTS, CollectiveCriterion.MEAN_SCORE)
    assert [(b.max_headcount, b.min_rate) for b in plan.size_bands] == [(49, 0.3), (99, 0.25)]
    assert spec["unit_pools"] == {"SO-A": "agencies", "SO-B": "agencies", "H-C": "districts"}
    assert check_collective_plan(spec, ["SO-A", "SO-B", "H-C", "X"])[1] == spec


def test_a_collective_plan_refuses_unknown_units_pools_and_criteria():
    raw = dict(COLLECTIVE, criterion="votes", unit_pools={"SO-Z": "agencies", "SO-A": "communes"})
    with pytest.raises(InvalidInput) as excinfo:
        check_collective_plan(raw, ["SO-A"])
    found = problems(excinfo)
    assert {"criterion", "unit_pools.SO-Z", "unit_pools.SO-A"} <= set(found)
    assert "không có trong cây đơn vị" in found["unit_pools.SO-Z"][0]
    assert "not in the contest's unit tree" in found["unit_pools.SO-Z"][1]


def test_second_key_breaks_a_tie_on_the_rate():
    plan, _ = check_collective_plan(
        {
            "criterion": "participation_rate",
            "keys": "participants",
            "pools": "all",
            "tiers": [{"code": "a", "label_vi": "A", "group_quotas": "all=1"}],
            "unit_pools": {"S": "all", "L": "all"},
        },
        ["S", "L"],
    )
    units = [
        Unit("S", "Small", headcount=10, pool="all"),
        Unit("L", "Large", headcount=20, pool="all"),
    ]
    people = [Participation(f"s{i}", "S") for i in range(5)] + [
        Participation(f"l{i}", "L") for i in range(10)
    ]
    result = rank_units(units, people, plan)  # both at 50 %: the larger turnout wins
    assert [s.unit.unit_id for s in result.winners()] == ["L"]


def test_screening_thresholds_blank_speed_means_no_speed_flag():
    thresholds, spec = check_screening(
        {"min_seconds_per_question": "", "require_all_answered": "no"}
    )
    assert thresholds.min_seconds_per_question is None and not thresholds.require_all_answered
    assert spec == {"min_seconds_per_question": 0, "require_all_answered": False}
    with pytest.raises(InvalidInput) as excinfo:
        check_screening({"min_seconds_per_question": "nhanh"})
    vi, en = problems(excinfo)["min_seconds_per_question"]
    assert "Số giây tối thiểu" in vi and "Minimum seconds" in en


def test_a_misspelt_setting_is_named_not_ignored():
    with pytest.raises(InvalidInput) as excinfo:
        check_prize_plan({"tiers": [{"code": "a", "label_vi": "A", "quotas": 3}], "cap": 50})
    found = problems(excinfo)
    assert {"tiers.1.quotas", "cap"} <= set(found)
    assert "'quotas'" in found["tiers.1.quotas"][0] and "'cap'" in found["cap"][1]


def test_a_stored_plan_keeps_the_order_its_rank_orders_give():
    stored = {
        "tiers": [
            {"code": "b", "label_vi": "B", "rank_order": 2, "quota": 1},
            {"code": "a", "label_vi": "A", "rank_order": 1, "quota": 1},
        ]
    }
    _, spec = check_prize_plan(stored)
    assert [t["code"] for t in spec["tiers"]] == ["a", "b"]
