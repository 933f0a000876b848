"""Draws certificates as A4 landscape PDFs, one at a time or in bulk."""

from __future__ import annotations

import calendar
import functools
import io
import multiprocessing
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import numpy
import zxingcpp
from reportlab import rl_config
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from contest.certificates.codes import format_code, normalise
from contest.certificates.fonts import FontFamily, family, register_fonts, seed_subsets
from contest.certificates.layout import (
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    CertificateData,
    CertificateTemplate,
    ResolvedText,
    fit_font_size,
    fit_paragraph,
    resolve,
)

PAGE_SIZE = landscape(A4)
PAGE_WIDTH, PAGE_HEIGHT = PAGE_SIZE

# Two header columns as on a Vietnamese administrative document: the issuer on the left,
# the national name and motto on the right; the number and the date sit under them.
MARGIN = 62.0
LEFT_COLUMN_CENTRE = MARGIN + 150.0
RIGHT_COLUMN_CENTRE = PAGE_WIDTH - MARGIN - 190.0
HEADER_TOP = PAGE_HEIGHT - 72.0
BODY_WIDTH = PAGE_WIDTH - 2 * 100.0
QR_SIZE = 84.0
SEAL_BOX = (130.0, 80.0)
SIGNER_TOP = 192.0
# Lowest baseline the body may use: clear of the signer's title and of the QR code.
BODY_FLOOR = SIGNER_TOP + 36.0

VIETNAM_UTC_OFFSET_HOURS = 7

Item = tuple[CertificateData, CertificateTemplate]


def render_certificate(data: CertificateData, template: CertificateTemplate) -> bytes:
    """One certificate as a one-page PDF; the same inputs always give the same bytes."""
    return render_pages([(data, template)])


def render_pages(items: Iterable[Item]) -> bytes:
    """Many certificates as the pages of one PDF, for printing a whole prize list at once.

    Drawing every page into one canvas embeds each font subset once, so the file stays far
    smaller than concatenated single certificates would be.
    """
    items = list(items)
    if not items:
        raise ValueError("no certificates to render")
    register_fonts()
    # Binary (not ASCII85) streams: smaller files and no encoding pass over every stream.
    # Set on each call, not restored, so every PDF we make is encoded the same way.
    rl_config.useA85 = 0
    buffer = io.BytesIO()
    first = items[0][0]
    canvas = Canvas(buffer, pagesize=PAGE_SIZE, invariant=1, pageCompression=1)
    _fix_timestamp(canvas, max(data.issued_on for data, _ in items))
    canvas.setCreator("contest")
    canvas.setAuthor(_nfc(" ".join(first.issuer_lines or items[0][1].issuer_lines)))
    if len(items) == 1:
        canvas.setTitle(_nfc(f"{first.title or items[0][1].title} – {first.recipient_name}"))
        canvas.setSubject(_nfc(first.achievement))
    else:
        canvas.setTitle(f"{len(items)} certificates")
    forms: dict[tuple[object, ...], tuple[str, float]] = {}
    for data, template in items:
        _draw_page(canvas, data, template, forms)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_many(
    items: Iterable[Item], out_dir: str | os.PathLike[str], processes: int = 2
) -> list[Path]:
    """Write one PDF per certificate into `out_dir`, named by verification code.

    Work is spread over `processes` worker processes; each registers the fonts once in its
    initialiser. Paths come back in the order of `items`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(data, template, str(out / _file_name(data))) for data, template in items]
    if len({path for _, _, path in jobs}) != len(jobs):
        raise ValueError("two certificates share a verification code")
    if processes <= 1 or len(jobs) < 2:
        register_fonts()
        return [Path(_render_to_file(job)) for job in jobs]
    chunk = max(1, min(64, len(jobs) // (processes * 8)))
    with multiprocessing.get_context().Pool(processes, initializer=register_fonts) as pool:
        return [Path(path) for path in pool.imap(_render_to_file, jobs, chunksize=chunk)]


def zip_pdfs(named_pdfs: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of (file name, PDF bytes); same inputs, same archive bytes."""
    buffer = io.BytesIO()
    write_zip(buffer, named_pdfs)
    return buffer.getvalue()


def write_zip(out: IO[bytes], named_pdfs: Iterable[tuple[str, bytes]]) -> None:
    """The archive of `zip_pdfs` written to `out` as it goes (a worker's spool file)."""
    seen: set[str] = set()
    with zipfile.ZipFile(out, "w") as archive:
        for name, pdf in named_pdfs:
            name = unicodedata.normalize("NFC", name)
            if not name or name.startswith("/") or ".." in Path(name).parts or "\\" in name:
                raise ValueError(f"unsafe file name in archive: {name!r}")
            if name in seen:
                raise ValueError(f"duplicate file name in archive: {name!r}")
            seen.add(name)
            # A fixed time stamp keeps the archive reproducible; PDFs barely compress further.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, pdf)


