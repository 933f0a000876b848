"""Forgotten passwords: asking for a reset, the email link, the code (SMS or helpdesk), for
participants and staff. Every answer is the same whether or not an account matched."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError
from contest.services import messages, resets
from contest.services.ratelimit import RateLimited
from contest.web.deps import client_ip, get_db, get_principal
from contest.web.routers.public import visible_contest
from contest.web.templating import render

router = APIRouter()


def _status(error: ContestError) -> int:
    return 429 if isinstance(error, RateLimited) else 422


def _errors(error: ContestError) -> dict:
    return {error.field or "": error}


# --- participants ------------------------------------------------------------------------------


@router.get("/c/{slug}/forgot")
def forgot_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    return render(
        request,
        "account/forgot.html",
        {"contest": contest, "sms": resets.sms_available(), "errors": {}, "login": ""},
    )


@router.post("/c/{slug}/forgot")
def forgot(
    request: Request,
    slug: str,
    login: str = Form(""),
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    try:
        queued = resets.request_participant_reset(db, contest, login, client_ip(request))
    except ContestError as exc:
        return render(
            request,
            "account/forgot.html",
            {
                "contest": contest,
                "sms": resets.sms_available(),
                "errors": _errors(exc),
                "login": login,
            },
            status_code=_status(exc),
        )
    messages.dispatch(queued)
    return RedirectResponse(f"/c/{slug}/reset/code?asked=1", status_code=303)


def _code_page(request, contest, *, asked=False, errors=None, login="", code="", status_code=200):
    return render(
        request,
        "account/reset_code.html",
        {
            "contest": contest,
            "asked": asked,
            "sms": resets.sms_available(),
            "errors": errors or {},
            "login": login,
            "code": code,
        },
        status_code=status_code,
    )


@router.get("/c/{slug}/reset/code")
def reset_code_page(
    request: Request,
    slug: str,
    asked: int = 0,
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    return _code_page(request, visible_contest(db, slug, principal), asked=bool(asked))


@router.post("/c/{slug}/reset/code")
def reset_with_code(
    request: Request,
    slug: str,
    login: str = Form(""),
    code: str = Form(""),
    password: str = Form(""),
    confirm_password: str = Form(""),
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    try:
        resets.complete_with_code(
            db, contest, login, code, password, confirm_password, client_ip(request)
        )
    except ContestError as exc:
        # A refused new password keeps the code typed in; a refused code is typed again.
        kept = code if exc.field in ("password", "confirm_password") else ""
        return _code_page(
            request, contest, errors=_errors(exc), login=login, code=kept, status_code=_status(exc)
        )
    return RedirectResponse(f"/c/{slug}/reset/done", status_code=303)


@router.get("/c/{slug}/reset/done")
def reset_done_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    return render(request, "account/reset_done.html", {"contest": contest})


def _link_page(request, contest, token, *, staff, errors=None, status_code=200):
    template = "account/staff_reset_link.html" if staff else "account/reset_link.html"
    return render(
        request,
        template,
        {"contest": contest, "token": token, "errors": errors or {}},
        status_code=status_code,
    )


def _refused_link(request, contest, exc: ContestError, *, staff: bool):
    return render(
        request,
        "account/staff_reset_link.html" if staff else "account/reset_link.html",
        {"contest": contest, "token": None, "refused": exc, "errors": {}},
        status_code=400,
    )


@router.get("/c/{slug}/reset/{token}")
def reset_link_page(
    request: Request,
    slug: str,
    token: str,
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    try:
        resets.reset_for_link(db, token, staff=False)
    except ContestError as exc:
        return _refused_link(request, contest, exc, staff=False)
    return _link_page(request, contest, token, staff=False)


@router.post("/c/{slug}/reset/{token}")
def reset_with_link(
    request: Request,
    slug: str,
    token: str,
    password: str = Form(""),
    confirm_password: str = Form(""),
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    return _complete_link(request, db, contest, token, password, confirm_password, staff=False)


def _complete_link(request, db, contest, token, password, confirm, *, staff: bool):
    try:
        resets.complete_with_link(db, token, password, confirm, client_ip(request), staff=staff)
    except ContestError as exc:
        if exc.field in ("password", "confirm_password") or isinstance(exc, RateLimited):
            return _link_page(
                request, contest, token, staff=staff, errors=_errors(exc), status_code=_status(exc)
            )
        return _refused_link(request, contest, exc, staff=staff)
    target = "/staff/reset/done" if staff else f"/c/{contest.slug}/reset/done"
    return RedirectResponse(target, status_code=303)


# --- staff -------------------------------------------------------------------------------------


@router.get("/staff/forgot")
def staff_forgot_page(request: Request, principal=Depends(get_principal)):
    return render(request, "account/staff_forgot.html", {"errors": {}, "asked": False})


@router.post("/staff/forgot")
def staff_forgot(request: Request, username: str = Form(""), db: Session = Depends(get_db)):
    try:
        queued = resets.request_staff_reset(db, username, client_ip(request))
    except ContestError as exc:
        return render(
            request,
            "account/staff_forgot.html",
            {"errors": _errors(exc), "asked": False},
            status_code=_status(exc),
        )
    messages.dispatch(queued)
    return render(request, "account/staff_forgot.html", {"errors": {}, "asked": True})


@router.get("/staff/reset/done")
def staff_reset_done_page(request: Request, principal=Depends(get_principal)):
    return render(request, "account/reset_done.html", {"contest": None})


@router.get("/staff/reset/{token}")
def staff_reset_link_page(
    request: Request, token: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    try:
        resets.reset_for_link(db, token, staff=True)
    except ContestError as exc:
        return _refused_link(request, None, exc, staff=True)
    return _link_page(request, None, token, staff=True)


@router.post("/staff/reset/{token}")
def staff_reset_with_link(
    request: Request,
    token: str,
    password: str = Form(""),
    confirm_password: str = Form(""),
    db: Session = Depends(get_db),
):
    return _complete_link(request, db, None, token, password, confirm_password, staff=True)
