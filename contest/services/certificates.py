"""Issuing, verifying, revoking and reissuing certificates; templates; downloads; bulk-issue jobs.

PDFs are regenerated from stored data, never stored. Every value printed on a certificate
(text, number, date, verification URL, layout choices, the seal and background images by
content hash) is frozen in its row when it is issued, and `render_certificate` gives the
same bytes for the same inputs within one version of the renderer, so a download today
shows exactly what was handed out at the ceremony (a newer renderer may lay out the same
page in different PDF bytes; what it prints is the same, and the QR code verifies by number). Storing the files instead would cost ~50 KB a certificate (500 MB for a
contest of 10,000 participation certificates) and a second source of truth that could
drift from the row the verification page reads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contest import clock
from contest.certificates import (
    CertificateData,
    CertificateTemplate,
    format_code,
    is_valid,
    new_code,
    normalise,
    render_certificate,
    render_many,
    render_pages,
    write_zip,
    zip_pdfs,
)
from contest.config import get_settings
from contest.db import transaction, transactional
from contest.domain.awards import AwardRecord
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.masking import mask_name
from contest.models import (
    Certificate,
    CertificateCounter,
    CertificateImage,
    CertificateTemplateRow,
    Contest,
    Job,
    Round,
)
from contest.services import audit, jobs
from contest.services.context import SYSTEM, Actor

TITLES = ("GIẤY CHỨNG NHẬN", "GIẤY KHEN")
FONT_FAMILIES = ("serif", "sans")
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_SEAL_BYTES = 512 * 1024
MAX_BACKGROUND_BYTES = 2 * 1024 * 1024
DOWNLOAD_MAX_AGE = 30 * 24 * 3600  # a recipient's link stays good for a month
_DOWNLOAD_SALT = "certificate-download"
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Codes are drawn from 31^9 ≈ 2.6·10^13 values; a collision is rare but must not abort a batch.
_CODE_ATTEMPTS = 5


def _nfc(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


# --- templates and images -------------------------------------------------------------------


def sniff_image(data: bytes, *, limit: int, what_vi: str, what_en: str, field_name: str) -> str:
    """The content type of an uploaded image, from its first bytes; PNG and JPEG only."""
    if len(data) > limit:
        raise ContestError(
            f"Ảnh {what_vi} quá lớn (tối đa {limit // 1024} KB).",
            f"The {what_en} image is too large (at most {limit // 1024} KB).",
            field=field_name,
        )
    for magic, content_type in IMAGE_TYPES.items():  # noqa: B007 — returned after the loop
        if data.startswith(magic):
            break
    else:
        raise ContestError(
            f"Ảnh {what_vi} phải là tệp PNG hoặc JPEG.",
            f"The {what_en} image must be a PNG or JPEG file.",
            field=field_name,
        )
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - any decoder failure means a broken upload
        raise ContestError(
            f"Không đọc được ảnh {what_vi}: tệp bị hỏng.",
            f"The {what_en} image cannot be read: the file is damaged.",
            field=field_name,
        ) from None
    return content_type


def _store_image(db: Session, data: bytes, content_type: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if db.get(CertificateImage, digest) is None:
        db.add(
            CertificateImage(
                sha256=digest, content_type=content_type, data=data, created_at=clock.now()
            )
        )
        db.flush()
    return digest


def _image_bytes(
    db: Session, digest: str | None, cache: dict[str, bytes] | None = None
) -> bytes | None:
    if not digest:
        return None
    if cache is not None and digest in cache:
        return cache[digest]
    image = db.get(CertificateImage, digest)
    data = image.data if image else None
    if cache is not None and data is not None:
        cache[digest] = data
    return data


def default_template(contest: Contest) -> CertificateTemplateRow:
    """An unsaved template taken from the contest's own settings."""
    organiser = _nfc(contest.organiser_vi)
    # A long committee name reads badly in the narrow header column; the generic one fits.
    issuer = organiser if organiser and len(organiser) <= 48 else "BAN TỔ CHỨC CUỘC THI"
    return CertificateTemplateRow(
        contest_id=contest.id,
        title=TITLES[0],
        issuer_lines=issuer,
        place=_nfc(contest.place_vi),
        lead_in="Chứng nhận",
        signer_title="TRƯỞNG BAN TỔ CHỨC",
        signer_name="",
        number_suffix="GCN-BTC",
        show_number=True,
        show_unit=True,
        show_qr=True,
        show_border=True,
        font_family="serif",
        accent_colour="#B01E23",
        seal_sha256=None,
        background_sha256=None,
        updated_at=clock.now(),
    )


def get_template(db: Session, contest: Contest) -> CertificateTemplateRow:
    """The contest's saved template, or the default one (not saved)."""
    row = db.execute(
        select(CertificateTemplateRow).where(CertificateTemplateRow.contest_id == contest.id)
    ).scalar_one_or_none()
    return row if row is not None else default_template(contest)