def _render_to_file(job: tuple[CertificateData, CertificateTemplate, str]) -> str:
    data, template, path = job
    Path(path).write_bytes(render_certificate(data, template))
    return path


def _file_name(data: CertificateData) -> str:
    code = normalise(data.verification_code)
    if code is not None:
        return format_code(code) + ".pdf"
    safe = re.sub(r"[^0-9A-Za-z_-]+", "_", data.verification_code).strip("_")
    if not safe:
        raise ValueError(f"cannot name a file after code {data.verification_code!r}")
    return safe + ".pdf"


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fix_timestamp(canvas: Canvas, issued_on: date) -> None:
    # invariant=1 pins the dates to 2000-01-01; the issue date (midnight, Vietnam time) is
    # the truthful fixed value, and it is stored, so regeneration gives identical bytes.
    # reportlab has no public setter, hence the private attribute.
    stamp = canvas._doc._timeStamp
    midnight_utc = calendar.timegm(issued_on.timetuple()) - VIETNAM_UTC_OFFSET_HOURS * 3600
    local = time.gmtime(midnight_utc + VIETNAM_UTC_OFFSET_HOURS * 3600)
    stamp.t = midnight_utc
    stamp.lt = local
    stamp.YMDhms = tuple(local)[:6]
    stamp.dhh, stamp.dmm = VIETNAM_UTC_OFFSET_HOURS, 0
    stamp.tzname = "ICT"


def _draw_page(
    canvas: Canvas,
    data: CertificateData,
    template: CertificateTemplate,
    forms: dict[tuple[object, ...], tuple[str, float]],
) -> None:
    fonts = family(template.font_family)
    seed_subsets(canvas._doc, fonts)
    accent = HexColor(template.accent_colour)
    ink = HexColor(template.text_colour)
    text = resolve(data, template)

    # What every certificate of a batch shares (background, frame, header, signer, seal) is
    # drawn once per PDF as a form XObject and placed on each page; only the number, date,
    # body and QR code are drawn page by page.
    key = (
        template.font_family,
        template.accent_colour,
        template.text_colour,
        template.show_border,
        text.issuer_lines,
        text.signer_title_lines,
        text.signer_name,
        data.seal_image,
        data.background_image,
    )
    form = forms.get(key)
    if form is None:
        name = f"Fixed{len(forms)}"
        header_bottom = _fixed_form(canvas, name, key, fonts, text, data, template, accent, ink)
        form = forms[key] = (name, header_bottom)
    name, header_bottom = form
    canvas.doForm(name)

    canvas.setFillColor(ink)
    canvas.setStrokeColor(ink)
    line_y = header_bottom - 24
    if text.number:
        canvas.setFont(fonts.regular, 12.5)
        canvas.drawCentredString(LEFT_COLUMN_CENTRE, line_y, text.number)
    canvas.setFont(fonts.italic, 13)
    canvas.drawCentredString(RIGHT_COLUMN_CENTRE, line_y, text.place_and_date)

    _draw_body(canvas, fonts, text, accent, ink, top=line_y - 64)
    if template.show_qr:
        _draw_verification(canvas, fonts, text, data.verification_url)


@dataclass
class _FixedPart:
    """A fixed part as drawn in one document, to place into the next without drawing it.

    Valid for a document in the same state when the part is drawn: as many fonts named
    before it (the PDF's internal font names follow that order) and only the seeded codes of
    the fonts in use (`seed_subsets`), which are the same in every document.
    """

    fonts_before: int  # fonts the document had named when the part was drawn
    fonts: tuple[str, ...]  # the fonts the part names, in that order
    stream: bytes  # its content stream
    header_bottom: float
    formatted: dict[tuple[int, int], bytes] = field(default_factory=dict)  # by BasicFonts' ref


# Fixed parts drawn in this process, by what they show (see `_draw_page`). Every certificate of
# a contest shares one, and bulk issue writes a PDF per certificate: drawing and compressing it
# once per process instead of once per PDF saves a good part of a certificate's cost.
_FIXED_PARTS: dict[tuple[object, ...], _FixedPart] = {}
_FIXED_PARTS_LIMIT = 64
_FORM_BOX = (-1, -1, PAGE_WIDTH + 1, PAGE_HEIGHT + 1)  # a point beyond the page on each side


