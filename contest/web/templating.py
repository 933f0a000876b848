"""Jinja2 environment and the one render function every router uses."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from contest import __version__, clock, formulas
from contest.config import PROJECT_DIR, get_settings
from contest.domain.masking import mask_citizen_id, mask_name, mask_phone
from contest.domain.paper import read_pictures
from contest.domain.permissions import can
from contest.web import csrf
from contest.web.i18n import catalog, pick_language

templates = Jinja2Templates(directory=str(PROJECT_DIR / "templates"))
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True
env.auto_reload = get_settings().template_auto_reload


def format_number(value: int | float, decimals: int = 0) -> str:
    """Vietnamese convention: 1.886 and 12,52."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_datetime(value: datetime | None, tz_name: str | None = None) -> str:
    if value is None:
        return ""
    return clock.to_local(value).strftime("%H:%M %d/%m/%Y")


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def question_text(value: str | None, text_format: str) -> Markup:
    """A stem, option or explanation as HTML: plain text escaped, formulas as MathML."""
    return Markup(formulas.render(value or "", text_format))


env.filters["number"] = format_number
env.filters["question_text"] = question_text
env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
env.filters["local_dt"] = format_datetime
env.filters["vn_date"] = format_date
env.filters["mask_cid"] = mask_citizen_id
env.filters["mask_phone"] = mask_phone
env.filters["mask_name"] = mask_name
env.globals["version"] = __version__
env.globals["can"] = can
env.globals["picture_refs"] = read_pictures


def language(request: Request) -> str:
    return pick_language(request.cookies.get("lang"), get_settings().default_language)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    lang = language(request)
    cat = catalog(lang)
    principal = getattr(request.state, "principal", None)
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "_": cat.gettext,
        "csrf_token": csrf.token(request),
        "principal": principal,
        "now": clock.now(),
        "field": lambda obj, base: (
            getattr(obj, f"{base}_{lang}", None) or getattr(obj, f"{base}_vi", "")
        ),
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    new_anon = getattr(request.state, "new_anon", None)
    if new_anon:
        set_cookie(response, csrf.ANON_COOKIE, new_anon, max_age=60 * 60 * 24)
    response.headers["Cache-Control"] = "no-store"
    return response


def set_cookie(response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=get_settings().cookie_secure,
        samesite="lax",
        path="/",
    )
