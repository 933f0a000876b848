"""Sign-in through the contest's OpenID provider: the button, the provider's return, the
follow-up form for a new account; the organisers' settings page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError, InvalidInput
from contest.domain.identity_claims import (
    ClaimMapping,
    CompletionInput,
    ProviderSettings,
    SignInRefused,
)
from contest.domain.permissions import ORGANISERS
from contest.services import contests, oidc
from contest.services.ratelimit import RateLimited
from contest.services.sessions import Principal
from contest.services.units import unit_tree
from contest.web.deps import actor_for, client_ip, get_db, get_principal, require_staff
from contest.web.routers.auth import _signed_in, device_of
from contest.web.routers.public import safe_next, visible_contest
from contest.web.templating import render, set_cookie

router = APIRouter()

# Binds a sign-in to the browser that started it (its SHA-256 is stored with the state).
BROWSER_COOKIE = "contest_oidc"


def _refused(request: Request, contest, exc: ContestError, status: int = 400) -> Response:
    provider = getattr(request.state, "oidc_provider", None)
    return render(
        request,
        "oidc_refused.html",
        {"contest": contest, "error": exc, "provider": provider},
        status_code=429 if isinstance(exc, RateLimited) else status,
    )


@router.get("/c/{slug}/oidc/start")
def start(
    request: Request,
    slug: str,
    next: str = "",  # noqa: A002
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    """A link, not a form: the pages' CSP (form-action 'self') would stop a form's redirect to
    the provider. Nothing here needs CSRF protection: it only starts a sign-in, whose answer
    counts only in the browser holding the matching cookie (state + BROWSER_COOKIE)."""
    contest = visible_contest(db, slug, principal)
    request.state.oidc_provider = oidc.enabled_provider(db, contest)
    try:
        url, browser = oidc.begin(
            db,
            contest,
            next_url=safe_next(next, f"/c/{slug}/me"),
            browser=request.cookies.get(BROWSER_COOKIE, ""),
            ip=client_ip(request),
        )
    except ContestError as exc:
        return _refused(request, contest, exc, 503 if _down(exc) else 400)
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, BROWSER_COOKIE, browser, max_age=int(oidc.COMPLETION_TTL.total_seconds()))
    return response


def _down(exc: ContestError) -> bool:
    return isinstance(exc, SignInRefused) and exc.reason in ("provider_down", "secret_missing")


@router.get("/c/{slug}/oidc/callback")
def callback(
    request: Request,
    slug: str,
    state: str = "",
    code: str = "",
    error: str = "",
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    request.state.oidc_provider = oidc.enabled_provider(db, contest)
    try:
        outcome = oidc.finish(
            db,
            contest,
            state=state[:200],
            code=code[:2000],
            error=error[:200],
            browser=request.cookies.get(BROWSER_COOKIE, ""),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            device=device_of(request),
        )
    except ContestError as exc:
        return _refused(request, contest, exc, 503 if _down(exc) else 400)
    if isinstance(outcome, oidc.NeedsDetails):
        return RedirectResponse(f"/c/{slug}/oidc/complete", status_code=303)
    target = outcome.next_url or f"/c/{slug}/me"
    if outcome.linked:
        target = f"/c/{slug}/me?linked=1"
    return _signed_in(target, outcome.token, request)


def _completion_context(db: Session, contest, identity, form=None, errors=None) -> dict:
    return {
        "contest": contest,
        "identity": identity,
        "provider": oidc.enabled_provider(db, contest),
        "held_by_other": oidc.held_by_other(db, contest, identity),
        "units": unit_tree(db, contest.id),
        "form": form or {"phone": identity.phone or "", "email": identity.email or ""},
        "errors": errors or {},
    }


@router.get("/c/{slug}/oidc/complete")
def complete_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    request.state.oidc_provider = oidc.enabled_provider(db, contest)
    try:
        _, identity = oidc.pending(db, contest, request.cookies.get(BROWSER_COOKIE, ""))
    except ContestError as exc:
        return _refused(request, contest, exc)
    return render(request, "oidc_complete.html", _completion_context(db, contest, identity))


@router.post("/c/{slug}/oidc/complete")
def complete(
    request: Request,
    slug: str,
    phone: str = Form(""),
    email: str = Form(""),
    unit_code: str = Form(""),
    date_of_birth: str = Form(""),
    consent: str = Form(""),
    db: Session = Depends(get_db),
    principal=Depends(get_principal),
):
    contest = visible_contest(db, slug, principal)
    request.state.oidc_provider = oidc.enabled_provider(db, contest)
    browser = request.cookies.get(BROWSER_COOKIE, "")
    data = CompletionInput(phone, email, unit_code, date_of_birth, consent == "yes")
    try:
        done = oidc.complete_registration(
            db,
            contest,
            browser=browser,
            data=data,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            device=device_of(request),
        )
    except SignInRefused as exc:
        return _refused(request, contest, exc)
    except ContestError as exc:
        _, identity = oidc.pending(db, contest, browser)
        errors = exc.by_field() if isinstance(exc, InvalidInput) else {"": exc}
        ctx = _completion_context(db, contest, identity, data.__dict__, errors)
        return render(request, "oidc_complete.html", ctx, status_code=422)
    response = _signed_in(f"/c/{slug}/me?welcome=1", done.token, request)
    response.delete_cookie(BROWSER_COOKIE, path="/")
    return response


# ---- organisers ---------------------------------------------------------------------------


def _settings_form(provider) -> dict:
    if provider is None:
        defaults = ClaimMapping()
        return {
            "name_vi": "VNeID",
            "name_en": "VNeID",
            "issuer": "",
            "client_id": "",
            "secret_name": "",
            "scopes": "openid profile",
            "claim_citizen_id": defaults.citizen_id,
            "claim_full_name": defaults.full_name,
            "claim_birthdate": defaults.birthdate,
            "claim_phone": defaults.phone,
        }
    return {
        k: getattr(provider, k)
        for k in (
            "name_vi",
            "name_en",
            "issuer",
            "client_id",
            "secret_name",
            "scopes",
            "claim_citizen_id",
            "claim_full_name",
            "claim_birthdate",
            "claim_phone",
        )
    }


def _settings_page(
    request: Request, db: Session, contest, *, form=None, errors=None, status_code=200
) -> Response:
    provider = oidc.provider_of(db, contest)
    form = form or _settings_form(provider)
    name = (form["secret_name"] or "").strip().lower()
    return render(
        request,
        "organiser/sign_in_provider.html",
        {
            "contest": contest,
            "provider": provider,
            "form": form,
            "errors": errors or [],
            "secret_status": oidc.secret_status(provider) if provider else None,
            "secret_env": oidc.secret_env_name(name) if name else "",
            "secret_file": str(oidc.secret_file(name)) if name else "",
            "callback_url": oidc.callback_url(contest),
        },
        status_code=status_code,
    )


@router.get("/organiser/contests/{slug}/sign-in")
def settings_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    return _settings_page(request, db, contests.get_by_slug(db, slug))


@router.post("/organiser/contests/{slug}/sign-in")
def save_settings(
    request: Request,
    slug: str,
    name_vi: str = Form(""),
    name_en: str = Form(""),
    issuer: str = Form(""),
    client_id: str = Form(""),
    secret_name: str = Form(""),
    scopes: str = Form(""),
    claim_citizen_id: str = Form(""),
    claim_full_name: str = Form(""),
    claim_birthdate: str = Form(""),
    claim_phone: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    contest = contests.get_by_slug(db, slug)
    data = ProviderSettings(
        name_vi,
        name_en,
        issuer,
        client_id,
        secret_name,
        scopes,
        ClaimMapping(claim_citizen_id, claim_full_name, claim_birthdate, claim_phone),
    )
    try:
        oidc.configure(db, actor_for(request, principal), contest, data)
    except ContestError as exc:
        form = {
            "name_vi": name_vi,
            "name_en": name_en,
            "issuer": issuer,
            "client_id": client_id,
            "secret_name": secret_name,
            "scopes": scopes,
            "claim_citizen_id": claim_citizen_id,
            "claim_full_name": claim_full_name,
            "claim_birthdate": claim_birthdate,
            "claim_phone": claim_phone,
        }
        errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
        return _settings_page(request, db, contest, form=form, errors=errors, status_code=422)
    return RedirectResponse(f"/organiser/contests/{slug}/sign-in?saved=1", status_code=303)


@router.post("/organiser/contests/{slug}/sign-in/disable")
def disable_provider(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    contest = contests.get_by_slug(db, slug)
    try:
        oidc.disable(db, actor_for(request, principal), contest)
    except ContestError as exc:
        return _settings_page(request, db, contest, errors=[exc], status_code=422)
    return RedirectResponse(f"/organiser/contests/{slug}/sign-in?disabled=1", status_code=303)