class _PlacedForm(pdfdoc.PDFObject):
    """The form XObject of a `_FixedPart`, formatted as reportlab formats the drawn one."""

    def __init__(self, part: _FixedPart) -> None:
        self.part = part

    def format(self, document) -> bytes:
        # The form's resources name the document's font dictionary: the one thing in it
        # that depends on the document (in practice it is always object 1).
        basic_fonts = document.idToObjectNumberAndVersion["BasicFonts"]
        formatted = self.part.formatted.get(basic_fonts)
        if formatted is None:
            form = pdfdoc.PDFFormXObject(*_FORM_BOX)
            form.compression = 1
            form.stream = self.part.stream
            formatted = self.part.formatted[basic_fonts] = form.format(document)
        return formatted


def _fixed_form(
    canvas: Canvas,
    name: str,
    key: tuple[object, ...],
    fonts: FontFamily,
    text: ResolvedText,
    data: CertificateData,
    template: CertificateTemplate,
    accent,
    ink,
) -> float:
    """Define the form XObject `name` for the fixed part; returns the header's bottom line."""
    doc = canvas._doc
    part = _FIXED_PARTS.get(key)
    if (
        part is not None
        and len(doc.fontMapping) == part.fonts_before
        and not any(font_name in doc.fontMapping for font_name in part.fonts)
    ):
        for font_name in part.fonts:  # name the fonts as drawing the part would, in order
            pdfmetrics.getFont(font_name).getSubsetInternalName(0, doc)
        doc.addForm(name, _PlacedForm(part))
        return part.header_bottom

    fonts_before = dict(doc.fontMapping)
    codes_before = [_codes(font_name, doc) for font_name in _family_names(fonts)]
    # A box a point larger than the page, so its clip never trims the page's edge pixels.
    canvas.beginForm(name, *_FORM_BOX)
    header_bottom = _draw_fixed(canvas, fonts, text, data, template, accent, ink)
    canvas.endForm()
    reusable = (
        part is None
        and not data.seal_image  # pictures are objects of the document: drawn each time
        and not data.background_image
        and codes_before == [_codes(font_name, doc) for font_name in _family_names(fonts)]
    )
    if reusable:
        if len(_FIXED_PARTS) >= _FIXED_PARTS_LIMIT:
            _FIXED_PARTS.clear()
        _FIXED_PARTS[key] = _FixedPart(
            fonts_before=len(fonts_before),
            fonts=tuple(n for n in doc.fontMapping if n not in fonts_before),
            stream=doc.idToObject[pdfdoc.xObjectName(name)].stream,
            header_bottom=header_bottom,
        )
    return header_bottom


def _family_names(fonts: FontFamily) -> tuple[str, str, str]:
    return (fonts.regular, fonts.bold, fonts.italic)


def _codes(font_name: str, doc) -> tuple[int, int]:
    """How many characters the font has been given codes for in `doc`, and its next code."""
    state = pdfmetrics.getFont(font_name).state.get(doc)
    return (len(state.assignments), state.nextCode) if state is not None else (0, 0)


def _draw_fixed(
    canvas: Canvas,
    fonts: FontFamily,
    text: ResolvedText,
    data: CertificateData,
    template: CertificateTemplate,
    accent,
    ink,
) -> float:
    """Background, frame, header and signer block; returns the header's bottom line."""
    if data.background_image:
        canvas.drawImage(
            ImageReader(io.BytesIO(data.background_image)),
            0,
            0,
            PAGE_WIDTH,
            PAGE_HEIGHT,
            mask="auto",
        )
    if template.show_border:
        _draw_border(canvas, accent)

    canvas.setFillColor(ink)
    canvas.setStrokeColor(ink)
    header_bottom = _draw_header(canvas, fonts, text)
    _draw_signer(canvas, fonts, text, data.seal_image)
    return header_bottom


def _draw_border(canvas: Canvas, accent) -> None:
    canvas.saveState()
    canvas.setStrokeColor(accent)
    canvas.setLineWidth(2.6)
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
    canvas.setLineWidth(0.8)
    canvas.rect(25, 25, PAGE_WIDTH - 50, PAGE_HEIGHT - 50)
    # Small squares at the inner corners: the usual ornament of a printed certificate frame.
    canvas.setFillColor(accent)
    for x, y in (
        (25, 25),
        (PAGE_WIDTH - 25, 25),
        (25, PAGE_HEIGHT - 25),
        (PAGE_WIDTH - 25, PAGE_HEIGHT - 25),
    ):
        canvas.rect(x - 3.5, y - 3.5, 7, 7, stroke=0, fill=1)
    canvas.restoreState()


