"""Certificate pages: public verification, signed downloads, a participant's own, committee work."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contest.config import get_settings
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.permissions import CHAIR, COMMITTEE, OFFICE, TEMPLATE_EDITORS
from contest.models import Contest, Round
from contest.services import certificates as service
from contest.services import contests
from contest.services.ratelimit import hit_address
from contest.services.sessions import Principal
from contest.web.deps import (
    actor_for,
    client_ip,
    get_db,
    is_htmx,
    require_participant,
    require_staff,
)
from contest.web.numbers import ascii_int
from contest.web.templating import render

router = APIRouter()

VERIFY_LIMIT = "60/minute"
SHOW_FLAGS = ("number", "unit", "qr", "border")


def _pdf(data: bytes, filename: str, *, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- public -------------------------------------------------------------------------------


@router.get("/xac-minh")
def verify_form(request: Request, code: str = "", db: Session = Depends(get_db)):
    result = None
    if code.strip():
        hit_address(client_ip(request), "verify", VERIFY_LIMIT)
        result = service.verify(db, code)
    return render(request, "certificates/verify.html", {"result": result, "typed": code})


@router.get("/xac-minh/{code}")
def verify_page(request: Request, code: str, db: Session = Depends(get_db)):
    hit_address(client_ip(request), "verify", VERIFY_LIMIT)
    result = service.verify(db, code)
    status = 404 if result.status == "unknown" else 400 if result.status == "malformed" else 200
    return render(
        request, "certificates/verify.html", {"result": result, "typed": code}, status_code=status
    )


@router.get("/chung-nhan/{code}.pdf")
def signed_download(request: Request, code: str, sig: str = "", db: Session = Depends(get_db)):
    hit_address(client_ip(request), "verify", VERIFY_LIMIT)
    try:
        certificate = service.certificate_for_download(db, code, sig)
    except NotFound:
        raise
    except ContestError as exc:
        return render(
            request,
            "error.html",
            {"status": 403, "message_vi": exc.message_vi, "message_en": exc.message_en},
            status_code=403,
        )
    return _pdf(service.render_pdf(db, certificate), service.file_name(certificate))


@router.get("/c/{slug}/me/certificates")
def my_certificates(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    contest = contests.get_by_slug(db, slug)
    if principal.participant.contest_id != contest.id:
        raise NotFound("Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest.")
    own = service.certificates_for_participant(db, principal.participant.id)
    ctx = {"contest": contest, "items": [(c, service.download_path(c)) for c in own]}
    if is_htmx(request):
        return render(request, "certificates/_mine.html", ctx)
    return render(request, "certificates/mine.html", ctx)


# --- committee ----------------------------------------------------------------------------


def _contest(db: Session, slug: str) -> Contest:
    return contests.get_by_slug(db, slug)


def _rounds(db: Session, contest: Contest) -> list[Round]:
    return contests.rounds_of(db, contest)


@router.get("/admin/certificates")
def contest_choice(
    request: Request,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    return render(request, "certificates/contests.html", {"contests": contests.list_contests(db)})


def _list_context(db: Session, contest: Contest, q: str, status: str) -> dict:
    items = service.list_certificates(db, contest.id, q=q, status=status, limit=500)
    return {
        "contest": contest,
        "items": items,
        "q": q,
        "status": status,
        "filters": urlencode({"q": q, "status": status}),
    }


@router.get("/admin/contests/{slug}/certificates")
def certificate_list(
    request: Request,
    slug: str,
    q: str = "",
    status: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    ctx = _list_context(db, contest, q, status)
    if is_htmx(request) and request.headers.get("hx-target") == "certificate-rows":
        return render(request, "certificates/_rows.html", ctx)
    ctx.update(rounds=_rounds(db, contest), jobs=service.list_jobs(db, contest.id), error=None)
    return render(request, "certificates/list.html", ctx)


def _selection(db: Session, contest: Contest, q: str, status: str):
    items = service.list_certificates(db, contest.id, q=q, status=status or "valid", limit=None)
    if not items:
        raise NotFound("Không có giấy chứng nhận nào khớp.", "No certificate matches.")
    return items


# Bulk renders are POST forms: a GET would let any other site start one in a signed-in staff
# browser, since SameSite=Lax cookies follow top-level navigations.
@router.post("/admin/contests/{slug}/certificates/all.pdf")
def merged_download(
    request: Request,
    slug: str,
    q: str = Form(""),
    status: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    selection = _selection(db, contest, q, status)
    if len(selection) > service.BUNDLE_INLINE_MAX:
        return _bundle_job(request, db, principal, contest, selection, "pdf")
    return _pdf(
        service.render_merged(db, selection),
        f"{contest.slug}-giay-chung-nhan.pdf",
        inline=False,
    )


@router.post("/admin/contests/{slug}/certificates/all.zip")
def zip_download(
    request: Request,
    slug: str,
    q: str = Form(""),
    status: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    selection = _selection(db, contest, q, status)
    if len(selection) > service.BUNDLE_INLINE_MAX:
        return _bundle_job(request, db, principal, contest, selection, "zip")
    data = service.render_zip(db, selection)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{contest.slug}-giay-chung-nhan.zip"',
            "Cache-Control": "private, no-store",
        },
    )


def _bundle_job(request: Request, db: Session, principal: Principal, contest, selection, fmt: str):
    """Too many to draw in a request: a worker builds the file; its page offers the download."""
    job = service.start_bundle_job(db, actor_for(request, principal), contest, selection, fmt)
    return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)


@router.post("/admin/contests/{slug}/certificates/issue")
def issue(
    request: Request,
    slug: str,
    round_id: str = Form(""),
    kind: str = Form("prize"),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*COMMITTEE)),
):
    contest = _contest(db, slug)
    actor = actor_for(request, principal)
    try:
        job = service.start_issue_job(db, actor, contest, round_id=ascii_int(round_id), kind=kind)
    except ContestError as exc:
        ctx = _list_context(db, contest, "", "")
        ctx.update(rounds=_rounds(db, contest), jobs=service.list_jobs(db, contest.id), error=exc)
        return render(request, "certificates/list.html", ctx, status_code=422)
    return RedirectResponse(
        f"/admin/contests/{contest.slug}/certificates/jobs/{job.id}", status_code=303
    )


@router.get("/admin/contests/{slug}/certificates/jobs/{job_id:int}")
def job_page(
    request: Request,
    slug: str,
    job_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    job = service.get_job(db, contest, job_id)  # read afresh: a worker commits its progress
    ctx = {"contest": contest, "job": job}
    if is_htmx(request):
        return render(request, "certificates/_job.html", ctx)
    return render(request, "certificates/job.html", ctx)


# Template editor: values come from the query string while previewing, else from the saved template.


def _template_values(request: Request, saved: service.TemplateInput) -> service.TemplateInput:
    params = request.query_params
    if params.get("form") != "1":
        return saved
    shown = set(params.getlist("show"))
    return service.TemplateInput(
        title=params.get("title", ""),
        issuer_lines=params.get("issuer_lines", ""),
        place=params.get("place", ""),
        lead_in=params.get("lead_in", ""),
        signer_title=params.get("signer_title", ""),
        signer_name=params.get("signer_name", ""),
        number_suffix=params.get("number_suffix", ""),
        show_number="number" in shown,
        show_unit="unit" in shown,
        show_qr="qr" in shown,
        show_border="border" in shown,
        font_family=params.get("font_family", "serif"),
        accent_colour=params.get("accent_colour", "#B01E23"),
    )


def _preview_query(values: service.TemplateInput) -> str:
    pairs = [
        ("form", "1"),
        ("title", values.title),
        ("issuer_lines", values.issuer_lines),
        ("place", values.place),
        ("lead_in", values.lead_in),
        ("signer_title", values.signer_title),
        ("signer_name", values.signer_name),
        ("number_suffix", values.number_suffix),
        ("font_family", values.font_family),
        ("accent_colour", values.accent_colour),
    ]
    pairs += [("show", flag) for flag in SHOW_FLAGS if getattr(values, f"show_{flag}")]
    return urlencode(pairs)


def _editor_context(
    db: Session, contest: Contest, values: service.TemplateInput, errors: dict | None = None
) -> dict:
    row = service.get_template(db, contest)
    return {
        "contest": contest,
        "values": values,
        "row": row,
        "errors": errors or {},
        "preview_query": _preview_query(values),
        "titles": service.TITLES,
        "families": service.FONT_FAMILIES,
        "png": _png_available(),
    }


def _png_available() -> bool:
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return True


@router.get("/admin/contests/{slug}/certificates/template")
def template_editor(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    values = _template_values(
        request, service.TemplateInput.from_row(service.get_template(db, contest))
    )
    return render(request, "certificates/template.html", _editor_context(db, contest, values))


@router.get("/admin/contests/{slug}/certificates/template/preview")
def template_preview_partial(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    values = _template_values(
        request, service.TemplateInput.from_row(service.get_template(db, contest))
    )
    return render(request, "certificates/_preview.html", _editor_context(db, contest, values))


PREVIEW_LIMIT = "30/minute"


def _preview_pdf(
    request: Request, db: Session, contest: Contest, principal: Principal
) -> bytes | Response:
    # A GET another site can point a staff browser at: each render costs, so each account gets a budget.
    hit_address(f"staff:{principal.staff.id}", "cert-preview", PREVIEW_LIMIT)
    values = _template_values(
        request, service.TemplateInput.from_row(service.get_template(db, contest))
    )
    try:
        return service.preview_pdf(db, contest, values)
    except InvalidInput:
        # An unfinished field while typing: show the saved template rather than an error image.
        return service.preview_pdf(
            db, contest, service.TemplateInput.from_row(service.get_template(db, contest))
        )


@router.get("/admin/contests/{slug}/certificates/template/preview.png")
def template_preview_png(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    png = service.pdf_to_png(_preview_pdf(request, db, contest, principal))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/admin/contests/{slug}/certificates/template/preview.pdf")
def template_preview_pdf(
    request: Request,
    slug: str,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    return _pdf(_preview_pdf(request, db, contest, principal), "mau-giay-chung-nhan.pdf")


@router.post("/admin/contests/{slug}/certificates/template")
async def template_save(
    request: Request,
    slug: str,
    title: str = Form(""),
    issuer_lines: str = Form(""),
    place: str = Form(""),
    lead_in: str = Form(""),
    signer_title: str = Form(""),
    signer_name: str = Form(""),
    number_suffix: str = Form(""),
    show: list[str] = Form([]),
    font_family: str = Form("serif"),
    accent_colour: str = Form("#B01E23"),
    seal: UploadFile | None = File(None),
    background: UploadFile | None = File(None),
    remove_seal: str = Form(""),
    remove_background: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*TEMPLATE_EDITORS)),
):
    values = service.TemplateInput(
        title=title,
        issuer_lines=issuer_lines,
        place=place,
        lead_in=lead_in,
        signer_title=signer_title,
        signer_name=signer_name,
        number_suffix=number_suffix,
        show_number="number" in show,
        show_unit="unit" in show,
        show_qr="qr" in show,
        show_border="border" in show,
        font_family=font_family,
        accent_colour=accent_colour,
    )
    seal_bytes = await seal.read(service.MAX_SEAL_BYTES + 1) if seal and seal.filename else None
    background_bytes = (
        await background.read(service.MAX_BACKGROUND_BYTES + 1)
        if background and background.filename
        else None
    )
    # Database work and image checks off the event loop, like every plain `def` endpoint.
    return await run_in_threadpool(
        _template_save,
        request,
        slug,
        values,
        seal_bytes,
        background_bytes,
        remove_seal,
        remove_background,
        db,
        principal,
    )


def _template_save(
    request: Request,
    slug: str,
    values,
    seal_bytes: bytes | None,
    background_bytes: bytes | None,
    remove_seal: str,
    remove_background: str,
    db: Session,
    principal: Principal,
):
    contest = _contest(db, slug)
    try:
        service.save_template(
            db,
            actor_for(request, principal),
            contest,
            values,
            seal=seal_bytes,
            background=background_bytes,
            remove_seal=remove_seal == "yes",
            remove_background=remove_background == "yes",
        )
    except InvalidInput as exc:
        return render(
            request,
            "certificates/template.html",
            _editor_context(db, contest, values, exc.by_field()),
            status_code=422,
        )
    except ContestError as exc:
        return render(
            request,
            "certificates/template.html",
            _editor_context(db, contest, values, {exc.field or "": exc}),
            status_code=422,
        )
    return RedirectResponse(
        f"/admin/contests/{contest.slug}/certificates/template?saved=1", status_code=303
    )


@router.get("/admin/contests/{slug}/certificates/{certificate_id:int}.pdf")
def staff_download(
    request: Request,
    slug: str,
    certificate_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    certificate = service.get_certificate(db, certificate_id, contest.id)
    return _pdf(service.render_pdf(db, certificate), service.file_name(certificate))


@router.get("/admin/contests/{slug}/certificates/{certificate_id:int}")
def certificate_detail(
    request: Request,
    slug: str,
    certificate_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OFFICE)),
):
    contest = _contest(db, slug)
    return render(request, "certificates/detail.html", _detail_context(db, contest, certificate_id))


def _detail_context(
    db: Session, contest: Contest, certificate_id: int, error: ContestError | None = None
) -> dict:
    certificate = service.get_certificate(db, certificate_id, contest.id)
    successor = (
        service.get_certificate(db, certificate.replaced_by_id)
        if certificate.replaced_by_id
        else None
    )
    return {
        "contest": contest,
        "c": certificate,
        "successor": successor,
        "error": error,
        "signed": service.download_path(certificate) if certificate.status == "valid" else None,
        # The public address, as on the QR code; behind a proxy the request's own host may be internal.
        "public_base": get_settings().base_url.rstrip("/"),
    }


@router.post("/admin/contests/{slug}/certificates/{certificate_id}/revoke")
def revoke(
    request: Request,
    slug: str,
    certificate_id: int,
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*CHAIR)),
):
    contest = _contest(db, slug)
    service.get_certificate(db, certificate_id, contest.id)
    try:
        service.revoke(db, actor_for(request, principal), certificate_id, reason)
    except ContestError as exc:
        return render(
            request,
            "certificates/detail.html",
            _detail_context(db, contest, certificate_id, exc),
            status_code=422,
        )
    return RedirectResponse(
        f"/admin/contests/{contest.slug}/certificates/{certificate_id}", status_code=303
    )


@router.post("/admin/contests/{slug}/certificates/{certificate_id}/reissue")
def reissue(
    request: Request,
    slug: str,
    certificate_id: int,
    recipient_name: str = Form(""),
    recipient_unit: str = Form(""),
    reason: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*CHAIR)),
):
    contest = _contest(db, slug)
    service.get_certificate(db, certificate_id, contest.id)
    try:
        new = service.reissue(
            db,
            actor_for(request, principal),
            certificate_id,
            recipient_name=recipient_name,
            recipient_unit=recipient_unit,
            reason=reason,
        )
    except ContestError as exc:
        return render(
            request,
            "certificates/detail.html",
            _detail_context(db, contest, certificate_id, exc),
            status_code=422,
        )
    return RedirectResponse(
        f"/admin/contests/{contest.slug}/certificates/{new.id}", status_code=303
    )
