"""Participants take rounds: lobby, start, the attempt page, answer saves, submit, result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.domain.errors import ContestError, NotFound
from contest.models import Contest
from contest.services import contests, taking
from contest.services.sessions import Principal
from contest.web import csrf
from contest.web.deps import (
    NotSignedIn,
    client_ip,
    get_db,
    is_htmx,
    participant_cookie,
    require_participant,
)
from contest.web.routers.auth import known_device
from contest.web.templating import render

router = APIRouter()


def _contest_of(db: Session, principal: Principal) -> Contest:
    return contests.get(db, principal.participant.contest_id)


@router.get("/c/{slug}/rounds")
def lobby(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = contests.get_by_slug(db, slug)
    if contest.id != principal.participant.contest_id:
        raise NotFound("Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest.")
    return render(
        request,
        "taking/lobby.html",
        {"contest": contest, "statuses": taking.lobby(db, principal.participant)},
    )


@router.post("/c/{slug}/rounds/{number}/start")
def start(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
) -> Response:
    contest = contests.get_by_slug(db, slug)
    rnd = contests.get_round(db, contest, number)
    attempt = taking.start_attempt(
        db, principal.participant, rnd, client_ip(request), known_device(request)
    )
    return RedirectResponse(f"/attempts/{attempt.id}", status_code=303)


@router.get("/attempts/{attempt_id}")
def attempt_page(
    request: Request,
    attempt_id: int,
    saved: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    view = taking.attempt_view(db, principal.participant.id, attempt_id)
    contest = _contest_of(db, principal)
    if view.final:
        return render(request, "taking/result.html", {"contest": contest, "view": view})
    taking.prepare_fast_saves(request.cookies.get(csrf.SESSION_COOKIE), view.attempt)
    return render(
        request, "taking/attempt.html", {"contest": contest, "view": view, "saved": bool(saved)}
    )


def saved_response(request: Request, result: taking.SaveResult, position: int) -> HTMLResponse:
    """The save-state partial; the answer lane in front of the router answers with it too."""
    response = render(
        request, "taking/_save_state.html", {"saved_at": result.saved_at, "position": position}
    )
    # The countdown in the page re-synchronises from this on every save.
    response.headers["X-Remaining"] = str(result.remaining_seconds)
    return response


def _closed(request: Request, exc: ContestError, attempt_id: int) -> Response:
    response = render(
        request, "taking/_closed.html", {"error": exc, "attempt_id": attempt_id}, status_code=409
    )
    response.headers["X-Attempt-Closed"] = "1"
    return response


@router.post("/attempts/{attempt_id}/answers/{position}")
async def save_answer(
    request: Request,
    attempt_id: int,
    position: str,
    db: Session = Depends(get_db),
    token: str = Depends(participant_cookie),
):
    # A text path parameter: the session is checked (by the service) before the position, so a
    # caller who is not a participant gets 403 whatever the URL holds; a bad position is a 400.
    position = int(position) if position.isdigit() else -1
    form = await request.form()
    shown = [int(v) for v in form.getlist(f"q{position}") if str(v).isdigit()]
    seq_raw = str(form.get("seq", "0"))
    seq = int(seq_raw) if seq_raw.isdigit() else 0
    try:
        # Database work never runs on the event loop: a blocked loop cannot run the teardown
        # that returns other requests' connections, and under load the pool deadlocks.
        result = await run_in_threadpool(
            taking.save_answer_for_session, db, token, attempt_id, position, shown, seq
        )
    except taking.NoSession:
        raise NotSignedIn("participant") from None
    except taking.AttemptClosed as exc:
        return _closed(request, exc, attempt_id)
    return saved_response(request, result, position)


@router.post("/attempts/{attempt_id}/prediction")
def save_prediction(
    request: Request,
    attempt_id: int,
    prediction: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    try:
        result = taking.save_prediction(
            db, principal.participant.id, attempt_id, _parse_prediction(prediction)
        )
    except taking.AttemptClosed as exc:
        return _closed(request, exc, attempt_id)
    return saved_response(request, result, -1)


def _parse_prediction(raw: str) -> int | None:
    cleaned = (raw or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise ContestError(
            "Số dự đoán phải là số nguyên không âm.",
            "The prediction must be a whole number.",
            field="prediction",
        )
    return int(cleaned)


async def _save_everything(
    request: Request, db: Session, principal: Principal, attempt_id: int
) -> taking.AttemptView:
    """The no-JavaScript path: the whole page is one form."""
    form = await request.form()
    return await run_in_threadpool(_save_form, form, db, principal, attempt_id)


def _save_form(form, db: Session, principal: Principal, attempt_id: int) -> taking.AttemptView:
    view = taking.attempt_view(db, principal.participant.id, attempt_id)
    seq_raw = str(form.get("seq", "0"))
    seq = int(seq_raw) if seq_raw.isdigit() else 0
    for q in view.questions:
        shown = [int(v) for v in form.getlist(f"q{q.position}") if str(v).isdigit()]
        if shown or any(o.chosen for o in q.options):
            taking.save_answer(db, principal.participant.id, attempt_id, q.position, shown, seq)
    if "prediction" in form:
        taking.save_prediction(
            db, principal.participant.id, attempt_id, _parse_prediction(str(form["prediction"]))
        )
    return view


@router.post("/attempts/{attempt_id}/save")
async def save_all(
    request: Request,
    attempt_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    try:
        await _save_everything(request, db, principal, attempt_id)
    except taking.AttemptClosed:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    return RedirectResponse(f"/attempts/{attempt_id}?saved=1#submit-area", status_code=303)


@router.post("/attempts/{attempt_id}/review")
async def review(
    request: Request,
    attempt_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    try:
        await _save_everything(request, db, principal, attempt_id)
    except taking.AttemptClosed:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    return await run_in_threadpool(confirm, request, attempt_id, db, principal)


@router.get("/attempts/{attempt_id}/confirm")
def confirm(
    request: Request,
    attempt_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    view = taking.attempt_view(db, principal.participant.id, attempt_id)
    if view.final:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    ctx = {"contest": _contest_of(db, principal), "view": view, "error": None}
    if is_htmx(request):
        return render(request, "taking/_confirm.html", ctx)
    return render(request, "taking/confirm.html", ctx)


@router.post("/attempts/{attempt_id}/submit")
def submit(
    request: Request,
    attempt_id: int,
    prediction: str = Form(""),
    auto: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
) -> Response:
    try:
        taking.submit(
            db,
            principal.participant,
            attempt_id,
            _parse_prediction(prediction),
            auto=auto == "1",
            ip=client_ip(request),
        )
    except ContestError as exc:
        if isinstance(exc, NotFound):
            raise
        view = taking.attempt_view(db, principal.participant.id, attempt_id)
        ctx = {"contest": _contest_of(db, principal), "view": view, "error": exc}
        return render(
            request,
            "taking/_confirm.html" if is_htmx(request) else "taking/confirm.html",
            ctx,
            status_code=200 if is_htmx(request) else 422,
        )
    target = f"/attempts/{attempt_id}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
