"""Certificates from approved awards: issue once, number without gaps, verify, revoke, reissue, download."""

import io
import unicodedata

import pypdfium2
import pytest
import zxingcpp
from factories import make_award, make_contest
from pypdf import PdfReader
from sqlalchemy import func, select

from contest.certificates import format_code
from contest.domain.errors import ContestError, InvalidInput
from contest.models import AuditEntry, Certificate
from contest.services import certificates as service
from contest.services.context import SYSTEM, Actor

CHAIR = Actor("staff", 1, "truongban")
NAMES = ["Nguyễn Thị Hoà Bình", "Lường Văn Ước", "Hoàng Đức Thắng"]


def _issue(db, contest, n=3, **kw):
    awards = [make_award(contest, f"prize:{i}", NAMES[i % 3]) for i in range(n)]
    return service.issue_certificates(db, CHAIR, awards, **kw)


def _text(pdf: bytes) -> str:
    return unicodedata.normalize(
        "NFC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    )


def test_issue_is_idempotent_and_numbers_are_sequential(db):
    contest = make_contest(db)
    first = _issue(db, contest, 3)
    assert [c.number for c in first.issued] == ["1/GCN-BTC", "2/GCN-BTC", "3/GCN-BTC"]
    again = _issue(db, contest, 5)
    assert len(again.issued) == 2 and len(again.existing) == 3
    assert [c.number for c in again.issued] == ["4/GCN-BTC", "5/GCN-BTC"]
    assert [c.serial for c in again.certificates] == [1, 2, 3, 4, 5]
    assert db.execute(select(func.count()).select_from(Certificate)).scalar_one() == 5
    assert len({c.code for c in again.certificates}) == 5
    assert (
        db.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "certificates.issue")
        ).scalar_one()
        == 2
    )
    nothing = _issue(db, contest, 5)
    assert nothing.issued == [] and len(nothing.existing) == 5


def test_numbers_are_per_contest(db):
    a, b = make_contest(db, "mot"), make_contest(db, "hai", with_units=False)
    _issue(db, a, 2)
    assert [c.number for c in _issue(db, b, 1).issued] == ["1/GCN-BTC"]


def test_pdf_holds_the_exact_name_and_a_qr_that_gives_the_verification_url(db):
    contest = make_contest(db)
    award = make_award(contest, "prize:q", unicodedata.normalize("NFD", "Lường Văn Ước"))
    certificate = service.issue_certificates(db, CHAIR, [award]).issued[0]
    assert certificate.recipient_name == "Lường Văn Ước"
    pdf = service.render_pdf(db, certificate)
    assert "Lường Văn Ước" in _text(pdf)
    assert format_code(certificate.code) in _text(pdf)
    assert len(pdf) <= 150 * 1024
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=150 / 72, grayscale=True).to_pil()
    document.close()
    decoded = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert decoded == [f"http://127.0.0.1:8000/xac-minh/{format_code(certificate.code)}"]
    assert decoded[0] == certificate.verification_url


def test_pdf_regenerates_byte_for_byte_after_the_template_changes(db):
    contest = make_contest(db)
    certificate = _issue(db, contest, 1).issued[0]
    before = service.render_pdf(db, certificate)
    service.save_template(
        db, CHAIR, contest, service.TemplateInput(title="Giấy khen", signer_name="Đoàn Thu Hà")
    )
    db.expire_all()
    assert service.render_pdf(db, db.get(Certificate, certificate.id)) == before
    later = _issue(db, contest, 2).issued[0]
    assert "GIẤY KHEN" in _text(service.render_pdf(db, later))


def test_verify_valid_then_revoked_with_date_and_reason(db):
    contest = make_contest(db)
    certificate = _issue(db, contest, 1).issued[0]
    typed = format_code(certificate.code).lower().replace("-", " ")
    result = service.verify(db, typed)
    assert result.status == "valid"
    assert result.recipient == "Nguyễn Thị Hoà B"
    with pytest.raises(ContestError):
        service.revoke(db, CHAIR, certificate.id, "  ")
    service.revoke(db, CHAIR, certificate.id, "Bài thi vi phạm thể lệ")
    result = service.verify(db, certificate.code)
    assert result.status == "revoked"
    assert result.certificate.revoked_reason == "Bài thi vi phạm thể lệ"
    assert result.certificate.revoked_at is not None
    with pytest.raises(ContestError):
        service.revoke(db, CHAIR, certificate.id, "lần thứ hai")


