"""Dates as Vietnamese documents write them, and fitting text into its space."""

import unicodedata
from datetime import date

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from contest.certificates.fonts import family
from contest.certificates.layout import (
    CertificateTemplate,
    balance_lines,
    fit_font_size,
    fit_paragraph,
    nfc,
    place_and_date,
    resolve,
    vietnamese_date,
    wrap_lines,
)

BOLD = family("serif").bold
REGULAR = family("serif").regular


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 8, 5), "ngày 05 tháng 8 năm 2023"),
        (date(2024, 1, 9), "ngày 09 tháng 01 năm 2024"),
        (date(2024, 2, 29), "ngày 29 tháng 02 năm 2024"),
        (date(2024, 3, 1), "ngày 01 tháng 3 năm 2024"),
        (date(2023, 10, 10), "ngày 10 tháng 10 năm 2023"),
        (date(2023, 12, 31), "ngày 31 tháng 12 năm 2023"),
    ],
)
def test_dates_take_a_leading_zero_for_days_below_ten_and_months_one_and_two(day, expected):
    assert vietnamese_date(day) == expected


def test_place_and_date_reads_like_a_document_line():
    assert place_and_date("Lạng Sơn", date(2023, 8, 5)) == "Lạng Sơn, ngày 05 tháng 8 năm 2023"
    assert place_and_date("", date(2023, 8, 5)) == "Ngày 05 tháng 8 năm 2023"


def test_nfc_composes_marks_and_collapses_spaces():
    assert nfc(unicodedata.normalize("NFD", "  Lường   Văn Ước ")) == "Lường Văn Ước"
    assert len(nfc(unicodedata.normalize("NFD", "Ước"))) == 3


def test_a_short_name_keeps_the_largest_size():
    assert fit_font_size("Hoàng Đức Thắng", BOLD, 600, 30, 15) == 30


def test_a_long_name_shrinks_to_fit_the_width():
    name = "Công chức Văn phòng Hội đồng nhân dân và Ủy ban nhân dân huyện Tràng Định"
    size = fit_font_size(name, BOLD, 400, 30, 8)
    assert size < 30
    assert stringWidth(name, BOLD, size) == pytest.approx(400, abs=0.01)


def test_shrinking_stops_at_the_smallest_size():
    assert fit_font_size("x" * 500, BOLD, 100, 30, 12) == 12


def test_wrapping_keeps_every_word_in_order_and_lines_within_width():
    text = "Đã đạt Giải Ba Cuộc thi trắc nghiệm tìm hiểu về chuyển đổi số tỉnh Lạng Sơn năm 2023 — Tuần 2"
    lines = wrap_lines(text, REGULAR, 15, 300)
    assert " ".join(lines) == text
    assert len(lines) > 1
    assert all(stringWidth(line, REGULAR, 15) <= 300 for line in lines)


def test_balanced_lines_are_as_many_as_greedy_but_more_even():
    text = "Đã đạt Giải Ba Cuộc thi trắc nghiệm tìm hiểu về chuyển đổi số tỉnh Lạng Sơn năm 2023 — Tuần 2"
    greedy = wrap_lines(text, REGULAR, 16, 600)
    balanced = balance_lines(text, REGULAR, 16, 600)
    assert len(balanced) == len(greedy) == 2
    assert " ".join(balanced) == text
    widths = [stringWidth(line, REGULAR, 16) for line in balanced]
    greedy_widths = [stringWidth(line, REGULAR, 16) for line in greedy]
    assert max(widths) - min(widths) < max(greedy_widths) - min(greedy_widths)


def test_a_paragraph_shrinks_until_it_fits_its_line_budget():
    text = " ".join(["chuyển đổi số"] * 20)
    size, lines = fit_paragraph(text, REGULAR, 500, 16, 6, 3)
    assert size < 16
    assert len(lines) <= 3
    assert all(stringWidth(line, REGULAR, size) <= 500 for line in lines)


def test_a_paragraph_too_long_even_at_the_smallest_size_takes_more_lines():
    text = " ".join(["chuyển đổi số"] * 200)
    size, lines = fit_paragraph(text, REGULAR, 500, 16, 6, 3)
    assert size == 6
    assert len(lines) > 3


def test_resolve_takes_the_templates_values_when_the_certificate_leaves_them_empty(make_data):
    template = CertificateTemplate(
        signer_title="KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN", signer_name="Lê Văn A"
    )
    text = resolve(make_data(signer_name="", issuer_lines=()), template)
    assert text.signer_title_lines == ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN")
    assert text.signer_name == "Lê Văn A"
    assert text.issuer_lines == template.issuer_lines
    assert text.title == "GIẤY CHỨNG NHẬN"
    assert text.verification_code == "K7QM-X3WD-9R"
    assert text.recipient_unit == "Đơn vị: Sở Thông tin và Truyền thông tỉnh Lạng Sơn"


def test_resolve_prefers_the_certificates_own_values(make_data):
    text = resolve(
        make_data(title="GIẤY KHEN", signer_name="Đoàn Thu Hà"),
        CertificateTemplate(signer_name="X"),
    )
    assert text.title == "GIẤY KHEN"
    assert text.signer_name == "Đoàn Thu Hà"


def test_hidden_fields_are_left_out(make_data):
    text = resolve(make_data(), CertificateTemplate(show_unit=False, show_number=False))
    assert text.recipient_unit == ""
    assert text.number == ""
