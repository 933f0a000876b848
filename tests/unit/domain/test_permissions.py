from dataclasses import dataclass

import pytest

from contest.domain.permissions import ACTIONS, COMMITTEE, OFFICE, ROLES, can, roles_for


@dataclass(frozen=True)
class Someone:
    roles: frozenset[str]


@pytest.mark.parametrize(
    ("roles", "action", "allowed"),
    [
        ({"committee_member"}, "decide_results", True),
        ({"organiser"}, "decide_results", False),
        ({"organiser"}, "read_results", True),
        ({"committee_member"}, "approve_prizes", False),
        ({"committee_chair"}, "approve_prizes", True),
        ({"committee_chair"}, "edit_certificate_template", True),
        ({"committee_member"}, "edit_certificate_template", False),
        ({"judge"}, "score_works", True),
        ({"judge"}, "read_results", False),
        ({"admin"}, "manage_users", True),
        ({"organiser"}, "manage_users", False),
        (set(), "read_results", False),
    ],
)
def test_an_action_is_allowed_to_the_roles_of_its_group(roles, action, allowed):
    assert can(Someone(frozenset(roles)), action) is allowed


def test_nobody_may_do_anything():
    assert not any(can(None, action) for action in ACTIONS)


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(KeyError):
        can(Someone(frozenset(ROLES)), "approve_prize")  # typo of approve_prizes


def test_every_group_names_known_roles_only():
    assert all(set(roles) <= set(ROLES) for roles in ACTIONS.values())
    assert set(COMMITTEE) < set(OFFICE) and roles_for("read_results") == OFFICE
