"""Participants take rounds: lobby, start, the attempt page, answer saves, submit, result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest import clock, metrics
from contest.db import reads_alone
from contest.domain import attempts
from contest.domain.admission import refresh_seconds, rounded_wait
from contest.domain.errors import ContestError, NotFound
from contest.models import Contest
from contest.services import admission, contests, taking
from contest.services.sessions import Principal
from contest.web import csrf, wait_lane
from contest.web.deps import (
    NotSignedIn,
    client_ip,
    get_db,
    is_htmx,
    participant_cookie,
    participant_of,
    require_participant,
)
from contest.web.fragments import questions_html
from contest.web.i18n import catalog
from contest.web.numbers import ascii_int, whole_number
from contest.web.routers.auth import known_device
from contest.web.templating import language, render

router = APIRouter()


def _contest_of(db: Session, principal: Principal) -> Contest:
    return contests.get(db, principal.participant.contest_id)


# The three requests of a start (lobby, Start, attempt page) each take one worker thread for
# all of their work: the session lookup, the service and the page. A dependency that needs the
# database would take a thread of its own (a hand-over each way), which costs more machine time
# than the work itself when thousands start at once.


@router.get("/c/{slug}/rounds")
async def lobby(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    _: str = Depends(participant_cookie),
):
    return await run_in_threadpool(_lobby, request, slug, db)


def _lobby(request: Request, slug: str, db: Session) -> Response:
    reads_alone(db)  # a page that reads (its rare writes start a transaction: writes_ahead)
    principal = participant_of(request, db)
    contest = contests.get_with_rounds(db, slug)
    if contest.id != principal.participant.contest_id:
        raise NotFound("Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest.")
    return render(
        request,
        "taking/lobby.html",
        {"contest": contest, "statuses": taking.lobby(db, principal.participant, contest.rounds)},
    )


@router.post("/c/{slug}/rounds/{number}/start")
async def start(
    request: Request,
    slug: str,
    number: str,
    db: Session = Depends(get_db),
    _: str = Depends(participant_cookie),
) -> Response:
    return await run_in_threadpool(_start, request, slug, number, db)


def _start(request: Request, slug: str, number: str, db: Session) -> Response:
    # A text path parameter: the session is checked first, so a caller who is not a
    # participant gets 403 whatever the URL holds.
    principal = participant_of(request, db)
    n = ascii_int(number, 10**6)
    if n is None:
        raise NotFound("Không có đợt thi này.", "No such round.")
    # With its contest and its banks' stamp, in one statement.
    rnd = taking.round_for_start(db, slug, n) or contests.get_round(db, slug, n)
    found = admission.start_or_wait(
        db, principal.participant, rnd, client_ip(request), known_device(request)
    )
    if isinstance(found, admission.Waiting):
        # The waiting page at once (no redirect: one request less per person at the busiest
        # moment); it asks GET .../wait from then on, and a resubmitted Start keeps the place.
        return _waiting_page(request, rnd.contest, rnd, found, partial=False)
    return RedirectResponse(f"/attempts/{found.id}", status_code=303)


def _waiting_page(request: Request, contest, rnd, w: admission.Waiting, partial: bool) -> Response:
    """The waiting page, or (an HTMX ask) its status fragment. Its asks carry the ticket, signed
    for this session, so most are answered ahead of the router (web/wait_lane.py)."""
    session = request.cookies.get(csrf.SESSION_COOKIE, "")
    ctx = {
        "contest": contest,
        "round": rnd,
        "w": w,
        "wait": rounded_wait(w.wait_seconds),
        "poll_url": wait_lane.poll_url(session, contest.slug, rnd.number, w.ticket_id),
        "refresh_seconds": refresh_seconds(w.poll_ms),
    }
    template = "taking/_waiting_status.html" if partial else "taking/waiting.html"
    response = render(request, template, ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/c/{slug}/rounds/{number}/wait")
def waiting_room(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
) -> Response:
    """The waiting page, and the partial it polls. When the turn comes, the paper: the person
    asked for it with the (CSRF-checked) Start button; this only completes that request."""
    contest = contests.get_by_slug(db, slug)
    rnd = contests.get_round(db, contest, number)
    participant = principal.participant
    assert participant is not None  # require_participant
    found = admission.wait_turn(db, participant, rnd, client_ip(request), known_device(request))
    if found is None:
        target = f"/c/{slug}/rounds"
    elif isinstance(found, admission.Waiting):
        return _waiting_page(request, contest, rnd, found, partial=is_htmx(request))
    else:
        target = f"/attempts/{found.id}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/attempts/{attempt_id}")
async def attempt_page(
    request: Request,
    attempt_id: int,
    saved: int = 0,
    kept: int = 0,
    db: Session = Depends(get_db),
    _: str = Depends(participant_cookie),
):
    return await run_in_threadpool(_attempt_page, request, attempt_id, saved, kept, db)


def _attempt_page(request: Request, attempt_id: int, saved: int, kept: int, db: Session):
    reads_alone(db)  # as the lobby
    principal = participant_of(request, db)
    view = taking.attempt_view(db, principal.participant.id, attempt_id)
    contest = _contest_of(db, principal)  # loaded with the attempt: no statement of its own
    if view.final:
        return render(request, "taking/result.html", {"contest": contest, "view": view})
    taking.prepare_fast_saves(request.cookies.get(csrf.SESSION_COOKIE), view.attempt)
    lang = language(request)
    return render(
        request,
        "taking/attempt.html",
        {
            "contest": contest,
            "view": view,
            "saved": bool(saved),
            "kept": bool(kept),
            "questions_html": questions_html(view, lang, catalog(lang).gettext),
        },
    )


def saved_response(request: Request, result: taking.SaveResult, position: int) -> HTMLResponse:
    """The save-state partial; the answer lane in front of the router answers with it too.

    A save that was not applied never says "saved": it says which answer is stored (a newer
    choice, from this page or a later one), and X-Stored tells the page's script which options
    to show as chosen."""
    response = render(
        request,
        "taking/_save_state.html",
        {
            "saved_at": result.saved_at,
            "position": position,
            "applied": result.applied,
            "stored": [taking.LETTERS[i] for i in result.stored],
        },
    )
    if not result.applied:
        response.headers["X-Stored"] = ",".join(str(i) for i in result.stored)
    # The countdown in the page re-synchronises from this on every save.
    response.headers["X-Remaining"] = str(result.remaining_seconds)
    return response


def _closed(request: Request, exc: ContestError, attempt_id: int) -> Response:
    metrics.refused("attempt_closed")
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
    pos = ascii_int(position, 9999)
    form = await request.form()
    shown = chosen_indexes(form.getlist(f"q{pos}"))
    order = save_order(form.get("page"), form.get("seq"), clock.now())
    try:
        # Database work never runs on the event loop: a blocked loop cannot run the teardown
        # that returns other requests' connections, and under load the pool deadlocks.
        result = await run_in_threadpool(
            taking.save_answer_for_session,
            db,
            token,
            attempt_id,
            -1 if pos is None else pos,
            shown,
            order,
        )
    except taking.NoSession:
        raise NotSignedIn("participant") from None
    except taking.AttemptClosed as exc:
        return _closed(request, exc, attempt_id)
    return saved_response(request, result, -1 if pos is None else pos)


def chosen_indexes(values: list) -> list[int]:
    """Display indexes (0 = A) as sent by the page; anything else is a clear 400."""
    out = []
    for raw in values:
        value = ascii_int(raw, 99)
        if value is None:
            raise ContestError(
                "Phương án không hợp lệ.", "That option is not valid.", field="chosen"
            )
        out.append(value)
    return out


def save_order(page_raw, seq_raw, now) -> int:
    """The server-decided order of a save from the page's `page` and `seq` fields."""
    page = None if page_raw in (None, "") else whole_number(page_raw, "page")
    # Pages rendered before page numbers existed sent the phone's clock as seq: read, not used.
    seq = 0 if seq_raw in (None, "") else whole_number(seq_raw, "seq")
    return attempts.save_order(page, seq if page is not None else 0, now)


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
    value = ascii_int(cleaned, taking.MAX_PREDICTION)
    if value is None:
        raise ContestError(
            f"Số dự đoán phải là số nguyên từ 0 đến {taking.MAX_PREDICTION:,}.".replace(",", "."),
            f"The prediction must be a whole number from 0 to {taking.MAX_PREDICTION:,}.",
            field="prediction",
        )
    return value


