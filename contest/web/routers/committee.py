"""Committee pages: screening, rankings, prize allocation, approval, statistics and downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.domain.eligibility import flag_codes_for, flag_words
from contest.domain.errors import ContestError, NotFound
from contest.domain.permissions import COMMITTEE, OFFICE, can
from contest.services import (
    annex,
    contests,
    exports,
    plans,
    prize_lists,
    prizes,
    results,
    screening,
    statistics,
)
from contest.services.sessions import Principal
from contest.services.units import unit_tree
from contest.web.deps import Forbidden, actor_for, get_db, is_htmx, require_staff
from contest.web.numbers import ascii_int
from contest.web.templating import language, render

router = APIRouter(prefix="/committee")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ctx(db: Session, slug: str, number: int | None = None) -> dict:
    contest = contests.get_by_slug(db, slug)
    ctx: dict = {"contest": contest, "rounds": contest.rounds}
    if number is not None:
        r = contests.get_round(db, contest, number)
        ctx.update(round=r, closed=contests.round_result(db, r))
    return ctx


@router.get("")
def contests_page(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    found = contests.list_contests(db)
    if len(found) == 1:
        return RedirectResponse(f"/committee/{found[0].slug}", status_code=303)
    return render(request, "committee/contests.html", {"contests": found})


@router.get("/{slug}")
def index(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _ctx(db, slug)
    ctx["closed"] = {r.id: contests.round_result(db, r) for r in ctx["rounds"]}
    ctx["frozen"] = {r.id for r in ctx["rounds"] if prize_lists.has_final(db, round_id=r.id)}
    ctx["lists"] = prize_lists.lists_of(db, ctx["contest"].id)
    return render(request, "committee/index.html", ctx)


@router.post("/{slug}/rounds/{number}/close")
def close(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    results.close_round(db, actor_for(request, principal), contests.get_round(db, slug, number))
    return RedirectResponse(f"/committee/{slug}/rounds/{number}/flags", status_code=303)


def _flags_ctx(
    request: Request,
    db: Session,
    slug: str,
    number: int,
    code: str | None,
    state: str | None,
    q: str = "",
    unit: int | None = None,
) -> dict:
    ctx = _ctx(db, slug, number)
    page = screening.people(
        db, ctx["round"], query=q, unit_id=unit, code=code or None, state=state or None
    )
    decisions = [d for row in page.rows for _, v in row.attempts for d in v.decisions]
    lang = language(request)
    ctx.update(
        page=page,
        rows=page.rows,
        codes=[(c.value, flag_words(c, lang)) for c in flag_codes_for(ctx["contest"].kind)],
        code=code or "",
        state=state or "",
        q=q,
        unit=unit,
        units=unit_tree(db, ctx["contest"].id),
        deciders=screening.decider_names(db, decisions),
        approved=screening.approved_list_of(db, ctx["round"]),
        flag_words=lambda c: flag_words(c, lang),
    )
    return ctx


@router.get("/{slug}/rounds/{number}/flags")
def flags(
    request: Request,
    slug: str,
    number: int,
    code: str = "",
    state: str = "",
    q: str = "",
    unit: str = "",
    done: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _flags_ctx(request, db, slug, number, code, state, q, ascii_int(unit))
    ctx["done"] = done
    return render(request, "committee/flags.html", ctx)


@router.post("/{slug}/rounds/{number}/decisions")
def decide(
    request: Request,
    slug: str,
    number: int,
    participant_ids: list[int] = Form([]),
    attempt_ids: list[int] = Form([]),
    subject_ids: list[int] = Form([]),
    subject_kind: str = Form("attempt"),
    eligible: str = Form(""),
    reason: str = Form(""),
    code: str = Form(""),
    state: str = Form(""),
    q: str = Form(""),
    unit: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    round_ = contests.get_round(db, slug, number)
    # subject_ids + subject_kind: the form of earlier versions, still accepted from scripts.
    people_ids = list(participant_ids) + (subject_ids if subject_kind == "participant" else [])
    entry_ids = list(attempt_ids) + (subject_ids if subject_kind != "participant" else [])
    error = None
    recorded = []
    try:
        recorded = screening.decide_many(
            db,
            actor_for(request, principal),
            round_,
            people_ids,
            entry_ids,
            eligible == "yes",
            reason,
        )
    except ContestError as exc:
        error = exc
    query = urlencode({"code": code, "state": state, "q": q, "unit": unit})
    if error is None and not is_htmx(request):
        return RedirectResponse(
            f"/committee/{slug}/rounds/{number}/flags?{query}&done={len(recorded)}",
            status_code=303,
        )
    ctx = _flags_ctx(request, db, slug, number, code, state, q, ascii_int(unit))
    ctx["error"] = error
    ctx["done"] = len(recorded)
    name = "committee/_flag_rows.html" if is_htmx(request) else "committee/flags.html"
    return render(request, name, ctx, status_code=422 if error else 200)


@router.get("/{slug}/rounds/{number}/ranking")
def ranking(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _ctx(db, slug, number)
    data = results.load_round(db, ctx["round"])
    ctx.update(
        rows=results.individual_ranking(db, ctx["round"], data),
        true_figure=data.true_figure,
        order=[results.KEY_WORDS[k][0 if language(request) == "vi" else 1] for k in data.order],
    )
    return render(request, "committee/ranking.html", ctx)


@router.get("/{slug}/rounds/{number}/statistics")
def stats(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _ctx(db, slug, number)
    ctx["stats"] = statistics.question_statistics(db, ctx["round"])
    return render(request, "committee/statistics.html", ctx)


@router.post("/{slug}/rounds/{number}/statistics/{version_id}/key")
def correct_key(
    request: Request,
    slug: str,
    number: int,
    version_id: int,
    correct_options: list[str] = Form([]),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    ctx = _ctx(db, slug, number)
    report = statistics.correct_key(
        db, actor_for(request, principal), ctx["round"], version_id, correct_options, reason
    )
    ctx.update(stats=statistics.question_statistics(db, ctx["round"]), report=report)
    return render(request, "committee/statistics.html", ctx)


@router.get("/{slug}/collectives")
def collectives(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _ctx(db, slug)
    missing = plans.missing_plan(db, ctx["contest"], None)
    if missing:
        return _needs_plan(request, ctx["contest"], missing, None)
    ctx["result"] = prizes.collective_ranking(db, ctx["contest"])
    ctx["tiers"] = {t.code: t.label_vi for t in ctx["result"].allocation.plan.tiers}
    return render(request, "committee/collectives.html", ctx)


@router.post("/{slug}/prizes/allocate")
def allocate(
    request: Request,
    slug: str,
    target: str = Form(""),
    correction: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    contest = contests.get_by_slug(db, slug)
    actor = actor_for(request, principal)
    note = correction.strip() or None
    round_number = ascii_int(target, 1_000_000)
    if target == "collective" or round_number is not None:
        missing = plans.missing_plan(db, contest, round_number)
        if missing:
            return _needs_plan(
                request, contest, missing, None if target == "collective" else target
            )
    if target == "collective":
        pl = prizes.allocate_collectives(db, actor, contest, correction_note=note)
    else:
        if round_number is None:
            raise ContestError("Chưa chọn đợt thi.", "No round chosen.", field="target")
        pl = prizes.allocate(
            db, actor, contests.get_round(db, slug, round_number), correction_note=note
        ).prize_list
    return RedirectResponse(f"/committee/{slug}/prizes/{pl.id}", status_code=303)


def _needs_plan(request: Request, contest, reason: tuple[str, str], round_number: str | None):
    """Lead the committee to the plans page instead of a bare error."""
    return render(
        request,
        "committee/needs_plan.html",
        {
            "contest": contest,
            "reason": reason,
            "plans_url": f"/organiser/contests/{contest.slug}/plans"
            + (f"?round={round_number}#prize" if round_number else "#collective"),
        },
        status_code=409,
    )


def _list_in(db: Session, slug: str, list_id: int, kind: str | None = None):
    contest = contests.get_by_slug(db, slug)
    return contest, prize_lists.list_in_contest(db, contest, list_id, kind)


@router.get("/{slug}/prizes/{list_id}")
def prize_list(
    request: Request,
    slug: str,
    list_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    """Every kind of list (a round's, the collectives', a works contest's) on one page."""
    contest, pl = _list_in(db, slug, list_id)
    view = prizes.list_view(db, contest, pl)
    return render(
        request,
        "committee/prize_list.html",
        {
            "view": view,
            "contest": contest,
            "round": view.round,
            "may_approve": can(principal, "approve_prizes")
            and prize_lists.may_approve(db, principal.staff.id if principal.staff else None, pl),
        },
    )


@router.post("/{slug}/prizes/{list_id}/lines/{entry_id}")
def edit_line(
    request: Request,
    slug: str,
    list_id: int,
    entry_id: int,
    tier_code: str = Form(""),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    """Settle a tie or withdraw a line of a draft, with a reason; refused once approved."""
    _, pl = _list_in(db, slug, list_id)
    if entry_id not in {e.id for e in pl.entries}:
        raise NotFound("Không tìm thấy dòng danh sách giải.", "Prize list line not found.")
    prizes.set_entry_tier(db, actor_for(request, principal), entry_id, tier_code or None, reason)
    return RedirectResponse(f"/committee/{slug}/prizes/{list_id}", status_code=303)


@router.post("/{slug}/prizes/{list_id}/ties")
async def decide_tie(
    request: Request,
    slug: str,
    list_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    """Settle a tie at a prize boundary: the tied lines in the order decided (or shared), by a
    documented criterion, with a reason; stored, so later versions keep it."""
    form = await request.form()
    _, pl = _list_in(db, slug, list_id)
    lines = [ascii_int(str(v), 1_000_000_000) for v in form.getlist("line_id")]
    places = {n: ascii_int(str(form.get(f"order_{n}", "")), 1000) for n in lines if n is not None}
    if None in lines or None in places.values() or len(set(places.values())) != len(places):
        raise ContestError(
            "Mỗi dòng đồng hạng cần một thứ tự khác nhau (1, 2, …).",
            "Each tied line needs a different place (1, 2, …).",
            field="order",
        )
    ordered = sorted(places, key=lambda n: places[n] or 0)
    await run_in_threadpool(
        prizes.decide_tie,
        db,
        actor_for(request, principal),
        pl,
        ordered,
        str(form.get("criterion", "")),
        str(form.get("reason_vi", "")),
        str(form.get("reason_en", "")),
    )
    return RedirectResponse(f"/committee/{slug}/prizes/{list_id}#prize-lines", status_code=303)


ACTIONS = {
    "propose": prize_lists.ListStatus.PROPOSED,
    "approve": prize_lists.ListStatus.APPROVED,
    "publish": prize_lists.ListStatus.PUBLISHED,
}


@router.post("/{slug}/prizes/{list_id}/{action}")
def prize_list_transition(
    request: Request,
    slug: str,
    list_id: int,
    action: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    """Propose, approve or publish any kind of list; the list's owner checks who may."""
    if action not in ACTIONS:
        raise NotFound("Không có thao tác này.", "No such action.")
    if not principal.roles & set(prize_lists.roles_for(ACTIONS[action])):
        raise Forbidden()
    _, pl = _list_in(db, slug, list_id)
    prize_lists.transition(db, actor_for(request, principal), pl, ACTIONS[action])
    return RedirectResponse(f"/committee/{slug}/prizes/{list_id}", status_code=303)


@router.get("/{slug}/annex.{fmt}")
def contest_annex(
    slug: str,
    fmt: str,
    number: str = "",
    date: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    """The annex of the decision: every approved list of the contest, as .xlsx or .pdf."""
    contest = contests.get_by_slug(db, slug)
    return _annex_response(*annex.document(db, contest, fmt, number=number, on=date))


@router.get("/{slug}/prizes/{list_id}/annex.{fmt}")
def list_annex(
    slug: str,
    list_id: int,
    fmt: str,
    number: str = "",
    date: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    """The annex of one list version; a version not yet approved is marked as a draft."""
    contest, pl = _list_in(db, slug, list_id)
    return _annex_response(*annex.document(db, contest, fmt, pl=pl, number=number, on=date))


def _annex_response(data: bytes, media: str, name: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{slug}/export/{kind}.xlsx")
def export_in_background(
    request: Request,
    slug: str,
    kind: str,
    round: int | None = None,  # noqa: A002 — the query parameter is named "round"
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    """A large export (the ranking of a big round) built by a worker; its job page offers it."""
    contest = contests.get_by_slug(db, slug)
    r = contests.get_round(db, slug, round) if round is not None else None
    job = exports.start_export_job(db, actor_for(request, principal), contest, kind, r)
    return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)


@router.get("/{slug}/export/{kind}.xlsx")
def export(
    request: Request,
    slug: str,
    kind: str,
    round: int | None = None,  # noqa: A002 — the query parameter is named "round"
    list_id: int | None = None,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    contest = contests.get_by_slug(db, slug)
    r = contests.get_round(db, slug, round) if round is not None else None
    if kind == "ranking" and r is not None:
        data, name = exports.ranking_xlsx(db, r), f"xep-hang-dot-{round}"
    elif kind == "prizes" and list_id is not None:
        _, pl = _list_in(db, slug, list_id)
        data, name = exports.prize_list_xlsx(db, pl), f"danh-sach-giai-v{pl.version}"
    elif kind == "collectives":
        data, name = exports.collectives_xlsx(db, contest), "tap-the"
    elif kind == "participation":
        data, name = exports.participation_xlsx(db, contest), "tham-gia-theo-don-vi"
    elif kind == "decisions":
        data, name = exports.decisions_xlsx(db, contest, r), "quyet-dinh-xet-hop-le"
    else:
        raise NotFound("Không có tệp xuất này.", "No such export.")
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{slug}-{name}.xlsx"'},
    )
