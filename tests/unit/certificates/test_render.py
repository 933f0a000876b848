"""Rendering certificates: text, size, page, reproducibility and a scannable QR code."""

import io
import unicodedata

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from contest.certificates.layout import NATIONAL_MOTTO, NATIONAL_NAME, CertificateTemplate
from contest.certificates.render import render_certificate

NAMES = ["Nguyễn Thị Hoà Bình", "Lường Văn Ước", "Hoàng Đức Thắng"]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def _decode_qr(pdf: bytes, page_index: int = 0) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page_index].render(scale=150 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [
        result.text
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_certificate_shows_the_name_exactly_and_the_national_header(make_data, template, name):
    # The name arrives decomposed (NFD), as some keyboards send it; the PDF must hold NFC.
    pdf = render_certificate(make_data(recipient_name=unicodedata.normalize("NFD", name)), template)
    text = _text(pdf)
    assert name in text
    assert NATIONAL_NAME in text
    assert NATIONAL_MOTTO in text
    assert "Số: 12/GCN-BTC" in text
    assert "Lạng Sơn, ngày 05 tháng 8 năm 2023" in text
    assert "K7QM-X3WD-9R" in text


@pytest.mark.parametrize("family", ["serif", "sans"])
def test_certificate_is_one_a4_landscape_page_of_at_most_150_kb(make_data, family):
    pdf = render_certificate(make_data(), CertificateTemplate(font_family=family))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(A4[1], abs=0.5)
    assert float(box.height) == pytest.approx(A4[0], abs=0.5)
    assert len(pdf) <= 150 * 1024


def test_same_inputs_give_byte_identical_pdfs(make_data, template):
    first = render_certificate(make_data(), template)
    assert render_certificate(make_data(), template) == first
    assert render_certificate(make_data(recipient_name="Lường Văn Ước"), template) != first


@pytest.mark.parametrize("family", ["serif", "sans"])
def test_a_fixed_part_placed_from_the_process_cache_gives_the_bytes_drawing_it_gives(
    make_data, family
):
    from contest.certificates import render

    template = CertificateTemplate(font_family=family)
    render._FIXED_PARTS.clear()
    drawn = render_certificate(make_data(), template)
    assert len(render._FIXED_PARTS) == 1
    assert render_certificate(make_data(), template) == drawn


def test_a_fixed_part_with_letters_beyond_vietnamese_is_drawn_each_time_and_shows_exactly(
    make_data,
):
    # Its text takes codes the other certificates' fonts lack, so it cannot be placed from
    # the cache into a document that did not assign them.
    from contest.certificates import render

    issuer = ("UBND TỈNH LẠNG SƠN", "BAN TỔ CHỨC — ÅLESUND ØST")
    render._FIXED_PARTS.clear()
    for _ in range(2):
        pdf = render_certificate(make_data(issuer_lines=issuer), CertificateTemplate())
        assert "BAN TỔ CHỨC — ÅLESUND ØST" in _text(pdf)
    assert render._FIXED_PARTS == {}


def test_pdf_dates_are_the_issue_date_in_vietnam_time(make_data, template):
    info = PdfReader(io.BytesIO(render_certificate(make_data(), template))).metadata
    assert info["/CreationDate"].startswith("D:20230805000000+07")


def test_qr_code_decodes_to_exactly_the_verification_url(make_data, template):
    data = make_data()
    assert _decode_qr(render_certificate(data, template)) == [data.verification_url]


def test_each_byte_of_a_qr_row_is_drawn_as_rectangles_covering_exactly_its_dark_modules():
    import re

    from contest.certificates.render import _byte_runs

    table = _byte_runs(21)  # a version 1 symbol: 21 modules, 3 bytes a row
    assert len(table) == 3
    for chunk, values in enumerate(table):
        for value, text in enumerate(values):
            covered: list[int] = []
            for start, width in re.findall(r"(\d+) R (\d+) 1 re", text):
                covered += range(int(start), int(start) + int(width))
            dark = [8 * chunk + bit for bit in range(8) if value >> (7 - bit) & 1]
            assert covered == dark, (chunk, value, text)


def _png(width: int, height: int, colour: tuple[int, int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_seal_and_background_images_are_drawn_and_the_qr_still_scans(make_data):
    data = make_data(
        seal_image=_png(120, 80, (200, 0, 0, 160)),
        background_image=_png(300, 210, (250, 240, 215, 255)),
    )
    pdf = render_certificate(data, CertificateTemplate(title="GIẤY KHEN", lead_in="Tặng"))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 2
    assert "GIẤY KHEN" in _text(pdf)
    assert _decode_qr(pdf) == [data.verification_url]


def test_a_very_long_collective_name_stays_inside_the_body_width(make_data, template):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from contest.certificates.fonts import family
    from contest.certificates.layout import resolve
    from contest.certificates.render import BODY_WIDTH, _body_blocks

    name = "Trung tâm Văn hóa, Thể thao và Truyền thông huyện Mường La và Ủy ban nhân dân xã Chiềng Lao"
    blocks = _body_blocks(
        family("serif"), resolve(make_data(recipient_name=name), template), None, None
    )
    name_block = blocks[2]
    assert " ".join(name_block.lines) == name
    assert all(
        stringWidth(line, name_block.font, name_block.size) <= BODY_WIDTH
        for line in name_block.lines
    )


def test_hiding_the_qr_code_leaves_no_code_on_the_page(make_data):
    pdf = render_certificate(make_data(), CertificateTemplate(show_qr=False))
    assert "K7QM-X3WD-9R" not in _text(pdf)
    assert _decode_qr(pdf) == []


def test_a_name_with_letters_beyond_vietnamese_still_shows_exactly_and_batches_share_fonts(
    make_data, template
):
    # Every PDF embeds the same font subsets (the Vietnamese alphabet first); a letter outside
    # that list takes a code after it, and the subsets built for it must not leak into the
    # next certificate, which is byte-identical to one drawn on its own.
    plain = render_certificate(make_data(recipient_name="Lường Văn Ước"), template)
    foreign = render_certificate(make_data(recipient_name="Zoë Müller-Øst Ñúñez"), template)
    assert "Zoë Müller-Øst Ñúñez" in _text(foreign)
    assert render_certificate(make_data(recipient_name="Lường Văn Ước"), template) == plain
    assert "Lường Văn Ước" in _text(plain)