async def _save_everything(
    request: Request, db: Session, principal: Principal, attempt_id: int
) -> bool:
    """The whole page as one form (no JavaScript, or the Save and Submit buttons). True when
    every answer on it is what is stored now; False when a newer choice was kept somewhere."""
    form = await request.form()
    choices = {}
    for key in form:
        pos = ascii_int(key[1:], 9999) if key.startswith("q") else None
        if pos is not None:
            choices[pos] = chosen_indexes(form.getlist(key))
    order = save_order(form.get("page"), form.get("seq"), clock.now())
    prediction = _parse_prediction(str(form["prediction"])) if "prediction" in form else ""
    results = await run_in_threadpool(
        taking.save_paper, db, principal.participant.id, attempt_id, choices, order, prediction
    )
    return all(r.applied for r in results)


@router.post("/attempts/{attempt_id}/save")
async def save_all(
    request: Request,
    attempt_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    try:
        all_applied = await _save_everything(request, db, principal, attempt_id)
    except taking.AttemptClosed:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    if is_htmx(request):  # the Save button with the page's script: stay on the page
        response = render(request, "taking/_saved_all.html", {"applied": all_applied})
        response.headers["X-Save-Applied"] = "1" if all_applied else "0"
        return response
    outcome = "saved=1" if all_applied else "kept=1"
    return RedirectResponse(f"/attempts/{attempt_id}?{outcome}#submit-area", status_code=303)


@router.post("/attempts/{attempt_id}/review")
async def review(
    request: Request,
    attempt_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    try:
        all_applied = await _save_everything(request, db, principal, attempt_id)
    except taking.AttemptClosed:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    return await run_in_threadpool(
        confirm, request, attempt_id, 0 if all_applied else 1, db, principal
    )


@router.get("/attempts/{attempt_id}/confirm")
def confirm(
    request: Request,
    attempt_id: int,
    kept: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    view = taking.attempt_view(db, principal.participant.id, attempt_id)
    if view.final:
        return RedirectResponse(f"/attempts/{attempt_id}", status_code=303)
    ctx = {"contest": _contest_of(db, principal), "view": view, "error": None, "kept": bool(kept)}
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
