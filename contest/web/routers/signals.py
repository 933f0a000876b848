"""Committee pages for the cheating signals: a round's clusters with their evidence and the
committee's decisions, the contest's thresholds, and the export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.permissions import COMMITTEE, OFFICE, ORGANISERS
from contest.domain.signals import KIND_WORDS, SETTING_MEANINGS, SignalKind, settings_spec
from contest.models import Round
from contest.services import contests, screening, signals
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, is_htmx, require_staff
from contest.web.templating import language, render

router = APIRouter(prefix="/committee")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Who may change the thresholds: the organisers, and the chair who answers for the screening.
SETTINGS_EDITORS = (*ORGANISERS, "committee_chair")


def _kinds(lang: str) -> list[tuple[str, str]]:
    return [(k.value, KIND_WORDS[k][0 if lang == "vi" else 1]) for k in SignalKind]


def _page(db: Session, request: Request, slug: str, number: int, kind: str, state: str) -> dict:
    contest = contests.get_by_slug(db, slug)
    round_: Round = contests.get_round(db, slug, number)
    run = signals.latest_run(db, round_)
    views = signals.cluster_views(db, round_, signals.clusters_of(db, run)) if run else []
    if kind:
        views = [v for v in views if kind in v.cluster.kinds]
    if state == "open":
        views = [v for v in views if v.undecided]
    elif state == "decided":
        views = [v for v in views if not v.undecided]
    names = screening.decider_names(db, [d for v in views for m in v.members for d in m.decisions])
    return {
        "contest": contest,
        "rounds": contest.rounds,
        "round": round_,
        "run": run,
        "names": names,
        "views": views,
        "kinds": _kinds(language(request)),
        "kind": kind,
        "state": state,
        "error": None,
        "error_cluster": None,
    }


@router.get("/{slug}/rounds/{number}/signals")
def page(
    request: Request,
    slug: str,
    number: int,
    kind: str = "",
    state: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return render(request, "committee/signals.html", _page(db, request, slug, number, kind, state))


@router.post("/{slug}/rounds/{number}/signals/{cluster_id}/decisions")
def decide(
    request: Request,
    slug: str,
    number: int,
    cluster_id: int,
    participant_ids: list[int] = Form([]),
    eligible: str = Form(""),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    """Decide for ticked members of a cluster through the eligibility trail (a decision on the
    person covers all of their attempts)."""
    round_ = contests.get_round(db, slug, number)
    cluster = signals.find_cluster(db, round_, cluster_id)
    if cluster is None:
        raise NotFound("Không tìm thấy cụm này.", "No such cluster.")
    outside = set(participant_ids) - set(cluster.participant_ids)
    error: ContestError | None = None
    if outside:
        error = ContestError(
            "Chỉ được quyết định cho thành viên của cụm.",
            "Only members of the cluster can be decided here.",
            field="participant_ids",
        )
    else:
        try:
            screening.decide_many(
                db,
                actor_for(request, principal),
                round_,
                participant_ids,
                [],
                eligible == "yes",
                reason,
            )
        except ContestError as exc:
            error = exc
    if error is None and not is_htmx(request):
        return RedirectResponse(
            f"/committee/{slug}/rounds/{number}/signals#cluster-{cluster_id}", status_code=303
        )
    ctx = _page(db, request, slug, number, "", "")
    ctx["error"], ctx["error_cluster"] = error, cluster_id
    if is_htmx(request):
        view = next((v for v in ctx["views"] if v.cluster.id == cluster_id), None)
        ctx["view"] = view
        return render(
            request, "committee/_signal_cluster.html", ctx, status_code=422 if error else 200
        )
    return render(request, "committee/signals.html", ctx, status_code=422)


@router.post("/{slug}/rounds/{number}/signals/compute")
def compute_in_background(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    """Computing is minutes for a large round: a worker does it; its job page shows progress."""
    round_ = contests.get_round(db, slug, number)
    job = signals.start_compute_job(db, actor_for(request, principal), round_)
    return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)


@router.get("/{slug}/rounds/{number}/signals.xlsx")
def export(
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    round_ = contests.get_round(db, slug, number)
    return Response(
        signals.clusters_xlsx(db, round_),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{slug}-dau-hieu-gian-lan-dot-{number}.xlsx"'
        },
    )


def _settings_ctx(db: Session, slug: str, values: dict | None = None) -> dict:
    contest = contests.get_by_slug(db, slug)
    current = settings_spec(signals.settings_for(db, contest.id))
    return {
        "contest": contest,
        "rounds": contest.rounds,
        "values": {**current, **(values or {})},
        "meanings": SETTING_MEANINGS,
        "errors": {},
        "editors": SETTINGS_EDITORS,
        "saved": False,
    }


@router.get("/{slug}/signals/settings")
def settings_page(
    request: Request,
    slug: str,
    saved: int = 0,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    ctx = _settings_ctx(db, slug)
    ctx["saved"] = bool(saved)
    return render(request, "committee/signal_settings.html", ctx)


@router.post("/{slug}/signals/settings")
async def save_settings(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*SETTINGS_EDITORS)),
):
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in SETTING_MEANINGS}
    return await run_in_threadpool(_save_settings, request, slug, values, db, principal)


def _save_settings(
    request: Request, slug: str, values: dict, db: Session, principal: Principal
) -> Response:
    contest = contests.get_by_slug(db, slug)
    try:
        signals.save_settings(db, actor_for(request, principal), contest.id, values)
    except InvalidInput as exc:
        ctx = _settings_ctx(db, slug, values)
        ctx["errors"] = exc.by_field()
        return render(request, "committee/signal_settings.html", ctx, status_code=422)
    return RedirectResponse(f"/committee/{slug}/signals/settings?saved=1", status_code=303)
