"""Shared certificate test data."""

from datetime import date

import pytest

from contest.certificates.layout import CertificateData, CertificateTemplate

VERIFY_BASE = "https://chuyendoiso.langson.gov.vn/xac-minh"


def _make_data(**changes) -> CertificateData:
    values = dict(
        number="12/GCN-BTC",
        place="Lạng Sơn",
        issued_on=date(2023, 8, 5),
        recipient_name="Nguyễn Thị Hoà Bình",
        recipient_unit="Sở Thông tin và Truyền thông tỉnh Lạng Sơn",
        achievement=(
            "Đã đạt Giải Ba Cuộc thi trắc nghiệm tìm hiểu về chuyển đổi số tỉnh Lạng Sơn "
            "năm 2023 — Tuần 2"
        ),
        verification_code="K7QMX3WD9R",
        verification_url=f"{VERIFY_BASE}/K7QM-X3WD-9R",
        verify_hint_url=VERIFY_BASE,
        issuer_lines=("UBND TỈNH LẠNG SƠN", "BAN TỔ CHỨC CUỘC THI"),
        signer_name="Đoàn Thu Hà",
    )
    values.update(changes)
    return CertificateData(**values)


@pytest.fixture
def template() -> CertificateTemplate:
    return CertificateTemplate()


@pytest.fixture
def make_data():
    """Build CertificateData for a Lạng Sơn 2023 prize, overriding any field."""
    return _make_data