def _draw_header(canvas: Canvas, fonts: FontFamily, text: ResolvedText) -> float:
    """Both header columns from the same top line; returns the lower of their bottoms."""
    size, leading = 12.5, 16.5

    y = HEADER_TOP
    issuer = text.issuer_lines
    for index, line in enumerate(issuer):
        # The parent body is regular, the issuing body itself bold (Decree 30/2020, App. I).
        bold = index == len(issuer) - 1
        font = fonts.bold if bold else fonts.regular
        line_size = fit_font_size(line, font, 290, size, 9)
        canvas.setFont(font, line_size)
        canvas.drawCentredString(LEFT_COLUMN_CENTRE, y, line)
        if bold:
            rule = stringWidth(line, font, line_size) / 3
            _rule(canvas, LEFT_COLUMN_CENTRE, y - 8, rule)
        y -= leading
    left_bottom = y + leading - 8

    y = HEADER_TOP
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(RIGHT_COLUMN_CENTRE, y, NATIONAL_NAME)
    y -= leading
    canvas.setFont(fonts.bold, 13.5)
    canvas.drawCentredString(RIGHT_COLUMN_CENTRE, y, NATIONAL_MOTTO)
    _rule(canvas, RIGHT_COLUMN_CENTRE, y - 8, stringWidth(NATIONAL_MOTTO, fonts.bold, 13.5))
    right_bottom = y - 8
    return min(left_bottom, right_bottom)


def _rule(canvas: Canvas, centre: float, y: float, width: float) -> None:
    canvas.setLineWidth(0.7)
    canvas.line(centre - width / 2, y, centre + width / 2, y)


@dataclass(frozen=True)
class _Block:
    lines: tuple[str, ...]
    font: str
    size: float
    colour: object
    space_before: float  # from the previous block's last baseline to this one's first
    leading: float


@functools.lru_cache(maxsize=256)
def _paragraph(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int
) -> tuple[float, tuple[str, ...]]:
    """`fit_paragraph`, remembered: the certificates of one prize list share their achievement
    line, and fitting it tries size after size, each with a search for the balanced width."""
    size, lines = fit_paragraph(text, font, width, largest, smallest, max_lines)
    return size, tuple(lines)


def _body_blocks(fonts: FontFamily, text: ResolvedText, accent, ink) -> list[_Block]:
    blocks = []
    size = fit_font_size(text.title, fonts.bold, BODY_WIDTH, 34, 18)
    blocks.append(_Block((text.title,), fonts.bold, size, accent, 0.0, size))
    if text.lead_in:
        blocks.append(_Block((text.lead_in,), fonts.italic, 16, ink, 36, 16))

    name_size = fit_font_size(text.recipient_name, fonts.bold, BODY_WIDTH, 30, 15)
    if stringWidth(text.recipient_name, fonts.bold, name_size) > BODY_WIDTH:
        # A collective's long name: two lines rather than text off the page.
        name_size, name_lines = _paragraph(text.recipient_name, fonts.bold, BODY_WIDTH, 22, 11, 2)
    else:
        name_lines = (text.recipient_name,)
    blocks.append(_Block(name_lines, fonts.bold, name_size, accent, 44, name_size * 1.25))

    if text.recipient_unit:
        size = fit_font_size(text.recipient_unit, fonts.regular, BODY_WIDTH, 14, 9)
        blocks.append(_Block((text.recipient_unit,), fonts.regular, size, ink, 30, size))
    if text.achievement:
        size, lines = _paragraph(text.achievement, fonts.regular, BODY_WIDTH - 40, 16, 9, 3)
        blocks.append(_Block(lines, fonts.regular, size, ink, 16 + size * 1.3, size * 1.38))
    return blocks


def _draw_body(
    canvas: Canvas, fonts: FontFamily, text: ResolvedText, accent, ink, top: float
) -> None:
    """Title to achievement, kept between the date line and the signer block.

    A long collective's name or achievement would otherwise run into the signer's title;
    when the blocks are taller than the band, the gaps between them shrink instead.
    """
    blocks = _body_blocks(fonts, text, accent, ink)
    floor = BODY_FLOOR
    gaps = sum(block.space_before for block in blocks)
    lines = sum(block.leading * (len(block.lines) - 1) for block in blocks)
    height = gaps + lines
    available = top - floor
    squeeze = 1.0 if height <= available else max(0.6, (available - lines) / gaps)
    y = top
    for block in blocks:
        y -= block.space_before * squeeze
        canvas.setFillColor(block.colour)
        canvas.setFont(block.font, block.size)
        for index, line in enumerate(block.lines):
            if index:
                y -= block.leading
            canvas.drawCentredString(PAGE_WIDTH / 2, y, line)


