"""A signed-in person's own password: the change-password pages for participants and staff."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError
from contest.services import credentials
from contest.services.ratelimit import RateLimited
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, require_participant, require_staff
from contest.web.routers.participant import own_contest
from contest.web.templating import render

router = APIRouter()


def _change(
    db: Session, request: Request, principal: Principal, current: str, new: str, confirm: str
) -> ContestError | None:
    """Change the signed-in person's password, keeping this browser's session; the refusal or None."""
    person = principal.staff or principal.participant
    assert person is not None
    try:
        credentials.change_password(
            db,
            actor_for(request, principal),
            person,
            current=current,
            new=new,
            confirm=confirm,
            keep_session_id=principal.session.id,
        )
    except ContestError as exc:
        return exc
    return None


def _status(error: ContestError) -> int:
    return 429 if isinstance(error, RateLimited) else 422


@router.get("/c/{slug}/me/password")
def participant_password_page(
    request: Request,
    slug: str,
    changed: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = own_contest(db, slug, principal)
    return render(
        request,
        "account/password_participant.html",
        {"contest": contest, "errors": {}, "changed": bool(changed)},
    )


@router.post("/c/{slug}/me/password")
def participant_password(
    request: Request,
    slug: str,
    current_password: str = Form(""),
    password: str = Form(""),
    confirm_password: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = own_contest(db, slug, principal)
    error = _change(db, request, principal, current_password, password, confirm_password)
    if error is not None:
        return render(
            request,
            "account/password_participant.html",
            {"contest": contest, "errors": {error.field or "": error}, "changed": False},
            status_code=_status(error),
        )
    return RedirectResponse(f"/c/{slug}/me/password?changed=1", status_code=303)


@router.get("/staff/password")
def staff_password_page(
    request: Request,
    changed: int = 0,
    principal: Principal = Depends(require_staff()),
):
    return render(request, "account/password_staff.html", {"errors": {}, "changed": bool(changed)})


@router.post("/staff/password")
def staff_password(
    request: Request,
    current_password: str = Form(""),
    password: str = Form(""),
    confirm_password: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff()),
):
    error = _change(db, request, principal, current_password, password, confirm_password)
    if error is not None:
        return render(
            request,
            "account/password_staff.html",
            {"errors": {error.field or "": error}, "changed": False},
            status_code=_status(error),
        )
    return RedirectResponse("/staff/password?changed=1", status_code=303)
