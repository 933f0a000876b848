"""Participation by unit on the live page, against headcount, as the collective ranking counts."""

from contest.domain.collectives import Unit
from contest.domain.live import error_rate, participation_by_unit, shown_units

TREE = [
    Unit("1", "Tỉnh Lạng Sơn"),
    Unit("2", "Thành phố Lạng Sơn", "1", 820),
    Unit("3", "Huyện Tràng Định", "1", 640),
    Unit("4", "Phường Chi Lăng", "2", 45),
    Unit("5", "Sở Thông tin và Truyền thông", "1", None),
]


def test_the_top_of_the_tree_is_listed_with_sub_units_rolled_up():
    rows = participation_by_unit(TREE, {"4": 41, "2": 0, "3": 64})
    assert [(r.name, r.participants, r.headcount) for r in rows] == [
        ("Huyện Tràng Định", 64, 640),
        ("Thành phố Lạng Sơn", 41, 820),
        ("Sở Thông tin và Truyền thông", 0, None),
    ]
    assert rows[0].rate == 0.1 and rows[1].rate == 41 / 820 and rows[2].rate is None


def test_the_collective_plans_pools_are_listed_when_it_has_them():
    rows = participation_by_unit(TREE, {"4": 9}, pooled={"4", "3"})
    assert [(r.name, r.participants) for r in rows] == [
        ("Phường Chi Lăng", 9),
        ("Huyện Tràng Định", 0),
    ]


def test_without_roll_up_a_unit_counts_only_its_own_people():
    rows = participation_by_unit(TREE, {"4": 9, "2": 1}, roll_up=False)
    assert {r.name: r.participants for r in rows}["Thành phố Lạng Sơn"] == 1


def test_several_roots_are_listed_themselves():
    roots = [Unit("a", "Khối sở, ngành", None, 10), Unit("b", "Khối huyện", None, 20)]
    assert [u.unit_id for u in shown_units(roots, set())] == ["a", "b"]


def test_a_cycle_in_bad_data_does_not_hang():
    cyclic = [Unit("x", "X", "y", 5), Unit("y", "Y", "x", 5)]
    assert participation_by_unit(cyclic, {"x": 1}) == []


def test_no_requests_means_no_error_rate():
    assert error_rate(0, 0) is None and error_rate(1, 4) == 0.25