def _draw_signer(canvas: Canvas, fonts: FontFamily, text: ResolvedText, seal: bytes | None) -> None:
    x = RIGHT_COLUMN_CENTRE
    y = SIGNER_TOP
    canvas.setFont(fonts.bold, 12.5)
    for line in text.signer_title_lines:
        canvas.drawCentredString(x, y, line)
        y -= 16
    name_y = 62.0
    if seal:
        box_w, box_h = SEAL_BOX
        box_bottom = name_y + 20
        box_top = min(y + 6, box_bottom + box_h)
        canvas.drawImage(
            ImageReader(io.BytesIO(seal)),
            x - box_w / 2,
            box_bottom,
            box_w,
            box_top - box_bottom,
            mask="auto",
            preserveAspectRatio=True,
            anchor="c",
        )
    if text.signer_name:
        size = fit_font_size(text.signer_name, fonts.bold, 300, 14, 9)
        canvas.setFont(fonts.bold, size)
        canvas.drawCentredString(x, name_y, text.signer_name)


def _draw_verification(canvas: Canvas, fonts: FontFamily, text: ResolvedText, url: str) -> None:
    left, bottom = 66.0, 84.0
    _draw_qr(canvas, url, left, bottom, QR_SIZE)
    canvas.setFont(fonts.regular, 8.5)
    canvas.drawString(left, bottom - 15, "Mã xác minh:")
    canvas.setFont(fonts.bold, 11)
    canvas.drawString(
        left + stringWidth("Mã xác minh: ", fonts.regular, 8.5), bottom - 15, text.verification_code
    )
    if text.verify_hint_url:
        hint = f"Tra cứu tại: {text.verify_hint_url}"
        size = fit_font_size(hint, fonts.regular, 330, 8.5, 6)
        canvas.setFont(fonts.regular, size)
        canvas.drawString(left, bottom - 29, hint)


def _draw_qr(canvas: Canvas, payload: str, left: float, bottom: float, size: float) -> None:
    """The QR code as one filled vector path: sharp at any print resolution, a few KB."""
    # zxing-cpp's encoder (C++) builds the symbol, mask chosen by penalty score, in a
    # fraction of the time a pure-Python encoder takes; bulk issue (10,000 in a minute on
    # 2 cores) spends much of its time per certificate here, and tests decode rendered pages.
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    dark = numpy.asarray(symbol.to_image(add_quiet_zones=False)) == 0  # 0 is black
    modules = dark.shape[0]
    module = size / modules
    canvas.saveState()
    # Quiet zone kept white even over a background image: scanners need it.
    canvas.setFillColor(white)
    quiet = 4 * module
    canvas.rect(left - quiet, bottom - quiet, size + 2 * quiet, size + 2 * quiet, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#000000"))
    # In module units with y pointing down, every rectangle has small integer coordinates:
    # writing the operators directly is several times faster than reportlab's path object
    # formatting floats, and bulk issue spends its time here. A row's rectangles come from a
    # table by each 8 modules of it (a run across two such bytes is two rectangles, filled as
    # one path, so the dark area is the same), the row number put in once per row.
    table = _byte_runs(dark.shape[1])
    rows = []
    for row_index, row in enumerate(numpy.packbits(dark, axis=1).tolist()):
        pieces = [table[chunk][byte] for chunk, byte in enumerate(row) if byte]
        if pieces:
            rows.append(" ".join(pieces).replace("R", str(row_index)))
    rows.append("f")
    canvas.translate(left, bottom + size)
    canvas.scale(module, -module)
    canvas.addLiteral("\n".join(rows))
    canvas.restoreState()


@functools.lru_cache(maxsize=8)
def _byte_runs(width: int) -> list[list[str]]:
    """For each byte of a packed QR row of `width` modules (8 modules from column 8 × its
    index, the first in the high bit) and each of its 256 values, the rectangles of the value's
    runs of dark modules, R standing for the row."""
    table = []
    for chunk in range((width + 7) // 8):
        values = []
        for value in range(256):
            bits = [(value >> (7 - bit)) & 1 for bit in range(8)] + [0]
            rectangles, start = [], None
            for bit, is_dark in enumerate(bits):
                if is_dark and start is None:
                    start = bit
                elif not is_dark and start is not None:
                    rectangles.append(f"{8 * chunk + start} R {bit - start} 1 re")
                    start = None
            values.append(" ".join(rectangles))
        table.append(values)
    return table
