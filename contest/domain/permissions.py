"""Who may do what: the staff roles, their groups and the actions each group may take, defined once.

Routers guard endpoints with the groups (``require_staff(*COMMITTEE)``), services check the
same groups, and templates ask ``can(principal, "decide_results")`` (a Jinja global) before
showing a button, so a page never offers what the endpoint behind it refuses.
"""

from __future__ import annotations

from typing import Protocol

ROLES = ("admin", "organiser", "committee_member", "committee_chair", "judge", "support")

ADMINS = ("admin",)
ORGANISERS = ("admin", "organiser")
COMMITTEE = ("committee_member", "committee_chair")
CHAIR = ("committee_chair",)
JUDGES = ("judge",)
# The helpdesk: verifies a person who lost their password and gives them a one-time code.
HELPDESK = ("admin", "support")
# The contest's office: everyone who may read rankings, flags, prize lists and certificates.
OFFICE = (*ORGANISERS, *COMMITTEE)
TEMPLATE_EDITORS = (*ORGANISERS, "committee_chair")

ACTIONS: dict[str, tuple[str, ...]] = {
    "manage_users": ADMINS,
    # Results export tokens for the staff API (a province system pulls results with one).
    "manage_api_tokens": ADMINS,
    "manage_contests": ORGANISERS,
    "read_results": OFFICE,
    "decide_results": COMMITTEE,
    "approve_prizes": CHAIR,
    "issue_certificates": COMMITTEE,
    # Stop or rerun a background job: those who may start one, and the administrators.
    "operate_jobs": (*ADMINS, *COMMITTEE),
    "revoke_certificates": CHAIR,
    "edit_certificate_template": TEMPLATE_EDITORS,
    "assign_jury": (*ORGANISERS, *COMMITTEE),
    "declare_jury_units": ORGANISERS,
    "score_works": JUDGES,
    "help_accounts": HELPDESK,
    # The outbox: every message owed to people and each try to deliver it.
    "read_outbox": (*ADMINS, "support"),
}


class HasRoles(Protocol):
    @property
    def roles(self) -> frozenset[str]: ...


def roles_for(action: str) -> tuple[str, ...]:
    """The roles allowed to take ``action``; an unknown action is a programming error."""
    return ACTIONS[action]


def can(who: HasRoles | None, action: str) -> bool:
    """Whether ``who`` (a principal or a staff user; None for nobody) may take ``action``."""
    allowed = roles_for(action)
    return who is not None and not who.roles.isdisjoint(allowed)
