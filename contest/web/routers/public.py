"""Public pages: the contest home, its rules, the language switch."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import NotFound
from contest.models import Contest
from contest.services import audit_checkpoints, contests
from contest.web.deps import get_db, get_principal
from contest.web.i18n import LANGUAGES
from contest.web.templating import render, set_cookie

router = APIRouter()
# Organisers write rules in plain Markdown; raw HTML stays escaped.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def safe_next(target: str | None, default: str = "/") -> str:
    r"""Only same-site paths, so a crafted link cannot bounce a user elsewhere.

    Browsers drop tabs and newlines from URLs, so "/\t/evil" would become "//evil":
    control characters (typed or percent-encoded) are refused outright.
    """
    if not target:
        return default
    decoded = unquote(target)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target + decoded):
        return default
    if target.startswith("/") and not decoded.startswith("//") and "\\" not in decoded:
        return target
    return default


def _is_staff(principal) -> bool:
    return principal is not None and principal.staff is not None


def visible_contest(db: Session, slug: str, principal) -> Contest:
    """The contest at ``slug`` as this visitor may see it: a draft is not found by the public."""
    contest = contests.get_by_slug(db, slug)
    own = principal.participant.contest_id if principal and principal.participant else None
    if not contests.is_visible(contest, staff=_is_staff(principal), participant_contest_id=own):
        raise NotFound(f"Không có cuộc thi '{slug}'.", f"There is no contest '{slug}'.")
    return contest


@router.get("/")
def home(request: Request, db: Session = Depends(get_db), principal=Depends(get_principal)):
    shown = contests.list_contests(db, public=not _is_staff(principal))
    if len(shown) == 1:
        return contest_home(request, shown[0].slug, db, principal)
    return render(request, "contest_list.html", {"contests": shown})


@router.get("/c/{slug}")
def contest_home(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    info = contests.overview(db, contest)
    now = clock.now()
    return render(
        request,
        "contest_home.html",
        {
            "contest": contest,
            "overview": info,
            "rounds": [(r, info.round_state(r, now)) for r in info.rounds],
        },
    )


@router.get("/c/{slug}/rules")
def contest_rules(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    lang = request.cookies.get("lang", "vi")
    text = contest.rules_en if lang == "en" and contest.rules_en else contest.rules_vi
    return render(request, "rules.html", {"contest": contest, "rules_html": _markdown.render(text)})


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str | None = None):  # noqa: A002
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(response, "lang", code, max_age=60 * 60 * 24 * 365)
    return response


@router.get("/audit/checkpoints")
def audit_checkpoints_page(
    request: Request, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    """Anyone may see and keep the signed checkpoints: published, a rewrite cannot hide."""
    return render(
        request,
        "audit_checkpoints.html",
        {
            "checkpoints": audit_checkpoints.recent(db, 50),
            "public_key": _public_key_or_none(),
        },
    )


@router.get("/audit/checkpoints.json")
def audit_checkpoints_json(db: Session = Depends(get_db)):
    return JSONResponse(
        audit_checkpoints.export(db, limit=1000),
        headers={"Content-Disposition": 'attachment; filename="audit-checkpoints.json"'},
    )


def _public_key_or_none() -> str | None:
    try:
        return audit_checkpoints.public_key_hex()
    except (OSError, ValueError, RuntimeError):
        return None
