"""Organiser pages: question banks (upload, preview, confirm, browse, edit, export) and contest/round set-up."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.config import get_settings
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.paper import read_options
from contest.domain.permissions import OFFICE, ORGANISERS
from contest.models import Contest
from contest.services import bank_imports, banks, contests, live, rounds, staging
from contest.services.sessions import Principal
from contest.web.deps import actor_for, get_db, is_htmx, require_staff
from contest.web.numbers import ascii_int
from contest.web.templating import render

router = APIRouter(prefix="/organiser")

MAX_FILES = 20
MAX_PICTURE_UPLOAD = 10 * 1024 * 1024
QUOTA_ROWS = 4


def _errors(exc: ContestError) -> list[ContestError]:
    return exc.errors if isinstance(exc, InvalidInput) else [exc]


def _invalid(request: Request, template: str, context: dict, exc: ContestError) -> Response:
    """The form's page again, with what was wrong in it (422)."""
    return render(request, template, {**context, "errors": _errors(exc)}, status_code=422)


async def _read_uploads(uploads: list[UploadFile]) -> list[tuple[str, bytes]]:
    limit = get_settings().upload_max_bytes
    if len(uploads) > MAX_FILES:
        raise ContestError(
            f"Mỗi lần tải lên tối đa {MAX_FILES} tệp.",
            f"Upload at most {MAX_FILES} files at a time.",
            field="files",
        )
    out = []
    for upload in uploads:
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise ContestError(
                f"Tệp '{upload.filename}' lớn hơn {limit // (1024 * 1024)} MB.",
                f"The file '{upload.filename}' is larger than {limit // (1024 * 1024)} MB.",
                field="files",
            )
        if upload.filename:
            out.append((Path(upload.filename).name, data))
    return out


# --------------------------------------------------------------------------- banks


def _banks_page(
    request: Request,
    db: Session,
    *,
    error: ContestError | None = None,
    form: dict | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "organiser/banks.html",
        {"banks": banks.list_banks(db), "error": error, "form": form or {}},
        status_code=status,
    )


