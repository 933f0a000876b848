"""A participant's own pages: profile and the download of their personal data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from contest.domain.errors import NotFound
from contest.services import accounts, contests, oidc, units
from contest.services.sessions import Principal
from contest.web.deps import client_ip, get_db, require_participant
from contest.web.templating import render

router = APIRouter()


def own_contest(db: Session, slug: str, principal: Principal):
    contest = contests.get_by_slug(db, slug)
    if principal.participant.contest_id != contest.id:
        raise NotFound("Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest.")
    return contest


@router.get("/c/{slug}/me")
def my_page(
    request: Request,
    slug: str,
    welcome: int = 0,
    linked: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = own_contest(db, slug, principal)
    unit = units.get_unit(db, principal.participant.unit_id)
    info = contests.overview(db, contest)
    return render(
        request,
        "me.html",
        {
            "contest": contest,
            "me": principal.participant,
            "unit": unit,
            "welcome": bool(welcome),
            "linked": oidc.enabled_provider(db, contest) if linked else None,
            "overview": info,
        },
    )


# A POST behind the CSRF check: the download writes an audit row, and a GET could be set off
# from another site (an <img> or a link) to fill the log in the person's name.
@router.post("/c/{slug}/me/data.json")
def my_data(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    own_contest(db, slug, principal)
    data = accounts.export_personal_data(db, principal.participant, client_ip(request))
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": 'attachment; filename="du-lieu-ca-nhan.json"',
            "Cache-Control": "no-store",
        },
    )
