"""Works contests: authors' pages, the jury's pages, the committee's screening, assignment and allocation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.domain.errors import ContestError, InvalidInput, NotFound, PermissionDenied
from contest.domain.permissions import COMMITTEE, JUDGES, OFFICE, ORGANISERS
from contest.domain.works import CATEGORY_LABELS, FILE_TYPES
from contest.models import Contest, Work
from contest.services import contests, jury, prize_lists, screening, works, works_exports
from contest.services import units as unit_service
from contest.services.ratelimit import hit_address
from contest.services.sessions import Principal
from contest.web import downloads
from contest.web.deps import (
    Forbidden,
    actor_for,
    get_db,
    get_principal,
    require_participant,
    require_staff,
)
from contest.web.numbers import ascii_int
from contest.web.templating import render

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- authors -------------------------------------------------------------------------------------


def _own(db: Session, slug: str, principal: Principal) -> Contest:
    contest = contests.get_by_slug(db, slug)
    if principal.participant.contest_id != contest.id:
        raise NotFound("Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest.")
    return contest


def _my_work(db: Session, contest: Contest, principal: Principal, work_id: int) -> Work:
    work = works.get_work(db, work_id, contest)
    if not works.is_author(work, principal.participant):
        raise NotFound("Không tìm thấy tác phẩm.", "Work not found.")
    return work


def _list_ctx(db: Session, contest: Contest, principal: Principal, **extra: object) -> dict:
    me = principal.participant
    settings = works.settings_for(db, contest)
    groups = works.groups_of(db, me)
    return {
        "contest": contest,
        "me": me,
        "settings": settings,
        "open": works.is_open(settings),
        "works": works.works_of(db, me),
        "groups": groups,
        "categories": CATEGORY_LABELS,
        "invitations": works.invitations_of(db, me),
        "inviters": works.people_of_ids(
            db, {g.contact_participant_id for g in works.invitations_of(db, me)}
        ),
        "pending": {g.id: works.pending_invitees(db, g) for g in groups},
        "sent": False,
        "error": None,
        **extra,
    }


@router.get("/c/{slug}/works")
def my_works(
    request: Request,
    slug: str,
    sent: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = _own(db, slug, principal)
    return render(request, "works/mine.html", _list_ctx(db, contest, principal, sent=sent == "1"))


@router.post("/c/{slug}/works/groups")
def create_group(
    request: Request,
    slug: str,
    name: str = Form(""),
    members: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = _own(db, slug, principal)
    actor = actor_for(request, principal)
    # Each invitation looks a CCCD up; the limits keep anyone from sweeping the register.
    hit_address(actor.ip, "works-group", "20/hour")
    hit_address(f"participant:{principal.participant.id}", "works-group", "20/hour")
    try:
        works.create_group(
            db, actor, contest, principal.participant, name, members.replace(",", "\n").splitlines()
        )
    except PermissionDenied:
        raise
    except ContestError as exc:
        return render(
            request,
            "works/mine.html",
            _list_ctx(db, contest, principal, error=exc),
            status_code=422,
        )
    return RedirectResponse(f"/c/{slug}/works?sent=1", status_code=303)


@router.post("/c/{slug}/works/groups/{group_id}/{answer}")
def answer_invitation(
    request: Request,
    slug: str,
    group_id: int,
    answer: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = _own(db, slug, principal)
    if answer not in ("accept", "decline"):
        raise NotFound("Không có thao tác này.", "No such action.")
    fn = works.accept_invitation if answer == "accept" else works.decline_invitation
    fn(db, actor_for(request, principal), contest, principal.participant, group_id)
    return RedirectResponse(f"/c/{slug}/works", status_code=303)


def _input(
    title: str, category: str, description: str, links: str, note: str, group_id: str
) -> works.WorkInput:
    return works.WorkInput(
        title=title,
        category=category,
        description=description,
        links=links,
        note=note,
        group_id=ascii_int(group_id),
    )


@router.post("/c/{slug}/works")
def new_work(
    request: Request,
    slug: str,
    title: str = Form(""),
    category: str = Form("article"),
    description: str = Form(""),
    links: str = Form(""),
    note: str = Form(""),
    group_id: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = _own(db, slug, principal)
    try:
        work = works.save_draft(
            db,
            actor_for(request, principal),
            contest,
            principal.participant,
            _input(title, category, description, links, note, group_id),
        )
    except PermissionDenied:
        raise
    except ContestError as exc:
        return render(
            request,
            "works/mine.html",
            _list_ctx(db, contest, principal, error=exc),
            status_code=422,
        )
    return RedirectResponse(f"/c/{slug}/works/{work.id}", status_code=303)


def _work_ctx(
    db: Session,
    contest: Contest,
    principal: Principal,
    work: Work,
    error: ContestError | None = None,
) -> dict:
    settings = works.settings_for(db, contest)
    return {
        "contest": contest,
        "work": work,
        "settings": settings,
        "open": works.is_open(settings),
        "categories": CATEGORY_LABELS,
        "groups": works.groups_of(db, principal.participant),
        "people": works.people_of(db, [work]),
        "pending": works.pending_invitees(db, work.group) if work.group else [],
        "types": [t.upper() for t in settings.allowed_types],
        "accept": ",".join("." + FILE_TYPES[t][1] for t in settings.allowed_types),
        "error": error,
    }


def _work_page(
    request: Request,
    db: Session,
    contest: Contest,
    principal: Principal,
    work: Work,
    error: ContestError | None = None,
) -> Response:
    return render(
        request,
        "works/work.html",
        _work_ctx(db, contest, principal, work, error),
        status_code=422 if error else 200,
    )


@router.get("/c/{slug}/works/{work_id}")
def work_page(
    request: Request,
    slug: str,
    work_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = _own(db, slug, principal)
    return _work_page(request, db, contest, principal, _my_work(db, contest, principal, work_id))


def _act(
    request: Request, db: Session, slug: str, principal: Principal, work_id: int, fn
) -> Response:
    contest = _own(db, slug, principal)
    work = _my_work(db, contest, principal, work_id)
    try:
        fn(contest, work)
    except PermissionDenied:
        raise
    except ContestError as exc:
        return _work_page(request, db, contest, principal, works.get_work(db, work_id), exc)
    return RedirectResponse(f"/c/{slug}/works/{work_id}", status_code=303)


@router.post("/c/{slug}/works/{work_id}")
def save_work(
    request: Request,
    slug: str,
    work_id: int,
    title: str = Form(""),
    category: str = Form("article"),
    description: str = Form(""),
    links: str = Form(""),
    note: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    return _act(
        request,
        db,
        slug,
        principal,
        work_id,
        lambda c, w: works.save_draft(
            db,
            actor_for(request, principal),
            c,
            principal.participant,
            _input(title, category, description, links, note, ""),
            work=w,
        ),
    )


@router.post("/c/{slug}/works/{work_id}/files")
def upload(
    request: Request,
    slug: str,
    work_id: int,
    file: UploadFile = File(...),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    return _act(
        request,
        db,
        slug,
        principal,
        work_id,
        lambda c, w: works.upload_file(
            db,
            actor_for(request, principal),
            c,
            principal.participant,
            w,
            file.filename or "",
            file.file,
        ),
    )


@router.post("/c/{slug}/works/{work_id}/files/{file_id}/delete")
def delete_file(
    request: Request,
    slug: str,
    work_id: int,
    file_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    return _act(
        request,
        db,
        slug,
        principal,
        work_id,
        lambda c, w: works.remove_file(
            db, actor_for(request, principal), c, principal.participant, w, file_id
        ),
    )


@router.post("/c/{slug}/works/{work_id}/submit")
def submit(
    request: Request,
    slug: str,
    work_id: int,
    declaration: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    return _act(
        request,
        db,
        slug,
        principal,
        work_id,
        lambda c, w: works.submit(
            db,
            actor_for(request, principal),
            c,
            principal.participant,
            w,
            declaration=declaration == "yes",
        ),
    )


@router.get("/works/files/{file_id}")
def download(
    file_id: int,
    db: Session = Depends(get_db),
    principal: Principal | None = Depends(get_principal),
) -> Response:
    """Served only to the work's authors, its assigned judges and the committee, always as an
    attachment with the sniffed type, so a browser never renders an uploaded file in our origin."""
    if principal is None:
        raise NotFound("Không tìm thấy tệp.", "File not found.")
    row, work = works.get_file(db, file_id)
    if principal.participant is not None:
        allowed = works.is_author(work, principal.participant)
    else:
        # Organisers and admins run the platform but are not on the bar for entries.
        allowed = bool(principal.roles & set(COMMITTEE)) or jury.may_open(
            db, principal.staff.id, work.id
        )
    if not allowed:
        raise Forbidden()
    content_type, ext = FILE_TYPES[row.sniffed_type]
    info = works.file_info(db, row)
    if info is None:
        raise NotFound("Không tìm thấy tệp.", "File not found.")
    # From the file store, so any app host serves a file uploaded through any other.
    return downloads.stream(
        works.file_chunks(db, row),
        size=info.size,
        media_type=content_type,
        filename=f"tac-pham-{work.id}-{row.id}.{ext}",
        headers={"X-Content-Type-Options": "nosniff"},
    )


# --- jury ----------------------------------------------------------------------------------------


@router.get("/jury")
def jury_home(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*JUDGES)),
):
    items = jury.assigned_works(db, principal.staff.id)
    sheets = {w.id: jury.current_sheet(db, w.id, principal.staff.id) for w, _ in items}
    return render(request, "works/jury.html", {"items": items, "sheets": sheets})


def _jury_ctx(
    db: Session, principal: Principal, work_id: int, error: ContestError | None = None
) -> dict:
    work = works.get_work(db, work_id)
    a = jury.assignment(db, principal.staff.id, work.id)
    if a.conflict:
        raise Forbidden()
    contest = contests.get(db, work.contest_id)
    return {
        "work": work,
        "assignment": a,
        "contest": contest,
        "rubric": works.rubric_for(db, contest),
        "sheet": jury.current_sheet(db, work.id, principal.staff.id),
        "categories": CATEGORY_LABELS,
        "others": jury.others_scores(db, principal.staff.id, work.id),
        "error": error,
    }


@router.get("/jury/works/{work_id}")
def jury_work(
    request: Request,
    work_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*JUDGES)),
):
    return render(request, "works/score.html", _jury_ctx(db, principal, work_id))


@router.post("/jury/works/{work_id}/score")
async def score(
    request: Request,
    work_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*JUDGES)),
):
    form = await request.form()
    return await run_in_threadpool(_score, request, work_id, form, db, principal)


def _score(request: Request, work_id: int, form, db: Session, principal: Principal):
    work = works.get_work(db, work_id)
    contest = contests.get(db, work.contest_id)
    values = {k[2:]: str(v) for k, v in form.items() if k.startswith("c_")}
    try:
        jury.save_score(
            db,
            actor_for(request, principal),
            contest,
            work,
            values,
            comment=str(form.get("comment", "")),
            submit=form.get("action") == "submit",
        )
    except PermissionDenied:
        raise
    except ContestError as exc:
        return render(
            request, "works/score.html", _jury_ctx(db, principal, work_id, exc), status_code=422
        )
    return RedirectResponse(f"/jury/works/{work_id}", status_code=303)


@router.post("/jury/works/{work_id}/conflict")
def conflict(
    request: Request,
    work_id: int,
    note: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*JUDGES)),
):
    jury.declare_conflict(db, actor_for(request, principal), works.get_work(db, work_id), note)
    return RedirectResponse("/jury", status_code=303)


# --- committee -----------------------------------------------------------------------------------


def _committee_ctx(db: Session, slug: str, **extra: object) -> dict:
    contest = contests.get_by_slug(db, slug)
    rows = jury.jury_table(db, contest)
    units = unit_service.units_by_id(db, contest.id)
    return {
        "contest": contest,
        "rows": rows,
        "people": works.people_of(db, [r.work for r in rows]),
        "judges": jury.judges(db),
        "units": units,
        "categories": CATEGORY_LABELS,
        "lists": prize_lists.lists_of(db, contest.id, "works"),
        "eligible": sum(1 for r in rows if r.verdict.eligible),
        "error": None,
        **extra,
    }


@router.get("/committee/{slug}/works")
def committee_works(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return render(request, "works/committee.html", _committee_ctx(db, slug))


def _committee_act(request: Request, db: Session, slug: str, fn) -> Response:
    contest = contests.get_by_slug(db, slug)
    try:
        target = fn(contest)
    except PermissionDenied:
        raise
    except ContestError as exc:
        return render(
            request, "works/committee.html", _committee_ctx(db, slug, error=exc), status_code=422
        )
    return RedirectResponse(target or f"/committee/{slug}/works", status_code=303)


@router.post("/committee/{slug}/works/decisions")
def decide(
    request: Request,
    slug: str,
    work_ids: list[int] = Form([]),
    eligible: str = Form(""),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    return _committee_act(
        request,
        db,
        slug,
        lambda c: (
            screening.decide_works(
                db, actor_for(request, principal), c.id, work_ids, eligible == "yes", reason
            )
            and None
        ),
    )


@router.post("/committee/{slug}/works/assign")
def assign(
    request: Request,
    slug: str,
    judge_id: int = Form(0),
    work_ids: list[int] = Form([]),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS, *COMMITTEE)),
):
    return _committee_act(
        request,
        db,
        slug,
        lambda c: jury.assign(db, actor_for(request, principal), c, judge_id, work_ids) and None,
    )


@router.post("/committee/{slug}/works/declaration")
def declaration(
    request: Request,
    slug: str,
    judge_id: int = Form(0),
    unit_ids: list[int] = Form([]),
    statement: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    return _committee_act(
        request,
        db,
        slug,
        lambda c: (
            jury.declare_units(db, actor_for(request, principal), c, judge_id, unit_ids, statement)
            and None
        ),
    )


@router.post("/committee/{slug}/works/rescore")
def rescore(
    request: Request,
    slug: str,
    work_id: int = Form(0),
    judge_id: int = Form(0),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    return _committee_act(
        request,
        db,
        slug,
        lambda c: (
            jury.request_rescore(
                db,
                actor_for(request, principal),
                c,
                works.get_work(db, work_id, c),
                judge_id,
                reason,
            )
            and None
        ),
    )


@router.post("/committee/{slug}/works/allocate")
def allocate(
    request: Request,
    slug: str,
    correction: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    return _committee_act(
        request,
        db,
        slug,
        lambda c: "/committee/{}/prizes/{}".format(
            slug,
            jury.allocate(
                db, actor_for(request, principal), c, correction_note=correction.strip() or None
            ).prize_list.id,
        ),
    )


@router.get("/committee/{slug}/works/export/{kind}.xlsx")
def export(
    slug: str,
    kind: str,
    list_id: int | None = None,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
) -> Response:
    contest = contests.get_by_slug(db, slug)
    if kind == "ranking":
        data, name = works_exports.works_ranking_xlsx(db, contest), "xep-hang-tac-pham"
    elif kind == "prizes" and list_id is not None:
        pl = prize_lists.list_in_contest(db, contest, list_id, "works")
        data, name = (
            works_exports.works_prize_list_xlsx(db, pl),
            f"danh-sach-giai-tac-pham-v{pl.version}",
        )
    else:
        raise NotFound("Không có tệp xuất này.", "No such export.")
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


# --- settings and rubric (organisers) ------------------------------------------------------------

EXTRA_CRITERIA = 2


def _settings_ctx(db: Session, contest: Contest, data: works.SettingsInput, errors=()) -> dict:
    rows = list(data.rubric) + [works.CriterionInput() for _ in range(EXTRA_CRITERIA)]
    return {
        "contest": contest,
        "form": data,
        "rubric_rows": rows,
        "file_types": list(FILE_TYPES),
        "errors": list(errors),
        "rubric_locked": works.rubric_in_use(db, contest),
        "is_works": contest.kind == "works",
    }


@router.get("/organiser/contests/{slug}/works")
def works_settings_page(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = contests.get_by_slug(db, slug)
    data = works.SettingsInput.of(works.find_settings(db, contest))
    return render(request, "organiser/works_settings.html", _settings_ctx(db, contest, data))


@router.post("/organiser/contests/{slug}/works")
def works_settings_save(
    request: Request,
    slug: str,
    opens: str = Form(""),
    deadline: str = Form(""),
    allowed_types: list[str] = Form([]),
    max_mb_pdf: str = Form(""),
    max_mb_docx: str = Form(""),
    max_mb_png: str = Form(""),
    max_mb_jpeg: str = Form(""),
    max_mb_mp4: str = Form(""),
    max_files: str = Form("5"),
    trim: str = Form("0"),
    theme_vi: str = Form(""),
    excluded: str = Form(""),
    rubric_code: list[str] = Form([]),
    rubric_label_vi: list[str] = Form([]),
    rubric_label_en: list[str] = Form([]),
    rubric_max: list[str] = Form([]),
    rubric_weight: list[str] = Form([]),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*ORGANISERS)),
):
    contest = contests.get_by_slug(db, slug)
    width = max(
        map(len, (rubric_code, rubric_label_vi, rubric_label_en, rubric_max, rubric_weight))
    )

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    data = works.SettingsInput(
        opens=opens,
        deadline=deadline,
        allowed_types=allowed_types,
        max_mb={
            "pdf": max_mb_pdf,
            "docx": max_mb_docx,
            "png": max_mb_png,
            "jpeg": max_mb_jpeg,
            "mp4": max_mb_mp4,
        },
        max_files=max_files,
        trim=trim,
        theme_vi=theme_vi,
        excluded=excluded,
        rubric=[
            works.CriterionInput(
                at(rubric_code, i),
                at(rubric_label_vi, i),
                at(rubric_label_en, i),
                at(rubric_max, i),
                at(rubric_weight, i),
            )
            for i in range(width)
        ],
    )
    try:
        works.save_settings_input(db, actor_for(request, principal), contest, data)
    except ContestError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
        return render(
            request,
            "organiser/works_settings.html",
            _settings_ctx(db, contest, data, errors),
            status_code=422,
        )
    return RedirectResponse(f"/organiser/contests/{slug}/works?saved=1", status_code=303)