@router.get("/banks")
def bank_list(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return _banks_page(request, db)


@router.post("/banks/preview")
async def bank_preview(
    request: Request,
    files: list[UploadFile],
    bank: str = Form(""),
    title: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    form = {"bank": bank, "title": title}
    try:
        payload = await _read_uploads(files)
    except ContestError as exc:
        return await run_in_threadpool(_banks_page, request, db, error=exc, form=form, status=422)

    # Parsing a large workbook takes seconds: never on the event loop that serves saves.
    def preview_and_render():
        try:
            preview = banks.preview_import(db, payload, bank)
        except ContestError as exc:
            return _banks_page(request, db, error=exc, form=form, status=422)
        token = (
            staging.stage(
                db,
                payload,
                f"staff:{principal.staff.id}",
                {"bank": preview.bank_code, "title": title, "questions": len(preview.items)},
            )
            if preview.ok
            else ""
        )
        return render(
            request,
            "organiser/preview.html",
            {"preview": preview, "token": token, "form": form},
            status_code=200 if preview.ok else 422,
        )

    return await run_in_threadpool(preview_and_render)


@router.post("/banks/confirm")
def bank_confirm(
    request: Request,
    token: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    owner = f"staff:{principal.staff.id}"
    try:
        manifest, files = staging.take(db, token, owner)
        if bank_imports.needs_worker(manifest):
            job = bank_imports.start_job(db, actor_for(request, principal), token, owner, manifest)
            return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)
        report = banks.import_questions(
            db,
            actor_for(request, principal),
            manifest["bank"],
            files,
            bank_title=manifest["title"] or None,
        )
    except ContestError as exc:
        return _banks_page(request, db, error=exc, status=422)
    if not report.ok:
        preview = banks.preview_import(db, files, manifest["bank"])
        return render(
            request,
            "organiser/preview.html",
            {"preview": preview, "token": "", "form": manifest},
            status_code=422,
        )
    staging.discard(db, token)
    return RedirectResponse(
        f"/organiser/banks/{report.bank}?imported={report.imported}", status_code=303
    )


@router.get("/banks/{code}")
def bank_detail(
    request: Request,
    code: str,
    page: int = 1,
    imported: int | None = None,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return render(
        request, "organiser/bank.html", {"p": banks.bank_page(db, code, page), "imported": imported}
    )


@router.get("/banks/{code}/export.{fmt}")
def bank_export(
    code: str,
    fmt: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    data = banks.export_bank(db, code, fmt)
    media, suffix = {
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        "xml": ("application/xml", "moodle.xml"),
    }.get(fmt, ("text/plain; charset=utf-8", "gift.txt"))
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{code}.{suffix}"'},
    )


def _question_form(question, version) -> dict:
    options = [
        {"text": o.text, "correct": o.correct, "id": o.id, "pictures": o.pictures}
        for o in read_options(version.options)
    ]
    options += [{"text": "", "correct": False}] * max(0, 6 - len(options))
    return {
        "stem": version.stem,
        "options": options,
        "topic": version.topic or "",
        "difficulty": version.difficulty or "",
        "explanation": version.explanation or "",
    }


def _question_page(
    request: Request, question, version, bank, form: dict, exc: ContestError | None = None
) -> Response:
    context = {"question": question, "version": version, "bank": bank, "form": form}
    if exc is not None:
        return _invalid(request, "organiser/question.html", context, exc)
    return render(request, "organiser/question.html", {**context, "errors": []})


@router.get("/questions/{question_id}")
def question_edit_page(
    request: Request,
    question_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    question, version, bank = banks.question_with_version(db, question_id)
    return _question_page(request, question, version, bank, _question_form(question, version))


@router.post("/questions/{question_id}")
def question_edit(
    request: Request,
    question_id: int,
    stem: str = Form(""),
    option: list[str] = Form([]),
    correct: list[int] = Form([]),
    topic: str = Form(""),
    difficulty: str = Form(""),
    explanation: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    question, version, bank = banks.question_with_version(db, question_id)
    pairs = [(text, i in correct) for i, text in enumerate(option)]
    try:
        banks.edit_question(
            db,
            actor_for(request, principal),
            question_id,
            stem=stem,
            options=pairs,
            topic=topic,
            difficulty=difficulty or None,
            explanation=explanation,
        )
    except ContestError as exc:
        form = {
            "stem": stem,
            "options": [{"text": t, "correct": c} for t, c in pairs],
            "topic": topic,
            "difficulty": difficulty,
            "explanation": explanation,
        }
        return _question_page(request, question, version, bank, form, exc)
    return RedirectResponse(f"/organiser/banks/{bank.code}", status_code=303)


@router.post("/questions/{question_id}/pictures")
async def question_picture(
    request: Request,
    question_id: int,
    file: UploadFile | None = None,
    place: str = Form("stem"),
    index: str = Form(""),
    alt: str | None = Form(None),
    remove: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    """Add, replace, describe or remove one picture of the stem or of an option."""
    data = None
    if file is not None and file.filename:
        data = await file.read(MAX_PICTURE_UPLOAD + 1)
    position = ascii_int(index) if index.strip() else None

    def apply():
        question, version, bank = banks.question_with_version(db, question_id)
        try:
            if data is not None and len(data) > MAX_PICTURE_UPLOAD:
                raise ContestError(
                    f"Tệp hình lớn hơn {MAX_PICTURE_UPLOAD // (1024 * 1024)} MB.",
                    f"The picture file is larger than {MAX_PICTURE_UPLOAD // (1024 * 1024)} MB.",
                    field="file",
                )
            banks.edit_picture(
                db,
                actor_for(request, principal),
                question_id,
                place=place,
                index=position,
                data=data,
                alt=alt,
                remove=bool(remove),
            )
        except ContestError as exc:
            form = _question_form(question, version)
            return _question_page(request, question, version, bank, form, exc)
        return RedirectResponse(f"/organiser/questions/{question_id}", status_code=303)

    # Decoding and encoding a picture takes a CPU moment: never on the event loop.
    return await run_in_threadpool(apply)


# --------------------------------------------------------------------------- contests


@router.get("/contests")
def contest_list(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return render(request, "organiser/contests.html", {"contests": contests.list_contests(db)})


@router.post("/contests/import")
async def contest_import(
    request: Request,
    file: UploadFile | None = None,
    units: UploadFile | None = None,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    """A whole contest from a contest file (what 'contest contests create' reads), with its
    unit tree; the same service and the same checks as the command."""
    try:
        uploads = await _read_uploads([f for f in (file, units) if f is not None and f.filename])
        named = {name: data for name, data in uploads}
        if file is None or not file.filename:
            raise ContestError(
                "Chưa chọn tệp cuộc thi (.toml).", "No contest file (.toml) chosen.", field="file"
            )
        name = Path(file.filename).name
        doc = rounds.read_contest_file(named[name], name)
        units_file = None
        if units is not None and units.filename:
            units_file = (Path(units.filename).name, named[Path(units.filename).name])
        elif rounds.units_named(doc):
            raise ContestError(
                f"Tệp cuộc thi ghi tệp đơn vị '{rounds.units_named(doc)}': hãy chọn cả tệp đó.",
                f"The contest file names the units file '{rounds.units_named(doc)}': choose it too.",
                field="units",
            )
        setup = await run_in_threadpool(
            rounds.create_from_document,
            db,
            actor_for(request, principal),
            doc,
            units_file=units_file,
        )
    except ContestError as exc:
        context = {"contests": contests.list_contests(db)}
        return _invalid(request, "organiser/contests.html", context, exc)
    return RedirectResponse(f"/organiser/contests/{setup.slug}/rounds", status_code=303)


@router.get("/contests/{slug}/contest.toml")
def contest_file(
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    """The contest and its rounds as a contest file, to reuse next year or to keep."""
    contest = contests.get_by_slug(db, slug)
    return Response(
        rounds.contest_file_text(db, contest).encode("utf-8"),
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{contest.slug}.toml"'},
    )


@router.get("/contests/new")
def contest_new(request: Request, principal: Principal = Depends(require_staff(*ORGANISERS))):
    return render(
        request,
        "organiser/contest_form.html",
        {"contest": None, "form": rounds.ContestInput(), "errors": []},
    )


@router.get("/contests/{slug}")
def contest_edit_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = contests.get_by_slug(db, slug)
    return render(
        request,
        "organiser/contest_form.html",
        {"contest": contest, "form": rounds.ContestInput.of(contest), "errors": []},
    )


@router.post("/contests")
def contest_save(
    request: Request,
    current: str = Form(""),
    slug: str = Form(""),
    title_vi: str = Form(""),
    title_en: str = Form(""),
    organiser_vi: str = Form(""),
    place_vi: str = Form(""),
    rules_vi: str = Form(""),
    rules_en: str = Form(""),
    min_age: str = Form("0"),
    age_cutoff: str = Form(""),
    registration_open: str = Form(""),
    cheating_voids_all: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    data = rounds.ContestInput(
        slug,
        title_vi,
        title_en,
        organiser_vi,
        place_vi,
        rules_vi,
        rules_en,
        min_age,
        age_cutoff,
        registration_open == "yes",
        cheating_voids_all == "yes",
    )
    contest: Contest | None = contests.get_by_slug(db, current) if current else None
    try:
        if contest is None:
            contest = contests.create_contest(
                db, actor_for(request, principal), rounds.contest_spec(db, data)
            )
        else:
            rounds.update_contest(db, actor_for(request, principal), contest, data)
    except ContestError as exc:
        context = {"contest": contest, "form": data}
        return _invalid(request, "organiser/contest_form.html", context, exc)
    return RedirectResponse(f"/organiser/contests/{contest.slug}/rounds", status_code=303)


@router.get("/contests/{slug}/rounds")
def round_list(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = contests.get_by_slug(db, slug)
    items = [
        (r, rounds.round_bank_codes(db, r.id), rounds.has_attempts(db, r.id))
        for r in contest.rounds
    ]
    return render(request, "organiser/rounds.html", {"contest": contest, "items": items})


def _round_page(
    request: Request,
    db: Session,
    contest: Contest,
    rnd,
    form: rounds.RoundInput,
    errors: list[ContestError],
    status: int = 200,
) -> Response:
    quotas = list(form.quotas) + [rounds.QuotaRow()] * max(0, QUOTA_ROWS - len(form.quotas))
    return render(
        request,
        "organiser/round_form.html",
        {
            "contest": contest,
            "round": rnd,
            "form": form,
            "quotas": quotas,
            "errors": errors,
            "error_fields": {e.field for e in errors},
            "banks": banks.list_banks(db),
            "topics": rounds.bank_topics(db),
            "locked": rounds.has_attempts(db, rnd.id if rnd else None),
            "locked_fields": rounds.LOCKED_FIELDS,
        },
        status_code=status,
    )


@router.get("/contests/{slug}/rounds/new")
def round_new(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    contest = contests.get_by_slug(db, slug)
    return _round_page(request, db, contest, None, rounds.next_round_input(contest), [])


@router.get("/contests/{slug}/rounds/{number}")
def round_edit_page(
    request: Request,
    slug: str,
    number: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = contests.get_by_slug(db, slug)
    rnd = contests.get_round(db, contest, number)
    return _round_page(
        request,
        db,
        contest,
        rnd,
        rounds.RoundInput.of(rnd, rounds.round_bank_codes(db, rnd.id)),
        [],
    )


@router.post("/contests/{slug}/rounds")
async def round_save(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    form = await request.form()
    return await run_in_threadpool(_round_save, request, slug, form, db, principal)


def _round_save(request: Request, slug: str, form, db: Session, principal: Principal):
    contest = contests.get_by_slug(db, slug)
    current = ascii_int(form.get("current") or "", 1_000_000)
    rnd = contests.get_round(db, contest, current) if current is not None else None
    text = lambda name, default="": str(form.get(name, default))  # noqa: E731
    data = rounds.RoundInput(
        number=text("number"),
        title_vi=text("title_vi"),
        title_en=text("title_en"),
        opens=text("opens"),
        closes=text("closes"),
        banks=[str(v) for v in form.getlist("banks")],
        questions_per_attempt=text("questions_per_attempt"),
        quotas=[
            rounds.QuotaRow(str(t), str(d), str(c))
            for t, d, c in zip(
                form.getlist("quota_topic"),
                form.getlist("quota_difficulty"),
                form.getlist("quota_count"),
            )
        ],
        shuffle_questions=text("shuffle_questions") == "yes",
        shuffle_options=text("shuffle_options") == "yes",
        time_limit_minutes=text("time_limit_minutes"),
        max_attempts=text("max_attempts"),
        counting=text("counting", "best"),
        grace_seconds=text("grace_seconds", "30"),
        prediction_vi=text("prediction_vi"),
        prediction_en=text("prediction_en"),
        prediction_target=text("prediction_target", "all_correct"),
        prediction_required=text("prediction_required") == "yes",
        show_score=text("show_score", "on_submit"),
        show_key=text("show_key", "after_close"),
    )
    if rnd is not None and rounds.has_attempts(db, rnd.id):
        # Locked fields are shown read-only and not sent: keep the stored values.
        stored = rounds.RoundInput.of(rnd, rounds.round_bank_codes(db, rnd.id))
        for name in (
            "banks",
            "questions_per_attempt",
            "quotas",
            "counting",
            "time_limit_minutes",
            "max_attempts",
            "show_key",
            "prediction_target",
        ):
            if (
                name not in form
                and not (name == "quotas" and "quota_count" in form)
                and not (name == "banks" and "banks_sent" in form)
            ):
                setattr(data, name, getattr(stored, name))
    try:
        if rnd is None:
            rnd = rounds.create_round(db, actor_for(request, principal), contest, data)
        else:
            rounds.update_round(db, actor_for(request, principal), rnd, data)
    except ContestError as exc:
        return _round_page(request, db, contest, rnd, data, _errors(exc), status=422)
    return RedirectResponse(f"/organiser/contests/{contest.slug}/rounds", status_code=303)


# --------------------------------------------------------------------------- drafts and copies


@router.post("/contests/{slug}/publish")
def contest_publish(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    contests.publish(db, actor_for(request, principal), contests.get_by_slug(db, slug))
    return RedirectResponse(f"/organiser/contests/{slug}", status_code=303)


@router.get("/contests/{slug}/copy")
def contest_copy_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    source = contests.get_by_slug(db, slug)
    form = {"slug": f"{slug}-dien-tap", "shift_days": "0", "title_vi": "", "title_en": ""}
    return render(
        request, "organiser/contest_copy.html", {"contest": source, "form": form, "errors": []}
    )


@router.post("/contests/{slug}/copy")
def contest_copy(
    request: Request,
    slug: str,
    new_slug: str = Form(""),
    shift_days: str = Form("0"),
    title_vi: str = Form(""),
    title_en: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    source = contests.get_by_slug(db, slug)
    form = {"slug": new_slug, "shift_days": shift_days, "title_vi": title_vi, "title_en": title_en}
    try:
        days = int(shift_days.strip() or "0")
    except ValueError:
        days = None
    try:
        if days is None:
            raise ContestError(
                f"'{shift_days}' không phải là số ngày.",
                f"'{shift_days}' is not a number of days.",
                field="shift_days",
            )
        target, _ = contests.copy_contest(
            db,
            actor_for(request, principal),
            source,
            new_slug,
            shift_days=days,
            title_vi=title_vi or None,
            title_en=title_en or None,
        )
    except ContestError as exc:
        context = {"contest": source, "form": form}
        return _invalid(request, "organiser/contest_copy.html", context, exc)
    return RedirectResponse(f"/organiser/contests/{target.slug}", status_code=303)


# --------------------------------------------------------------------------- live


@router.get("/contests/{slug}/live")
def live_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    """The contest as it runs; the section polls itself (HTMX) and the figures are at most a
    few seconds old, however many staff watch (services.live)."""
    contest = contests.get_by_slug(db, slug)
    ctx = {"contest": contest, "view": live.live_view(db, contest)}
    if is_htmx(request):
        return render(request, "organiser/_live.html", ctx)
    return render(request, "organiser/live.html", ctx)
