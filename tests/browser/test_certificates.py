"""The scan path: a phone opens the address a certificate's QR code holds."""

import subprocess
from urllib.parse import urlsplit

import pypdfium2
import zxingcpp
from playwright.sync_api import expect
from sqlalchemy import select


def _demo_certificate(kind: str):
    from contest.db import session_scope
    from contest.models import Certificate

    with session_scope() as db:
        return db.execute(
            select(Certificate)
            .where(Certificate.recipient_kind == kind)
            .order_by(Certificate.serial)
            .limit(1)
        ).scalar_one()


def test_phone_opens_the_verification_address_of_a_demo_certificate(live_server, phone, artifacts):
    from contest.db import session_scope
    from contest.services import certificates as service

    certificate = _demo_certificate("individual")
    with session_scope() as db:
        pdf = service.render_pdf(db, certificate)
    (artifacts / "certificate.pdf").write_bytes(pdf)
    # What a phone camera would read: the QR code on the rendered page.
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=150 / 72, grayscale=True).to_pil()
    document.close()
    [scanned] = [
        r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]
    assert scanned == certificate.verification_url
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "72",
            "-singlefile",
            str(artifacts / "certificate.pdf"),
            str(artifacts / "certificate"),
        ],
        check=False,
    )

    page = phone
    response = page.goto(live_server + urlsplit(scanned).path)
    assert response.status == 200
    text = page.inner_text("main")
    assert "Giấy chứng nhận hợp lệ" in text
    assert certificate.number in text and certificate.tier_label_vi in text
    assert certificate.recipient_name not in text  # the given name is masked on a public page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / "verify-valid-360x640.png"), full_page=True)

    page.goto(live_server + "/xac-minh")
    page.get_by_label("Mã xác minh").fill(
        certificate.code[:-1].lower() + ("2" if certificate.code[-1] != "2" else "3")
    )
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.locator("main")).to_contain_text("có thể gõ nhầm")
    page.screenshot(path=str(artifacts / "verify-typo-360x640.png"), full_page=True)