@dataclass(frozen=True)
class TemplateInput:
    """What the template editor sends; images arrive separately as bytes."""

    title: str = TITLES[0]
    issuer_lines: str = "BAN TỔ CHỨC CUỘC THI"
    place: str = ""
    lead_in: str = "Chứng nhận"
    signer_title: str = "TRƯỞNG BAN TỔ CHỨC"
    signer_name: str = ""
    number_suffix: str = "GCN-BTC"
    show_number: bool = True
    show_unit: bool = True
    show_qr: bool = True
    show_border: bool = True
    font_family: str = "serif"
    accent_colour: str = "#B01E23"

    @classmethod
    def from_row(cls, row: CertificateTemplateRow) -> TemplateInput:
        return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})


def _issuer_lines(text: str) -> tuple[str, ...]:
    return tuple(
        line
        for line in (_nfc(part) for part in unicodedata.normalize("NFC", text).splitlines())
        if line
    )


def _signer_title(text: str) -> str:
    return "\n".join(
        _nfc(line) for line in unicodedata.normalize("NFC", text).splitlines() if line.strip()
    )


def validate_template(values: TemplateInput) -> TemplateInput:
    """NFC-normalised values, or InvalidInput naming every bad field."""
    errors: list[ContestError] = []
    title = _nfc(values.title).upper()
    if not title or len(title) > 120:
        errors.append(
            ContestError(
                "Cần nhập tiêu đề (ví dụ GIẤY CHỨNG NHẬN).",
                "A title is needed (e.g. GIẤY CHỨNG NHẬN).",
                field="title",
            )
        )
    issuer = _issuer_lines(values.issuer_lines)
    if not issuer or len(issuer) > 3:
        errors.append(
            ContestError(
                "Cơ quan ban hành: từ 1 đến 3 dòng.", "Issuer: 1 to 3 lines.", field="issuer_lines"
            )
        )
    signer_title = _signer_title(values.signer_title)
    if not signer_title or signer_title.count("\n") > 2:
        errors.append(
            ContestError(
                "Chức danh người ký: từ 1 đến 3 dòng.",
                "Signer's title: 1 to 3 lines.",
                field="signer_title",
            )
        )
    suffix = _nfc(values.number_suffix)
    if len(suffix) > 40:
        errors.append(
            ContestError(
                "Ký hiệu số quá dài.", "The number suffix is too long.", field="number_suffix"
            )
        )
    if values.font_family not in FONT_FAMILIES:
        errors.append(
            ContestError("Phông chữ không hợp lệ.", "Unknown font family.", field="font_family")
        )
    if not _COLOUR.match(values.accent_colour or ""):
        errors.append(
            ContestError(
                "Màu nhấn phải có dạng #RRGGBB.",
                "The accent colour must look like #RRGGBB.",
                field="accent_colour",
            )
        )
    if errors:
        raise InvalidInput(errors)
    return dataclasses.replace(
        values,
        title=title,
        issuer_lines="\n".join(issuer),
        place=_nfc(values.place),
        lead_in=_nfc(values.lead_in),
        signer_title=signer_title,
        signer_name=_nfc(values.signer_name),
        number_suffix=suffix.strip("/"),
        accent_colour=values.accent_colour.upper(),
    )


@transactional
def save_template(
    db: Session,
    actor: Actor,
    contest: Contest,
    values: TemplateInput,
    *,
    seal: bytes | None = None,
    background: bytes | None = None,
    remove_seal: bool = False,
    remove_background: bool = False,
) -> CertificateTemplateRow:
    """Create or update the contest's template; issued certificates keep what they had."""
    clean = validate_template(values)
    seal_type = background_type = None
    if seal:
        seal_type = sniff_image(
            seal,
            limit=MAX_SEAL_BYTES,
            what_vi="con dấu/chữ ký",
            what_en="seal/signature",
            field_name="seal",
        )
    if background:
        background_type = sniff_image(
            background,
            limit=MAX_BACKGROUND_BYTES,
            what_vi="nền",
            what_en="background",
            field_name="background",
        )
    row = db.execute(
        select(CertificateTemplateRow).where(CertificateTemplateRow.contest_id == contest.id)
    ).scalar_one_or_none()
    if row is None:
        row = default_template(contest)
        db.add(row)
    for name, value in dataclasses.asdict(clean).items():
        setattr(row, name, value)
    if remove_seal:
        row.seal_sha256 = None
    if remove_background:
        row.background_sha256 = None
    if seal and seal_type:
        row.seal_sha256 = _store_image(db, seal, seal_type)
    if background and background_type:
        row.background_sha256 = _store_image(db, background, background_type)
    row.updated_at = clock.now()
    db.flush()
    audit.record(
        db,
        actor,
        "certificates.template",
        "contest",
        contest.id,
        {**dataclasses.asdict(clean), "seal": row.seal_sha256, "background": row.background_sha256},
    )
    return row


