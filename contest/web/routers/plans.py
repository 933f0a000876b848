"""The plans page: prize plans, collective plan, screening thresholds and excluded list; previews."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from contest.config import get_settings
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.permissions import OFFICE, ORGANISERS
from contest.domain.plans import CRITERION_WORDS, check_collective_plan, check_prize_plan
from contest.domain.prizes import Outcome
from contest.models import Contest
from contest.services import contests, plans, units
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, require_staff
from contest.web.numbers import ascii_int
from contest.web.templating import render

router = APIRouter(prefix="/organiser/contests/{slug}/plans")

BLANK_ROWS = 2
TIER_FIELDS = ("code", "label_vi", "label_en", "quota", "min_score", "group_quotas")


def _errors(exc: ContestError) -> list[ContestError]:
    return exc.errors if isinstance(exc, InvalidInput) else [exc]


def _quota_text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value or "")


def _prize_form(spec: dict | None) -> dict:
    spec = spec or {}
    tiers = [
        {
            "code": t.get("code", ""),
            "label_vi": t.get("label_vi", ""),
            "label_en": t.get("label_en", ""),
            "quota": t.get("quota", ""),
            "min_score": t.get("min_score", ""),
            "group_quotas": _quota_text(t.get("group_quotas")),
        }
        for t in spec.get("tiers", [])
    ]
    return {
        "tiers": tiers,
        "tie_rule": spec.get("tie_rule", "committee"),
        "cap_percent": spec.get("cap_percent", ""),
        "carry_over_vacancies": spec.get("carry_over_vacancies", False),
        "one_prize_per_person": spec.get("one_prize_per_person", True),
        "one_prize_scope": spec.get("one_prize_scope", "contest"),
        "groups": ", ".join(spec.get("groups") or []),
        "order": ", ".join(spec.get("order") or []),
    }


def _collective_form(spec: dict | None) -> dict:
    spec = spec or {}
    keys = list(spec.get("keys") or []) + ["", ""]
    return {
        "criterion": spec.get("criterion", "participation_rate"),
        "key2": keys[0],
        "key3": keys[1],
        "pools": ", ".join(spec.get("pools") or []),
        "tiers": [
            {
                "code": t.get("code", ""),
                "label_vi": t.get("label_vi", ""),
                "label_en": t.get("label_en", ""),
                "group_quotas": _quota_text(t.get("group_quotas")),
            }
            for t in spec.get("tiers", [])
        ],
        "unit_pools": dict(spec.get("unit_pools") or {}),
        "size_bands": [
            {
                "max_headcount": b.get("max_headcount", ""),
                "min_percent": f"{b['min_rate'] * 100:g}" if b.get("min_rate") is not None else "",
            }
            for b in spec.get("size_bands", [])
        ],
        "min_participants": spec.get("min_participants", 1),
        "roll_up": spec.get("roll_up", False),
        "tie_rule": spec.get("tie_rule", "committee"),
    }


def _rows(form: FormData, prefix: str, names: tuple[str, ...]) -> list[dict]:
    columns = {n: form.getlist(f"{prefix}_{n}") for n in names}
    count = max((len(v) for v in columns.values()), default=0)
    return [
        {n: str(columns[n][i]) if i < len(columns[n]) else "" for n in names} for i in range(count)
    ]


def _prize_raw(form: FormData) -> dict:
    return {
        "tiers": _rows(form, "tier", TIER_FIELDS),
        "tie_rule": str(form.get("tie_rule", "")),
        "cap_percent": str(form.get("cap_percent", "")),
        "carry_over_vacancies": form.get("carry_over_vacancies") == "yes",
        "one_prize_per_person": form.get("one_prize_per_person") == "yes",
        "one_prize_scope": str(form.get("one_prize_scope", "")),
        "groups": str(form.get("groups", "")),
        "order": str(form.get("order", "")),
    }


def _collective_raw(form: FormData) -> dict:
    bands = []
    for row in _rows(form, "band", ("max_headcount", "min_percent")):
        percent = row["min_percent"].strip().replace(",", ".")
        try:
            rate: object = float(percent) / 100 if percent else ""
        except ValueError:
            rate = row["min_percent"]
        bands.append({"max_headcount": row["max_headcount"], "min_rate": rate})
    return {
        "criterion": str(form.get("criterion", "")),
        "keys": [k for k in (str(form.get("key2", "")), str(form.get("key3", ""))) if k],
        "pools": str(form.get("pools", "")),
        "tiers": _rows(form, "ctier", ("code", "label_vi", "label_en", "group_quotas")),
        "unit_pools": {
            key[len("pool:") :]: str(value)
            for key, value in form.multi_items()
            if key.startswith("pool:") and str(value)
        },
        "size_bands": bands,
        "min_participants": str(form.get("min_participants", "")),
        "roll_up": form.get("roll_up") == "yes",
        "tie_rule": str(form.get("tie_rule", "")),
    }


def _padded(rows: list[dict], names, minimum: int) -> list[dict]:
    blank = dict.fromkeys(names, "")
    return rows + [dict(blank) for _ in range(max(BLANK_ROWS, minimum - len(rows)))]


def _page(
    request: Request,
    db: Session,
    contest: Contest,
    *,
    round_number: int | None = None,
    prize_form: dict | None = None,
    collective_form: dict | None = None,
    screening_form: dict | None = None,
    errors: dict[str, list[ContestError]] | None = None,
    preview=None,
    collective_preview=None,
    excluded_errors=None,
    notice: str = "",
    status: int = 200,
) -> Response:
    v = plans.view(db, contest)
    own = v.round_specs.get(round_number) if round_number else None
    if prize_form is None:
        prize_form = _prize_form(own if round_number else v.prize_spec)
        if round_number and own is None:
            prize_form = _prize_form(v.prize_spec)  # start from the contest's plan
    if collective_form is None:
        collective_form = _collective_form(v.collective_spec)
    if screening_form is None:
        screening_form = {
            "min_seconds_per_question": f"{v.thresholds.min_seconds_per_question or 0:g}",
            "require_all_answered": v.thresholds.require_all_answered,
        }
    prize_form["tiers"] = _padded(prize_form["tiers"], TIER_FIELDS, 4)
    collective_form["tiers"] = _padded(
        collective_form["tiers"], ("code", "label_vi", "label_en", "group_quotas"), 4
    )
    collective_form["size_bands"] = _padded(
        collective_form["size_bands"], ("max_headcount", "min_percent"), 2
    )
    lock = v.round_locks.get(round_number) if round_number else v.prize_lock
    return render(
        request,
        "organiser/plans.html",
        {
            "contest": contest,
            "v": v,
            "round_number": round_number,
            "has_own_plan": round_number in v.round_specs if round_number else True,
            "prize_form": prize_form,
            "collective_form": collective_form,
            "screening_form": screening_form,
            "errors": errors or {},
            "prize_lock": lock,
            "preview": preview,
            "collective_preview": collective_preview,
            "excluded_errors": excluded_errors or [],
            "criteria": CRITERION_WORDS,
            "tree": units.unit_tree(db, contest.id),
            "notice": notice,
            "Outcome": Outcome,
        },
        status_code=status,
    )


def _round_arg(value: object) -> int | None:
    return ascii_int(value or "", 1_000_000)


@router.get("")
def plans_page(
    request: Request,
    slug: str,
    round: str = "",  # noqa: A002 — the query parameter is named "round"
    saved: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = contests.get_by_slug(db, slug)
    return _page(request, db, contest, round_number=_round_arg(round), notice=saved)


@router.post("/prize")
async def prize_save(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    form = await request.form()
    return await run_in_threadpool(_prize_post, request, slug, form, db, principal)


def _prize_post(request: Request, slug: str, form: FormData, db: Session, principal: Principal):
    contest = contests.get_by_slug(db, slug)
    round_number = _round_arg(form.get("round"))
    raw = _prize_raw(form)
    action = str(form.get("action", "save"))
    shown = dict(raw, tiers=[dict(t) for t in raw["tiers"] if any(t.values())])
    shown["groups"], shown["order"] = raw["groups"], raw["order"]
    try:
        if action == "preview":
            plan, _ = check_prize_plan(raw)
            target = _round_arg(form.get("preview_round")) or round_number
            if target is None:
                raise ContestError(
                    "Chọn đợt thi để xem trước.",
                    "Choose a round to preview.",
                    field="preview_round",
                )
            preview = plans.preview_prize_plan(db, contest, plan, target)
            return _page(
                request, db, contest, round_number=round_number, prize_form=shown, preview=preview
            )
        if action == "remove" and round_number:
            plans.remove_round_plan(
                db,
                actor_for(request, principal),
                contest,
                round_number,
                str(form.get("correction_reason", "")),
            )
        else:
            plans.save_prize_plan(
                db,
                actor_for(request, principal),
                contest,
                raw,
                round_number=round_number,
                correction_reason=str(form.get("correction_reason", "")),
            )
    except ContestError as exc:
        return _page(
            request,
            db,
            contest,
            round_number=round_number,
            prize_form=shown,
            errors={"prize": _errors(exc)},
            status=422,
        )
    suffix = f"round={round_number}&" if round_number else ""
    return RedirectResponse(
        f"/organiser/contests/{slug}/plans?{suffix}saved=prize#prize", status_code=303
    )


@router.post("/collective")
async def collective_save(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    form = await request.form()
    return await run_in_threadpool(_collective_post, request, slug, form, db, principal)


def _collective_post(
    request: Request, slug: str, form: FormData, db: Session, principal: Principal
):
    contest = contests.get_by_slug(db, slug)
    raw = _collective_raw(form)
    shown = _collective_form(
        {
            **raw,
            "pools": [p.strip() for p in raw["pools"].split(",") if p.strip()],
            "tiers": [t for t in raw["tiers"] if any(t.values())],
            "size_bands": [],
        }
    )
    shown["size_bands"] = [
        r for r in _rows(form, "band", ("max_headcount", "min_percent")) if any(r.values())
    ]
    try:
        if str(form.get("action", "save")) == "preview":
            _, spec = check_collective_plan(raw, plans.unit_codes(db, contest.id))
            result = plans.preview_collective(db, contest, spec)
            return _page(request, db, contest, collective_form=shown, collective_preview=result)
        plans.save_collective_plan(
            db,
            actor_for(request, principal),
            contest,
            raw,
            correction_reason=str(form.get("correction_reason", "")),
        )
    except ContestError as exc:
        return _page(
            request,
            db,
            contest,
            collective_form=shown,
            errors={"collective": _errors(exc)},
            status=422,
        )
    return RedirectResponse(
        f"/organiser/contests/{slug}/plans?saved=collective#collective", status_code=303
    )


@router.post("/screening")
async def screening_save(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    form = await request.form()
    return await run_in_threadpool(_screening_post, request, slug, form, db, principal)


def _screening_post(request: Request, slug: str, form: FormData, db: Session, principal: Principal):
    contest = contests.get_by_slug(db, slug)
    raw = {
        "min_seconds_per_question": str(form.get("min_seconds_per_question", "")),
        "require_all_answered": form.get("require_all_answered") == "yes",
    }
    try:
        plans.save_screening(
            db,
            actor_for(request, principal),
            contest,
            raw,
            correction_reason=str(form.get("correction_reason", "")),
        )
    except ContestError as exc:
        return _page(
            request, db, contest, screening_form=raw, errors={"screening": _errors(exc)}, status=422
        )
    return RedirectResponse(
        f"/organiser/contests/{slug}/plans?saved=screening#screening", status_code=303
    )


@router.post("/excluded")
async def excluded_import(
    request: Request,
    slug: str,
    file: UploadFile,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    limit = get_settings().upload_max_bytes
    data = await file.read(limit + 1)

    def work():
        contest = contests.get_by_slug(db, slug)
        if len(data) > limit:
            exc = ContestError(
                f"Tệp lớn hơn {limit // (1024 * 1024)} MB.",
                f"The file is larger than {limit // (1024 * 1024)} MB.",
                field="file",
            )
            return _page(request, db, contest, errors={"excluded": [exc]}, status=422)
        result = plans.import_excluded(
            db, actor_for(request, principal), contest, data, file.filename or "upload.csv"
        )
        if not result.ok:
            return _page(request, db, contest, excluded_errors=result.errors, status=422)
        return RedirectResponse(
            f"/organiser/contests/{slug}/plans?saved=excluded#excluded", status_code=303
        )

    return await run_in_threadpool(work)
