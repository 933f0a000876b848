"""Results export tokens for the staff API: administrators list, create (the secret shown once)
and revoke them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.permissions import ADMINS
from contest.services import api_tokens, contests
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, require_staff
from contest.web.numbers import ascii_int
from contest.web.templating import render

router = APIRouter(prefix="/admin/api-tokens")


def _page(
    request: Request,
    db: Session,
    *,
    created: api_tokens.Created | None = None,
    errors: dict | None = None,
    form: dict | None = None,
    status_code: int = 200,
):
    response = render(
        request,
        "admin/api_tokens.html",
        {
            "tokens": api_tokens.list_tokens(db),
            "contests": contests.list_contests(db),
            "scopes": api_tokens.SCOPES,
            "created": created,
            "errors": errors or {},
            "form": form or {"days": api_tokens.DEFAULT_DAYS, "scopes": ["prizes:read"]},
        },
        status_code=status_code,
    )
    # The page that shows a new secret must not stay in a cache or the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("")
def token_page(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    return _page(request, db)


@router.post("")
def token_create(
    request: Request,
    name: str = Form(""),
    contest_slugs: list[str] = Form([], alias="contests"),
    scopes: list[str] = Form([]),
    days: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    form = {"name": name, "contests": contest_slugs, "scopes": scopes, "days": days}
    try:
        created = api_tokens.create(
            db,
            actor_for(request, principal),
            name=name,
            contest_slugs=contest_slugs,
            scopes=scopes,
            days=ascii_int(days) or 0,
        )
    except InvalidInput as exc:
        return _page(request, db, errors=exc.by_field(), form=form, status_code=422)
    except ContestError as exc:
        return _page(request, db, errors={exc.field or "": exc}, form=form, status_code=422)
    return _page(request, db, created=created)


@router.post("/{token_id}/revoke")
def token_revoke(
    request: Request,
    token_id: int,
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    try:
        api_tokens.revoke(db, actor_for(request, principal), token_id, reason)
    except NotFound:
        raise
    except ContestError as exc:
        return _page(request, db, errors={"revoke": exc}, status_code=422)
    return RedirectResponse("/admin/api-tokens", status_code=303)