def _layout(values: TemplateInput) -> CertificateTemplate:
    return CertificateTemplate(
        title=values.title,
        issuer_lines=_issuer_lines(values.issuer_lines),
        signer_title=values.signer_title,
        signer_name=values.signer_name,
        lead_in=values.lead_in,
        show_number=values.show_number,
        show_unit=values.show_unit,
        show_qr=values.show_qr,
        show_border=values.show_border,
        font_family=values.font_family,
        accent_colour=values.accent_colour,
    )


def _layout_json(template: CertificateTemplate) -> dict:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in dataclasses.asdict(template).items()
    }


def _layout_from_json(data: dict) -> CertificateTemplate:
    known = {f.name for f in dataclasses.fields(CertificateTemplate)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    return CertificateTemplate(**values)


# --- verification addresses and signed downloads --------------------------------------------


def verify_base_url() -> str:
    return get_settings().base_url.rstrip("/") + "/xac-minh"


def verification_url(code: str) -> str:
    """What the QR code holds: the public verification page of this certificate."""
    return f"{verify_base_url()}/{format_code(code)}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt=_DOWNLOAD_SALT)


def download_path(certificate: Certificate) -> str:
    """A signed, expiring link to the PDF: for the recipient's page and for sharing by staff."""
    sig = _serializer().dumps(certificate.code)
    return f"/chung-nhan/{format_code(certificate.code)}.pdf?sig={sig}"


def certificate_for_download(
    db: Session, typed_code: str, sig: str, *, max_age: int = DOWNLOAD_MAX_AGE
) -> Certificate:
    """The certificate a signed link names, or ContestError when the link is bad or expired."""
    code = normalise(typed_code)
    try:
        signed_code = _serializer().loads(sig or "", max_age=max_age)
    except SignatureExpired:
        raise ContestError(
            "Liên kết tải giấy chứng nhận đã hết hạn. Hãy mở lại trang cá nhân để lấy liên kết mới.",
            "This download link has expired. Open your page again for a fresh link.",
        ) from None
    except BadSignature:
        raise ContestError(
            "Liên kết tải giấy chứng nhận không hợp lệ.", "This download link is not valid."
        ) from None
    if code is None or signed_code != code:
        raise ContestError(
            "Liên kết tải giấy chứng nhận không hợp lệ.", "This download link is not valid."
        )
    certificate = db.execute(
        select(Certificate).where(Certificate.code == code)
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound("Không tìm thấy giấy chứng nhận.", "Certificate not found.")
    if certificate.status != "valid":
        raise ContestError(
            "Giấy chứng nhận này đã bị thu hồi hoặc thay thế nên không tải được nữa.",
            "This certificate was revoked or replaced and can no longer be downloaded.",
        )
    return certificate


# --- issuing -------------------------------------------------------------------------------


@dataclass
class IssueReport:
    issued: list[Certificate] = field(default_factory=list)
    existing: list[Certificate] = field(default_factory=list)
    # Every award's live certificate in the order the awards came.
    certificates: list[Certificate] = field(default_factory=list)


def _lock_counter(db: Session, contest_id: int) -> CertificateCounter:
    """The contest's number counter, locked until commit so numbers have no gaps or repeats."""
    query = (
        select(CertificateCounter)
        .where(CertificateCounter.contest_id == contest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = db.execute(query).scalar_one_or_none()
    if counter is None:
        try:
            with db.begin_nested():
                db.add(CertificateCounter(contest_id=contest_id, last_number=0))
        except IntegrityError:
            pass  # another transaction created it first; the lock below waits for it
        counter = db.execute(query).scalar_one()
    return counter


def _fresh_codes(db: Session, count: int) -> list[str]:
    codes: list[str] = []
    seen: set[str] = set()
    for _ in range(_CODE_ATTEMPTS):
        wanted = count - len(codes)
        if not wanted:
            return codes
        batch = {new_code() for _ in range(wanted)} - seen
        taken: set[str] = set()
        for chunk in _chunks(sorted(batch), 500):
            taken |= set(
                db.execute(select(Certificate.code).where(Certificate.code.in_(chunk))).scalars()
            )
        fresh = [code for code in batch if code not in taken]
        codes.extend(fresh)
        seen |= batch
    if len(codes) < count:
        raise RuntimeError("could not draw unused verification codes")
    return codes


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _live_by_award(db: Session, contest_id: int, keys: Sequence[str]) -> dict[str, Certificate]:
    found: dict[str, Certificate] = {}
    for chunk in _chunks(list(keys), 500):
        rows = db.execute(
            select(Certificate).where(
                Certificate.contest_id == contest_id,
                Certificate.award_key.in_(chunk),
                Certificate.replaced_at.is_(None),
            )
        ).scalars()
        found.update({row.award_key: row for row in rows})
    return found


def issue_certificates(
    db: Session,
    actor: Actor,
    awards: Sequence[AwardRecord],
    template_id: int | None = None,
    *,
    issued_on: date | None = None,
    before_commit: Callable[[IssueReport], None] | None = None,
) -> IssueReport:
    """Issue a certificate for every award that has none yet; one transaction, audited.

    Idempotent by `award_key`: an award that already has a live certificate (even a revoked
    one: revocation is the committee's decision and a rerun must not undo it) is skipped.
    `before_commit(report)` joins the transaction (a job records its progress with the batch).
    """
    report = IssueReport()
    if not awards:
        return report
    contest_ids = {award.contest_id for award in awards}
    if len(contest_ids) != 1:
        raise ContestError(
            "Một lần cấp chỉ cho một cuộc thi.", "One issue covers one contest only."
        )
    contest = db.get(Contest, contest_ids.pop())
    if contest is None:
        raise NotFound("Không có cuộc thi này.", "There is no such contest.")
    if len({award.award_key for award in awards}) != len(awards):
        raise ContestError(
            "Danh sách giải có dòng trùng nhau.", "The award list has duplicate lines."
        )
    if template_id is not None:
        row = db.get(CertificateTemplateRow, template_id)
        if row is None or row.contest_id != contest.id:
            raise NotFound(
                "Không có mẫu giấy chứng nhận này.", "There is no such certificate template."
            )
    else:
        row = get_template(db, contest)
    values = TemplateInput.from_row(row)
    layout = _layout(values)
    issued_on = issued_on or clock.today_local()

    # Lock first, then look: a concurrent run of the same list waits here and then sees
    # what the first one committed, so it issues nothing twice.
    counter = _lock_counter(db, contest.id)
    live = _live_by_award(db, contest.id, [award.award_key for award in awards])
    new_awards = [award for award in awards if award.award_key not in live]
    codes = _fresh_codes(db, len(new_awards))
    now = clock.now()
    for award, code in zip(new_awards, codes):
        counter.last_number += 1
        certificate = Certificate(
            contest_id=contest.id,
            round_id=award.round_id,
            award_key=award.award_key,
            kind=award.kind,
            recipient_kind=award.recipient_kind,
            participant_id=award.participant_id,
            unit_id=award.unit_id,
            tier_code=award.tier_code,
            tier_label_vi=_nfc(award.tier_label_vi),
            prize_list_version=award.prize_list_version,
            code=code,
            serial=counter.last_number,
            number=f"{counter.last_number}/{values.number_suffix}"
            if values.number_suffix
            else str(counter.last_number),
            place=values.place,
            issued_on=issued_on,
            recipient_name=_nfc(award.recipient_name),
            recipient_unit=_nfc(award.recipient_unit),
            achievement=_nfc(award.achievement_vi),
            verification_url=verification_url(code),
            verify_hint_url=verify_base_url(),
            title=layout.title,
            issuer_lines=list(layout.issuer_lines),
            signer_title=layout.signer_title,
            signer_name=layout.signer_name,
            layout=_layout_json(layout),
            seal_sha256=row.seal_sha256,
            background_sha256=row.background_sha256,
            issued_at=now,
            issued_by=actor.audit_name[:120],
        )
        db.add(certificate)
        report.issued.append(certificate)
        live[award.award_key] = certificate
    db.flush()
    new_keys = {award.award_key for award in new_awards}
    report.existing = [live[a.award_key] for a in awards if a.award_key not in new_keys]
    report.certificates = [live[award.award_key] for award in awards]
    if report.issued:
        audit.record(
            db,
            actor,
            "certificates.issue",
            "contest",
            contest.id,
            {
                "issued": len(report.issued),
                "already": len(report.existing),
                "numbers": [report.issued[0].number, report.issued[-1].number],
                "codes": [c.code for c in report.issued],
            },
        )
    if before_commit is not None:
        before_commit(report)
    db.commit()
    return report


# --- rendering -----------------------------------------------------------------------------


def certificate_item(
    db: Session, certificate: Certificate, cache: dict[str, bytes] | None = None
) -> tuple[CertificateData, CertificateTemplate]:
    """The pure layer's inputs for a stored certificate: exactly what was frozen at issue."""
    data = CertificateData(
        number=certificate.number,
        place=certificate.place,
        issued_on=certificate.issued_on,
        recipient_name=certificate.recipient_name,
        achievement=certificate.achievement,
        verification_code=certificate.code,
        verification_url=certificate.verification_url,
        verify_hint_url=certificate.verify_hint_url,
        recipient_unit=certificate.recipient_unit,
        title=certificate.title,
        issuer_lines=tuple(certificate.issuer_lines),
        signer_title=certificate.signer_title,
        signer_name=certificate.signer_name,
        seal_image=_image_bytes(db, certificate.seal_sha256, cache),
        background_image=_image_bytes(db, certificate.background_sha256, cache),
    )
    return data, _layout_from_json(certificate.layout)


def render_pdf(db: Session, certificate: Certificate) -> bytes:
    return render_certificate(*certificate_item(db, certificate))


def render_merged(db: Session, certificates: Sequence[Certificate]) -> bytes:
    """One PDF with a page per certificate, for printing a whole list at once."""
    cache: dict[str, bytes] = {}
    return render_pages(certificate_item(db, c, cache) for c in certificates)


def file_name(certificate: Certificate) -> str:
    return f"{format_code(certificate.code)}.pdf"


def render_zip(db: Session, certificates: Sequence[Certificate]) -> bytes:
    cache: dict[str, bytes] = {}
    return zip_pdfs(
        (f"{c.serial:05d}-{file_name(c)}", render_certificate(*certificate_item(db, c, cache)))
        for c in certificates
    )


def render_files(
    db: Session,
    certificates: Sequence[Certificate],
    out_dir: str | Path,
    *,
    processes: int = 2,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """One PDF per certificate in `out_dir` on `processes` cores; `progress(n)` after each chunk."""
    cache: dict[str, bytes] = {}
    items = [certificate_item(db, c, cache) for c in certificates]
    paths: list[Path] = []
    # Chunks only so a progress bar moves; each chunk still uses every process.
    size = max(400, len(items) // 20)
    for chunk in _chunks(items, size):
        paths.extend(render_many(chunk, out_dir, processes=processes))
        if progress:
            progress(len(chunk))
    return paths


SAMPLE_NAME = "Nguyễn Thị Hoà Bình"


def preview_pdf(
    db: Session,
    contest: Contest,
    values: TemplateInput,
    template: CertificateTemplateRow | None = None,
) -> bytes:
    """A sample certificate drawn with `values` (saved or not) and the saved images."""
    clean = validate_template(values)
    layout = _layout(clean)
    template = template if template is not None else get_template(db, contest)
    code = _sample_code()
    data = CertificateData(
        number=f"1/{clean.number_suffix}" if clean.number_suffix else "1",
        place=clean.place,
        issued_on=clock.today_local(),
        recipient_name=SAMPLE_NAME,
        recipient_unit="Sở Thông tin và Truyền thông",
        achievement=f"Đã đạt Giải Ba {_nfc(contest.title_vi)}",
        verification_code=code,
        verification_url=verification_url(code),
        verify_hint_url=verify_base_url(),
        seal_image=_image_bytes(db, template.seal_sha256),
        background_image=_image_bytes(db, template.background_sha256),
    )
    return render_certificate(data, layout)


def _sample_code() -> str:
    import random

    # Fixed, so the preview image does not change with every refresh.
    return new_code(random.Random(7))


def pdf_to_png(pdf: bytes, *, width: int = 900) -> bytes:
    """First page as PNG, for a preview image in the template editor."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width / page.get_width()
        image = page.render(scale=scale).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- verification, revocation, reissue -----------------------------------------------------


@dataclass(frozen=True)
class Verification:
    status: str  # valid | revoked | replaced | unknown | malformed
    typed: str
    code: str = ""  # grouped form, when the typed text was a well-formed code
    certificate: Certificate | None = None
    contest_title: str = ""
    recipient: str = ""  # masked for a person; a collective's name in full
    replaced_by_code: str = ""
    message_vi: str = ""
    message_en: str = ""


def public_name(certificate: Certificate) -> str:
    """How a public page shows the recipient: a person's given name is reduced to its initial."""
    if certificate.recipient_kind in ("collective", "group"):
        return certificate.recipient_name
    return mask_name(certificate.recipient_name)


def verify(db: Session, typed: str) -> Verification:
    """What a person who typed or scanned a code should be told about it."""
    typed = (typed or "").strip()[:64]
    canonical = normalise(typed)
    if canonical is None:
        return Verification(
            "malformed",
            typed,
            message_vi=("Mã không hợp lệ: mã xác minh gồm 10 ký tự chữ và số, ví dụ K7QM-3XWD-9T."),
            message_en="Not a valid code: a verification code has 10 letters and digits, e.g. K7QM-3XWD-9T.",
        )
    if not is_valid(canonical):
        # Caught by the check character, before any lookup: nothing to enumerate here.
        return Verification(
            "malformed",
            typed,
            code=format_code(canonical),
            message_vi="Mã không hợp lệ, có thể gõ nhầm. Hãy kiểm tra lại từng ký tự.",
            message_en="This code is not valid; it may have been mistyped. Check each character.",
        )
    grouped = format_code(canonical)
    certificate = db.execute(
        select(Certificate).where(Certificate.code == canonical)
    ).scalar_one_or_none()
    if certificate is None:
        return Verification(
            "unknown",
            typed,
            code=grouped,
            message_vi="Không có giấy chứng nhận nào mang mã này.",
            message_en="No certificate carries this code.",
        )
    contest = db.get(Contest, certificate.contest_id)
    common = dict(
        typed=typed,
        code=grouped,
        certificate=certificate,
        contest_title=contest.title_vi if contest else "",
        recipient=public_name(certificate),
    )
    if certificate.replaced_at is not None:
        successor = (
            db.get(Certificate, certificate.replaced_by_id) if certificate.replaced_by_id else None
        )
        return Verification(
            "replaced",
            **common,
            replaced_by_code=format_code(successor.code) if successor else "",
            message_vi="Giấy chứng nhận này đã được thay thế bằng một giấy chứng nhận cấp lại.",
            message_en="This certificate was replaced by a reissued one.",
        )
    if certificate.revoked_at is not None:
        return Verification(
            "revoked",
            **common,
            message_vi="Giấy chứng nhận này đã bị thu hồi.",
            message_en="This certificate has been revoked.",
        )
    return Verification(
        "valid",
        **common,
        message_vi="Giấy chứng nhận này có trong sổ cấp và đang có hiệu lực.",
        message_en="This certificate is in the register and in force.",
    )


def get_certificate(db: Session, certificate_id: int, contest_id: int | None = None) -> Certificate:
    certificate = db.get(Certificate, certificate_id)
    if certificate is None or (contest_id is not None and certificate.contest_id != contest_id):
        raise NotFound("Không tìm thấy giấy chứng nhận.", "Certificate not found.")
    return certificate


def find_by_code(db: Session, typed: str) -> Certificate:
    canonical = normalise(typed)
    certificate = None
    if canonical is not None:
        certificate = db.execute(
            select(Certificate).where(Certificate.code == canonical)
        ).scalar_one_or_none()
    if certificate is None:
        raise NotFound(
            f"Không có giấy chứng nhận mã {typed}.", f"No certificate has the code {typed}."
        )
    return certificate


def _reason(reason: str) -> str:
    text = _nfc(reason)
    if len(text) < 5:
        raise ContestError(
            "Cần ghi rõ lý do (ít nhất 5 ký tự).",
            "A reason is required (at least 5 characters).",
            field="reason",
        )
    return text[:1000]


@transactional
def revoke(db: Session, actor: Actor, certificate_id: int, reason: str) -> Certificate:
    """Withdraw a certificate; the verification page then says so, with the date and reason."""
    text = _reason(reason)
    certificate = db.execute(
        select(Certificate).where(Certificate.id == certificate_id).with_for_update()
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound("Không tìm thấy giấy chứng nhận.", "Certificate not found.")
    if certificate.status != "valid":
        raise ContestError(
            "Giấy chứng nhận này đã bị thu hồi hoặc đã được thay thế.",
            "This certificate is already revoked or replaced.",
        )
    certificate.revoked_at = clock.now()
    certificate.revoked_reason = text
    certificate.revoked_by = actor.audit_name[:120]
    db.flush()
    audit.record(
        db,
        actor,
        "certificates.revoke",
        "certificate",
        certificate.id,
        {"code": certificate.code, "number": certificate.number, "reason": text},
    )
    return certificate


@transactional
def reissue(
    db: Session,
    actor: Actor,
    certificate_id: int,
    *,
    recipient_name: str,
    recipient_unit: str | None = None,
    reason: str,
) -> Certificate:
    """A corrected certificate with a new code and number; the old one shows as replaced."""
    text = _reason(reason)
    name = _nfc(recipient_name)
    if not name:
        raise ContestError("Cần nhập họ tên.", "A name is required.", field="recipient_name")
    old = db.execute(
        select(Certificate).where(Certificate.id == certificate_id).with_for_update()
    ).scalar_one_or_none()
    if old is None:
        raise NotFound("Không tìm thấy giấy chứng nhận.", "Certificate not found.")
    if old.status != "valid":
        raise ContestError(
            "Chỉ cấp lại được giấy chứng nhận đang có hiệu lực.",
            "Only a valid certificate can be reissued.",
        )
    counter = _lock_counter(db, old.contest_id)
    now = clock.now()
    # Replaced first: the unique index allows one live certificate per award.
    old.replaced_at = now
    old.replaced_reason = text
    db.flush()
    counter.last_number += 1
    code = _fresh_codes(db, 1)[0]
    suffix = old.number.split("/", 1)[1] if "/" in old.number else ""
    new = Certificate(
        **{
            column.key: getattr(old, column.key)
            for column in Certificate.__table__.columns
            if column.key
            not in {
                "id",
                "code",
                "serial",
                "number",
                "issued_on",
                "recipient_name",
                "recipient_unit",
                "verification_url",
                "issued_at",
                "issued_by",
                "revoked_at",
                "revoked_reason",
                "revoked_by",
                "replaced_at",
                "replaced_by_id",
                "replaced_reason",
            }
        }
    )
    new.code = code
    new.serial = counter.last_number
    new.number = f"{counter.last_number}/{suffix}" if suffix else str(counter.last_number)
    new.issued_on = clock.today_local()
    new.recipient_name = name
    new.recipient_unit = _nfc(recipient_unit) if recipient_unit is not None else old.recipient_unit
    new.verification_url = verification_url(code)
    new.issued_at = now
    new.issued_by = actor.audit_name[:120]
    db.add(new)
    db.flush()
    old.replaced_by_id = new.id
    db.flush()
    audit.record(
        db,
        actor,
        "certificates.reissue",
        "certificate",
        old.id,
        {
            "old_code": old.code,
            "new_code": new.code,
            "new_number": new.number,
            "reason": text,
            "old_name": old.recipient_name,
            "new_name": new.recipient_name,
        },
    )
    return new


# --- listing -------------------------------------------------------------------------------


def list_certificates(
    db: Session, contest_id: int, *, q: str = "", status: str = "", limit: int | None = 500
) -> list[Certificate]:
    """A contest's certificates by number; `q` matches name, unit, number or code."""
    query = select(Certificate).where(Certificate.contest_id == contest_id)
    if status == "valid":
        query = query.where(Certificate.replaced_at.is_(None), Certificate.revoked_at.is_(None))
    elif status == "revoked":
        query = query.where(Certificate.replaced_at.is_(None), Certificate.revoked_at.is_not(None))
    elif status == "replaced":
        query = query.where(Certificate.replaced_at.is_not(None))
    elif status == "live":
        query = query.where(Certificate.replaced_at.is_(None))
    text = _nfc(q)
    if text:
        like = f"%{text}%"
        code = normalise(text)
        conditions = [
            Certificate.recipient_name.ilike(like),
            Certificate.recipient_unit.ilike(like),
            Certificate.number.ilike(like),
        ]
        if code is not None:
            conditions.append(Certificate.code == code)
        query = query.where(or_(*conditions))
    query = query.order_by(Certificate.serial)
    if limit:
        query = query.limit(limit)
    return list(db.execute(query).scalars())


def certificates_for_participant(db: Session, participant_id: int) -> list[Certificate]:
    """A participant's own certificates that still stand (replaced ones are left out)."""
    return list(
        db.execute(
            select(Certificate)
            .where(Certificate.participant_id == participant_id, Certificate.replaced_at.is_(None))
            .order_by(Certificate.serial)
        ).scalars()
    )


def awards_for(
    db: Session, contest_id: int, round_id: int | None = None, kind: str = "prize"
) -> list[AwardRecord]:
    """The approved list from the results service; a clear error while that service is absent."""
    try:
        from contest.services.results import approved_awards
    except ImportError:
        raise ContestError(
            "Chưa có chức năng danh sách giải đã phê duyệt (contest.services.results.approved_awards) "
            "nên chưa cấp được giấy chứng nhận.",
            "The approved prize list (contest.services.results.approved_awards) is not available yet, "
            "so certificates cannot be issued.",
        ) from None
    return list(approved_awards(db, contest_id, round_id=round_id, kind=kind))


# --- bulk issue jobs -----------------------------------------------------------------------

JOB_BATCH: int | None = None  # tests set it; otherwise CONTEST_CERTIFICATE_JOB_BATCH
ISSUE_JOB = "certificates.issue"


def start_issue_job(
    db: Session, actor: Actor, contest: Contest, *, round_id: int | None = None, kind: str = "prize"
) -> Job:
    """Queue a bulk issue of the approved list; a worker issues it in batches."""
    with transaction(db):
        if kind not in ("prize", "participation"):
            raise ContestError(
                "Loại giấy chứng nhận không hợp lệ.", "Unknown certificate kind.", field="kind"
            )
        if round_id is not None:
            round_ = db.get(Round, round_id)
            if round_ is None or round_.contest_id != contest.id:
                raise NotFound("Không có đợt thi này.", "There is no such round.")
        if jobs.active_job(db, ISSUE_JOB, contest.id) is not None:
            raise ContestError(
                "Đang có một đợt cấp giấy chứng nhận chạy cho cuộc thi này.",
                "A certificate issue is already running for this contest.",
            )
        job = jobs.create(
            db,
            actor,
            ISSUE_JOB,
            contest_id=contest.id,
            params={"round_id": round_id, "kind": kind},
        )
        audit.record(
            db,
            actor,
            "certificates.job",
            "job",
            job.id,
            {"contest": contest.id, "round": round_id, "kind": kind},
        )
    jobs.dispatch(job.id)  # after the commit: a worker must find the row
    return job


def run_issue(db: Session, job: Job, progress: jobs.Progress) -> jobs.Outcome:
    """The issue job: batches of the approved list, each committed with the job's progress.

    A rerun (the worker was killed) resumes after the last committed batch; issuing is
    idempotent by award anyway, so numbers stay gapless and unique however often it runs."""
    awards = awards_for(db, job.contest_id, job.params.get("round_id"), job.params.get("kind"))
    done = job.done if job.total == len(awards) else 0
    counts = {"issued": 0, "skipped": 0, **((job.counts or {}) if done else {})}
    progress.commit(total=len(awards), done=done, counts=counts)
    actor = jobs.actor_of(job)
    step = max(1, JOB_BATCH or get_settings().certificate_job_batch)
    for start in range(done, len(awards), step):
        batch = list(awards[start : start + step])

        def record(report: IssueReport, end: int = start + len(batch)) -> None:
            counts["issued"] += len(report.issued)
            counts["skipped"] += len(report.existing)
            progress.report(done=end, counts=counts)

        issue_certificates(db, actor, batch, before_commit=record)
    return jobs.Outcome(
        f"Đã cấp {counts['issued']} giấy chứng nhận mới, {counts['skipped']} đã có từ trước.",
        f"Issued {counts['issued']} new certificates; {counts['skipped']} already existed.",
    )


def run_issue_job(db: Session, actor: Actor, job_id: int) -> Job:
    """Run an issue job here and now (the CLI and tests); the web hands it to the queue."""
    return jobs.run(db, job_id) or jobs.get(db, job_id)


# --- bundles: many certificates in one download, built by a worker ---------------------------

BUNDLE_JOB = "certificates.bundle"
# Up to this many, a ZIP or merged PDF is drawn inside the request (about a second); more go
# to a worker, so no request holds an app process for minutes (10,000 take ~4 minutes).
BUNDLE_INLINE_MAX = 50
BUNDLE_FORMATS = {"zip": "application/zip", "pdf": "application/pdf"}
_BUNDLE_STEP = 50


def start_bundle_job(
    db: Session, actor: Actor, contest: Contest, certificates: Sequence[Certificate], fmt: str
) -> Job:
    """Queue a ZIP or merged PDF of `certificates` (the selection as it stands now)."""
    if fmt not in BUNDLE_FORMATS:
        raise ContestError("Định dạng không hợp lệ.", "Unknown format.", field="format")
    with transaction(db):
        job = jobs.create(
            db,
            actor,
            BUNDLE_JOB,
            contest_id=contest.id,
            params={"format": fmt, "ids": [c.id for c in certificates]},
        )
        audit.record(
            db,
            actor,
            "certificates.bundle",
            "job",
            job.id,
            {"contest": contest.id, "format": fmt, "count": len(certificates)},
        )
    jobs.dispatch(job.id)
    return job


def run_bundle(db: Session, job: Job, progress: jobs.Progress) -> jobs.Outcome:
    """The bundle job: draw every certificate, keep the file in the file store. A rerun starts
    the file again (it is one file); the certificates themselves are only read."""
    from contest import storage

    fmt = job.params["format"]
    ids = list(job.params["ids"])
    rows: list[Certificate] = []
    for chunk in _chunks(ids, 500):
        rows.extend(db.execute(select(Certificate).where(Certificate.id.in_(chunk))).scalars())
    rows.sort(key=lambda c: c.serial)
    progress.commit(total=len(rows), done=0)
    cache: dict[str, bytes] = {}

    def counted(items: Iterable) -> Iterable:
        for n, item in enumerate(items, start=1):
            yield item
            if n % _BUNDLE_STEP == 0:
                progress.commit(done=n)

    contest = db.get(Contest, job.contest_id)
    name = f"{contest.slug if contest else 'giay-chung-nhan'}-giay-chung-nhan-{job.id}.{fmt}"
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
        if fmt == "zip":
            write_zip(
                spool,
                counted(
                    (
                        f"{c.serial:05d}-{file_name(c)}",
                        render_certificate(*certificate_item(db, c, cache)),
                    )
                    for c in rows
                ),
            )
        else:
            spool.write(render_pages(counted(certificate_item(db, c, cache) for c in rows)))
        spool.seek(0)
        key = f"jobs/{job.id}/{name}"
        info = storage.get_store().put(
            db, key, iter(lambda: spool.read(storage.CHUNK_BYTES), b""), BUNDLE_FORMATS[fmt]
        )
    progress.report(done=len(rows))
    return jobs.Outcome(
        f"Đã tạo tệp {name} gồm {len(rows)} giấy chứng nhận.",
        f"Built {name} with {len(rows)} certificates.",
        result_key=key,
        result_name=name,
        result_type=BUNDLE_FORMATS[fmt],
        result_size=info.size,
    )


def get_job(db: Session, contest: Contest, job_id: int) -> Job:
    """A job of this contest, read afresh (a worker commits its progress elsewhere)."""
    return jobs.get(db, job_id, contest.id)


def list_jobs(db: Session, contest_id: int, limit: int = 10) -> list[Job]:
    return jobs.list_jobs(db, contest_id=contest_id, limit=limit)


# --- demo ----------------------------------------------------------------------------------


DEMO_TEMPLATE = TemplateInput(
    title="GIẤY CHỨNG NHẬN",
    issuer_lines="UBND TỈNH LẠNG SƠN\nBAN TỔ CHỨC CUỘC THI",
    place="Lạng Sơn",
    signer_title="KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN",
    signer_name="Đoàn Thu Hà",
)


def issue_demo_certificates(db: Session, slug: str | None = None) -> int:
    """Certificates for the demo's approved prize list, once; 0 while there is no such list."""
    if slug is None:
        raw = tomllib.loads((get_settings().demo_dir / "contest.toml").read_text(encoding="utf-8"))
        slug = raw["slug"]
    contest = db.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none()
    if contest is None:
        return 0
    try:
        awards = awards_for(db, contest.id)
    except ContestError:
        return 0
    if not awards:
        return 0
    if (
        db.execute(
            select(CertificateTemplateRow.id).where(CertificateTemplateRow.contest_id == contest.id)
        ).first()
        is None
    ):
        save_template(db, SYSTEM, contest, DEMO_TEMPLATE)
    return len(issue_certificates(db, SYSTEM, awards).issued)
