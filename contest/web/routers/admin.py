"""Staff pages: dashboard, unit trees, staff accounts, sessions, participants, the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest import clock
from contest.domain.errors import ContestError
from contest.domain.permissions import ADMINS, COMMITTEE, ORGANISERS
from contest.models import ROLES
from contest.services import accounts, audit, contests, ratelimit, resets, sessions, units
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, is_htmx, require_staff
from contest.web.templating import render

router = APIRouter(prefix="/admin")


@router.get("")
def dashboard(
    request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require_staff())
):
    items = [(c, contests.overview(db, c)) for c in contests.list_contests(db)]
    return render(request, "admin/index.html", {"items": items})


@router.get("/contests/{slug}/units")
def unit_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS, *COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    return render(
        request,
        "admin/units.html",
        {"contest": contest, "tree": units.unit_tree(db, contest.id), "result": None},
    )


@router.post("/contests/{slug}/units/import")
async def unit_import(
    request: Request,
    slug: str,
    file: UploadFile = File(...),
    dry_run: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    data = await file.read()

    # Database work off the event loop, like every plain `def` endpoint.
    def import_and_render():
        contest = contests.get_by_slug(db, slug)
        result = units.import_units(
            db,
            actor_for(request, principal),
            contest,
            data,
            file.filename or "units.csv",
            dry_run=dry_run == "yes",
        )
        ctx = {
            "contest": contest,
            "tree": units.unit_tree(db, contest.id),
            "result": result,
            "dry_run": dry_run == "yes",
            "filename": file.filename,
        }
        if is_htmx(request):
            return render(request, "admin/_units_body.html", ctx)
        return render(request, "admin/units.html", ctx, status_code=200 if result.ok else 422)

    return await run_in_threadpool(import_and_render)


@router.get("/contests/{slug}/participants")
def participant_list(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS, *COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    rows = accounts.newest_participants(db, contest, limit=500)
    return render(request, "admin/participants.html", {"contest": contest, "rows": rows})


@router.get("/users")
def user_page(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    return render(
        request,
        "admin/users.html",
        {"users": accounts.list_staff(db), "roles": ROLES, "error": None, "form": {}},
    )


@router.post("/users")
def user_create(
    request: Request,
    username: str = Form(""),
    full_name: str = Form(""),
    password: str = Form(""),
    roles: list[str] = Form([]),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    try:
        accounts.create_staff_user(
            db,
            actor_for(request, principal),
            username=username,
            full_name=full_name,
            password=password,
            roles=roles,
        )
    except ContestError as exc:
        return render(
            request,
            "admin/users.html",
            {
                "users": accounts.list_staff(db),
                "roles": ROLES,
                "error": exc,
                "form": {"username": username, "full_name": full_name, "roles": roles},
            },
            status_code=422,
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/email")
def user_email(
    request: Request,
    user_id: int,
    email: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    user = accounts.get_staff(db, user_id)
    try:
        resets.set_staff_email(db, actor_for(request, principal), user.username, email)
    except ContestError as exc:
        return render(
            request,
            "admin/users.html",
            {"users": accounts.list_staff(db), "roles": ROLES, "error": exc, "form": {}},
            status_code=422,
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/sessions")
def session_page(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    live = sessions.live_sessions(db)
    staff = accounts.staff_by_id(db)
    return render(request, "admin/sessions.html", {"sessions": live, "staff": staff})


@router.post("/sessions/{session_id}/end")
def session_end(
    request: Request,
    session_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    sessions.end_session(db, actor_for(request, principal), session_id)
    if is_htmx(request):
        ws = sessions.get_session(db, session_id)
        staff = accounts.staff_by_id(db)
        return render(request, "admin/_session_row.html", {"s": ws, "staff": staff})
    return RedirectResponse("/admin/sessions", status_code=303)


@router.get("/audit")
def audit_page(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ADMINS)),
):
    since = clock.now() - timedelta(days=1)
    staff = {f"staff:{u.id}": u.username for u in accounts.list_staff(db)}
    alerts = [
        (entry, json.loads(entry.details), staff.get(entry.object_id, entry.object_id))
        for entry in audit.recent_actions(db, ratelimit.GUESSING_ALERT, since)
    ]
    return render(
        request,
        "admin/audit.html",
        {"entries": audit.recent(db, 200), "check": audit.verify(db), "alerts": alerts},
    )