def test_unknown_and_mistyped_codes_get_clear_answers(db):
    contest = make_contest(db)
    code = _issue(db, contest, 1).issued[0].code
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    typo = code[:3] + next(ch for ch in alphabet if ch != code[3]) + code[4:]
    mistyped = service.verify(db, typo)
    assert mistyped.status == "malformed" and "có thể gõ nhầm" in mistyped.message_vi
    assert service.verify(db, "hello").status == "malformed"
    assert service.verify(db, "").status == "malformed"
    import random

    from contest.certificates import new_code

    unknown = new_code(random.Random(99))
    assert service.verify(db, unknown).status == "unknown"


def test_collective_names_are_not_masked(db):
    contest = make_contest(db)
    award = make_award(
        contest, "prize:unit", "Huyện Tràng Định", recipient_kind="collective", recipient_unit=""
    )
    certificate = service.issue_certificates(db, CHAIR, [award]).issued[0]
    assert service.verify(db, certificate.code).recipient == "Huyện Tràng Định"


def test_reissue_marks_the_old_one_replaced_and_keeps_one_live_certificate_per_award(db):
    contest = make_contest(db)
    old = _issue(db, contest, 2).issued[0]
    new = service.reissue(
        db, CHAIR, old.id, recipient_name="Nguyễn Thị Hòa Bình", reason="Sửa chính tả họ tên"
    )
    assert new.code != old.code and new.number == "3/GCN-BTC" and new.award_key == old.award_key
    result = service.verify(db, old.code)
    assert result.status == "replaced" and result.replaced_by_code == format_code(new.code)
    assert service.verify(db, new.code).status == "valid"
    assert "Nguyễn Thị Hòa Bình" in _text(service.render_pdf(db, new))
    # The award has its live certificate: running the list again issues nothing.
    assert _issue(db, contest, 2).issued == []
    with pytest.raises(ContestError):
        service.reissue(db, CHAIR, old.id, recipient_name="X Y", reason="lại lần nữa")


def test_signed_download_link_works_and_refuses_tampering_and_expiry(db):
    contest = make_contest(db)
    certificate = _issue(db, contest, 1).issued[0]
    path = service.download_path(certificate)
    code, sig = path.removeprefix("/chung-nhan/").split(".pdf?sig=")
    assert service.certificate_for_download(db, code, sig).id == certificate.id
    with pytest.raises(ContestError):
        service.certificate_for_download(
            db, code, sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
        )
    other = _issue(db, contest, 2).issued[0]
    with pytest.raises(ContestError):
        service.certificate_for_download(db, format_code(other.code), sig)
    with pytest.raises(ContestError, match="expired"):
        service.certificate_for_download(db, code, sig, max_age=-1)


def test_merged_pdf_and_zip(db):
    contest = make_contest(db)
    certs = _issue(db, contest, 3).certificates
    merged = service.render_merged(db, certs)
    assert len(PdfReader(io.BytesIO(merged)).pages) == 3
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(service.render_zip(db, certs))).namelist()
    assert names == [f"{c.serial:05d}-{format_code(c.code)}.pdf" for c in certs]


def test_template_refuses_images_that_are_not_png_or_jpeg_and_oversized_ones(db, tmp_path):
    contest = make_contest(db)
    with pytest.raises(ContestError, match="PNG"):
        service.save_template(
            db, CHAIR, contest, service.TemplateInput(), seal=b"GIF89a" + b"\0" * 40
        )
    with pytest.raises(ContestError):
        service.save_template(
            db, CHAIR, contest, service.TemplateInput(), seal=b"\x89PNG\r\n\x1a\n" + b"\0" * 600_000
        )
    with pytest.raises(ContestError, match="damaged"):
        service.save_template(
            db, CHAIR, contest, service.TemplateInput(), seal=b"\x89PNG\r\n\x1a\nnot really"
        )
    with pytest.raises(InvalidInput) as caught:
        service.save_template(
            db, CHAIR, contest, service.TemplateInput(title="", accent_colour="red")
        )
    assert set(caught.value.by_field()) == {"title", "accent_colour"}
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (60, 60), (200, 0, 0, 128)).save(buffer, format="PNG")
    row = service.save_template(db, CHAIR, contest, service.TemplateInput(), seal=buffer.getvalue())
    assert row.seal_sha256
    certificate = _issue(db, contest, 1).issued[0]
    assert certificate.seal_sha256 == row.seal_sha256
    assert service.render_pdf(db, certificate) != b""


