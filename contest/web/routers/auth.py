"""Sign-in for staff and participants, participant registration, sign-out."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError, InvalidInput
from contest.domain.registration import RegistrationInput
from contest.services import accounts, contests, oidc, sessions
from contest.services.ratelimit import RateLimited
from contest.services.units import unit_tree
from contest.web import csrf
from contest.web.deps import client_ip, get_db, get_principal, is_htmx
from contest.web.routers.public import safe_next, visible_contest
from contest.web.templating import render, set_cookie

router = APIRouter()


DEVICE_COOKIE = "contest_device"
_DEVICE = re.compile(r"[A-Za-z0-9_\-]{16,40}")


def device_of(request: Request) -> str:
    """The browser's device cookie, or a new one. Random and kept two years; set at each sign-in.
    Screening uses it to see two accounts signed in from one browser (a likely second account);
    sign-in uses it as OWASP's device cookie: where an account signed in before, guessing
    from elsewhere does not slow its owner (services/ratelimit.gate)."""
    if not hasattr(request.state, "device"):
        raw = request.cookies.get(DEVICE_COOKIE, "")
        request.state.device = raw if _DEVICE.fullmatch(raw) else secrets.token_urlsafe(18)
    return request.state.device


def known_device(request: Request) -> str:
    """The browser's device cookie if it has one (never a new one: nothing would keep it)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    return raw if _DEVICE.fullmatch(raw) else ""


def _signed_in(target: str, token: str, request: Request) -> Response:
    # HTMX follows a 303 inside its XHR and would swap the next page into the form, so it
    # gets HX-Redirect instead and navigates itself.
    if is_htmx(request):
        response: Response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    set_cookie(response, csrf.SESSION_COOKIE, token, max_age=None)
    set_cookie(response, DEVICE_COOKIE, device_of(request), max_age=2 * 365 * 24 * 3600)
    response.delete_cookie(csrf.ANON_COOKIE, path="/")
    return response


@router.get("/staff/login")
def staff_login_page(request: Request, next: str | None = None, principal=Depends(get_principal)):  # noqa: A002
    return render(request, "staff_login.html", {"next": safe_next(next, "/admin"), "error": None})


@router.post("/staff/login")
def staff_login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/admin"),  # noqa: A002
    db: Session = Depends(get_db),
):
    try:
        _, token = accounts.staff_sign_in(
            db,
            username=username,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            device=device_of(request),
        )
    except ContestError as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        return render(
            request,
            "staff_login.html",
            {"next": safe_next(next, "/admin"), "error": exc, "username": username},
            status_code=status,
        )
    return _signed_in(safe_next(next, "/admin"), token, request)


@router.post("/logout")
def logout(request: Request, db: Session = Depends(get_db), principal=Depends(get_principal)):
    target = "/"
    if principal is not None:
        if principal.participant is not None:
            contest = contests.find(db, principal.participant.contest_id)
            target = f"/c/{contest.slug}" if contest else "/"
        sessions.sign_out(db, principal, client_ip(request))
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response


def _register_context(
    db: Session, contest, form: dict | None = None, errors: dict | None = None
) -> dict:
    return {
        "contest": contest,
        "units": unit_tree(db, contest.id),
        "provider": oidc.enabled_provider(db, contest),
        "form": form or {},
        "errors": errors or {},
    }


@router.get("/c/{slug}/register")
def register_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    return render(request, "register.html", _register_context(db, contest))


@router.post("/c/{slug}/register")
def register(
    request: Request,
    slug: str,
    full_name: str = Form(""),
    date_of_birth: str = Form(""),
    gender: str = Form(""),
    citizen_id: str = Form(""),
    phone: str = Form(""),
    email: str = Form(""),
    unit_code: str = Form(""),
    password: str = Form(""),
    consent: str = Form(""),
    messages: str = Form(""),
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    # In a draft only staff register (test participants of a rehearsal); the public gets 404.
    contest = visible_contest(db, slug, principal)
    data = RegistrationInput(
        full_name,
        date_of_birth,
        gender,
        citizen_id,
        phone,
        email,
        unit_code,
        password,
        consent == "yes",
        messages == "yes",
    )
    try:
        accounts.register_participant(
            db,
            contest,
            data,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            device=device_of(request),
        )
    except ContestError as exc:
        errors = exc.by_field() if isinstance(exc, InvalidInput) else {"": exc}
        form = {k: v for k, v in data.__dict__.items() if k != "password"}
        ctx = _register_context(db, contest, form, errors)
        template = "_register_form.html" if is_htmx(request) else "register.html"
        return render(request, template, ctx, status_code=200 if is_htmx(request) else 422)
    # The same answer whether an account was made or the CCCD/phone was already registered
    # (its owner is told): no page, cookie or timing says which. The person then signs in.
    target = f"/c/{slug}/registered"
    response: Response
    if is_htmx(request):
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    # The device the registration was recorded with is the one later sign-ins report.
    set_cookie(response, DEVICE_COOKIE, device_of(request), max_age=2 * 365 * 24 * 3600)
    return response


@router.get("/c/{slug}/registered")
def registered_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = contests.get_by_slug(db, slug)
    return render(
        request,
        "registered.html",
        {"contest": contest, "error": None, "next": f"/c/{slug}/me?welcome=1"},
    )


@router.get("/c/{slug}/login")
def participant_login_page(
    request: Request,
    slug: str,
    next: str | None = None,  # noqa: A002 — the query parameter is named "next"
    ended: str = "",
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    return render(
        request,
        "participant_login.html",
        {
            "contest": contest,
            "error": None,
            "next": safe_next(next, f"/c/{slug}/me"),
            "provider": oidc.enabled_provider(db, contest),
            # Sent here by a page whose session is over: say so, in both languages.
            "ended": SESSION_ENDED if ended == "1" and principal is None else None,
        },
    )


SESSION_ENDED = (
    "Phiên đăng nhập của bạn đã kết thúc (bạn đã đăng xuất, hoặc phiên đã hết hạn). "
    "Hãy đăng nhập lại để tiếp tục.",
    "Your session has ended (you signed out, or it expired). Sign in again to continue.",
)


@router.post("/c/{slug}/login")
def participant_login(
    request: Request,
    slug: str,
    login: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),  # noqa: A002
    db: Session = Depends(get_db),
):
    contest = contests.get_by_slug(db, slug)
    target = safe_next(next, f"/c/{slug}/me")
    try:
        _, token = accounts.participant_sign_in(
            db,
            contest,
            login=login,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            device=device_of(request),
        )
    except ContestError as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        return render(
            request,
            "participant_login.html",
            {
                "contest": contest,
                "error": exc,
                "login": login,
                "next": target,
                "provider": oidc.enabled_provider(db, contest),
            },
            status_code=status,
        )
    return _signed_in(target, token, request)
