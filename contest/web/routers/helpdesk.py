"""The helpdesk: find a participant who lost their password, record how they were verified, and
give them a one-time code (shown once, to be read to them)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError, NotFound
from contest.domain.permissions import roles_for
from contest.domain.resets import HELPDESK_CHECKS, HELPDESK_MIN_CHECKS
from contest.services import accounts, contests, resets, units
from contest.services.ratelimit import RateLimited
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, require_staff
from contest.web.templating import render

router = APIRouter(prefix="/admin/helpdesk")
HELPDESK = require_staff(*roles_for("help_accounts"))


def _page(request, db, *, contest=None, login="", person=None, status_code=200, **extra):
    unit = units.get_unit(db, person.unit_id) if person is not None else None
    return render(
        request,
        "admin/helpdesk.html",
        {
            "contests": contests.list_contests(db),
            "contest": contest,
            "login": login,
            "person": person,
            "unit": unit,
            "checks": HELPDESK_CHECKS,
            "min_checks": HELPDESK_MIN_CHECKS,
            "errors": {},
            "chosen": [],
            "note": "",
            **extra,
        },
        status_code=status_code,
    )


@router.get("")
def helpdesk_page(
    request: Request,
    contest: str = "",
    login: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(HELPDESK),
):
    chosen = contests.find_by_slug(db, contest) if contest else None
    person = resets.helpdesk_lookup(db, chosen, login) if chosen and login.strip() else None
    return _page(
        request,
        db,
        contest=chosen,
        login=login,
        person=person,
        searched=bool(chosen and login.strip()),
    )


@router.post("/participants/{participant_id}/code")
def helpdesk_code(
    request: Request,
    participant_id: int,
    checks: list[str] = Form([]),
    note: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(HELPDESK),
):
    person = accounts.get_participant(db, participant_id)
    contest = contests.find(db, person.contest_id)
    if contest is None:
        raise NotFound("Không tìm thấy cuộc thi.", "Contest not found.")
    try:
        issued = resets.issue_helpdesk_code(
            db, actor_for(request, principal), person, checks=checks, note=note
        )
    except ContestError as exc:
        return _page(
            request,
            db,
            contest=contest,
            login=person.phone,
            person=person,
            searched=True,
            errors={exc.field or "": exc},
            chosen=checks,
            note=note,
            status_code=429 if isinstance(exc, RateLimited) else 422,
        )
    return render(
        request,
        "admin/helpdesk_code.html",
        {"contest": contest, "person": person, "code": issued.code, "reset": issued.reset},
    )