def test_preview_renders_unsaved_values(db):
    contest = make_contest(db)
    pdf = service.preview_pdf(
        db, contest, service.TemplateInput(title="giấy khen", signer_name="Hoàng Đức Thắng")
    )
    text = _text(pdf)
    assert "GIẤY KHEN" in text and "Hoàng Đức Thắng" in text
    assert service.pdf_to_png(pdf).startswith(b"\x89PNG")


def test_render_files_writes_one_pdf_per_certificate(db, tmp_path):
    contest = make_contest(db)
    certs = _issue(db, contest, 3).certificates
    seen = []
    paths = service.render_files(db, certs, tmp_path, processes=2, progress=seen.append)
    assert [p.name for p in paths] == [f"{format_code(c.code)}.pdf" for c in certs]
    assert sum(seen) == 3
    assert paths[0].read_bytes() == service.render_pdf(db, certs[0])


def test_job_issues_the_approved_list_in_batches(db, monkeypatch):
    contest = make_contest(db)
    awards = [make_award(contest, f"prize:{i}", NAMES[i % 3]) for i in range(5)]
    monkeypatch.setattr(service, "awards_for", lambda db, c, r=None, k="prize": awards)
    monkeypatch.setattr(service, "JOB_BATCH", 2)
    job = service.start_issue_job(db, CHAIR, contest)
    with pytest.raises(ContestError):
        service.start_issue_job(db, CHAIR, contest)
    done = service.run_issue_job(db, CHAIR, job.id)
    assert (done.status, done.total, done.done, done.counts) == (
        "done",
        5,
        5,
        {"issued": 5, "skipped": 0},
    )
    again = service.run_issue_job(db, CHAIR, service.start_issue_job(db, CHAIR, contest).id)
    assert again.counts == {"issued": 0, "skipped": 5}


def test_job_fails_clearly_without_an_approved_list_service(db, monkeypatch):
    contest = make_contest(db)

    def missing(*args, **kwargs):
        raise ContestError("Chưa có danh sách giải.", "No approved list.")

    monkeypatch.setattr(service, "awards_for", missing)
    job = service.run_issue_job(db, CHAIR, service.start_issue_job(db, CHAIR, contest).id)
    assert job.status == "failed" and job.message_en == "No approved list."


def test_demo_issues_nothing_without_an_approved_list(db, monkeypatch):
    from contest.config import get_settings
    from contest.services.demo import load_demo

    def missing(*args, **kwargs):
        raise ContestError("x", "x")

    monkeypatch.setattr(service, "awards_for", missing)
    load_demo(db, get_settings().demo_dir)
    assert service.issue_demo_certificates(db) == 0


def test_concurrent_issues_share_one_gapless_number_sequence(engine):
    """Two committee members issue at once: every number used once, none skipped (real commits)."""
    import threading

    from conftest import random_suffix
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from contest.models import CertificateCounter, Contest, Round, Unit

    with Session(engine, expire_on_commit=False) as setup:
        contest = make_contest(setup, f"dong-thoi-{random_suffix()}", with_units=False)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def issue(prefix: str) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                awards = [make_award(contest, f"{prefix}:{i}") for i in range(15)]
                barrier.wait()
                for start in range(0, 15, 5):
                    service.issue_certificates(db, SYSTEM, awards[start : start + 5])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(p,)) for p in ("a", "b")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        with Session(engine) as db:
            serials = sorted(
                db.execute(
                    select(Certificate.serial).where(Certificate.contest_id == contest.id)
                ).scalars()
            )
        assert serials == list(range(1, 31))
    finally:
        with Session(engine) as db:
            for model in (Certificate, CertificateCounter, Unit, Round):
                db.execute(delete(model).where(model.contest_id == contest.id))
            db.execute(delete(Contest).where(Contest.id == contest.id))
            db.commit()


def test_demo_prize_lists_get_their_certificates_once(db):
    from contest.config import get_settings
    from contest.services.demo import load_demo

    load_demo(db, get_settings().demo_dir)
    count = db.execute(select(func.count()).select_from(Certificate)).scalar_one()
    assert count > 0
    some = db.execute(select(Certificate).order_by(Certificate.serial)).scalars().first()
    assert service.verify(db, some.code).status == "valid"
    load_demo(db, get_settings().demo_dir)
    assert db.execute(select(func.count()).select_from(Certificate)).scalar_one() == count
