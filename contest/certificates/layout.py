"""What a certificate says and how it is arranged: data, per-contest template, text fitting."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from reportlab.pdfbase.pdfmetrics import stringWidth

from contest.certificates.codes import format_code, normalise

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate, as stored when it was issued.

    Stored values are enough to regenerate the same PDF byte for byte. `title`,
    `issuer_lines`, `signer_title` and `signer_name` may be left empty to take the
    template's (the contest's) values.
    """

    number: str  # "12/GCN-BTC"; "Số: " is added when drawn
    place: str  # "Lạng Sơn"
    issued_on: date
    recipient_name: str  # a person's full name or a collective's name
    achievement: str
    verification_code: str  # canonical or grouped; printed grouped
    verification_url: str  # what the QR code holds
    verify_hint_url: str  # where to type the code by hand
    recipient_unit: str = ""
    title: str = ""
    issuer_lines: tuple[str, ...] = ()
    signer_title: str = ""  # several lines allowed: "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN"
    signer_name: str = ""
    seal_image: bytes | None = field(default=None, repr=False)
    background_image: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CertificateTemplate:
    """A contest's choices for its certificates."""

    title: str = "GIẤY CHỨNG NHẬN"
    issuer_lines: tuple[str, ...] = ("BAN TỔ CHỨC CUỘC THI",)
    signer_title: str = "TRƯỞNG BAN TỔ CHỨC"
    signer_name: str = ""
    lead_in: str = "Chứng nhận"  # "Tặng" on a giấy khen
    unit_label: str = "Đơn vị: "
    show_number: bool = True
    show_unit: bool = True
    show_qr: bool = True
    show_border: bool = True
    font_family: str = "serif"  # or "sans"
    accent_colour: str = "#B01E23"  # the red of Vietnamese certificates
    text_colour: str = "#1A1A1A"


@dataclass(frozen=True)
class ResolvedText:
    """The NFC-normalised strings a page shows, after template defaults are applied."""

    title: str
    issuer_lines: tuple[str, ...]
    number: str
    place_and_date: str
    lead_in: str
    recipient_name: str
    recipient_unit: str
    achievement: str
    signer_title_lines: tuple[str, ...]
    signer_name: str
    verification_code: str
    verify_hint_url: str


def nfc(text: str) -> str:
    """NFC form with runs of whitespace collapsed: decomposed marks break PDF glyph lookup."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def vietnamese_date(day: date) -> str:
    """ "ngày 05 tháng 8 năm 2023", as Decree 30/2020/NĐ-CP (Appendix I) writes dates.

    Days below 10 and the months 1 and 2 take a leading zero; other months do not.
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_and_date(place: str, day: date) -> str:
    """ "Lạng Sơn, ngày 05 tháng 8 năm 2023"."""
    place = nfc(place)
    text = vietnamese_date(day)
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def resolve(data: CertificateData, template: CertificateTemplate) -> ResolvedText:
    code = data.verification_code
    if normalise(code) is not None:
        code = format_code(code)
    number = nfc(data.number)
    unit = nfc(data.recipient_unit) if template.show_unit else ""
    signer_title = data.signer_title or template.signer_title
    return ResolvedText(
        title=nfc(data.title or template.title),
        issuer_lines=tuple(nfc(line) for line in (data.issuer_lines or template.issuer_lines)),
        number=f"Số: {number}" if number and template.show_number else "",
        place_and_date=place_and_date(data.place, data.issued_on),
        lead_in=nfc(template.lead_in),
        recipient_name=nfc(data.recipient_name),
        recipient_unit=f"{nfc(template.unit_label)} {unit}".strip() if unit else "",
        achievement=nfc(data.achievement),
        signer_title_lines=tuple(
            nfc(line)
            for line in unicodedata.normalize("NFC", signer_title).splitlines()
            if line.strip()
        ),
        signer_name=nfc(data.signer_name or template.signer_name),
        verification_code=nfc(code),
        verify_hint_url=nfc(data.verify_hint_url),
    )


def fit_font_size(text: str, font: str, width: float, largest: float, smallest: float) -> float:
    """The largest size, at most `largest`, at which `text` fits in `width` on one line.

    Never below `smallest`: a name too long even then is shrunk no further and the caller
    decides (a long collective's name wraps instead).
    """
    natural = stringWidth(text, font, largest)
    if natural <= width:
        return largest
    return max(smallest, largest * width / natural)


def wrap_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a single word wider than `width` keeps a line of its own."""
    words = text.split()
    return _wrap(
        words,
        [stringWidth(word, font, size) for word in words],
        stringWidth(" ", font, size),
        width,
    )


def _wrap(words: list[str], widths: list[float], space: float, width: float) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    current_width = 0.0
    for word, word_width in zip(words, widths):
        if current and current_width + space + word_width > width:
            lines.append(" ".join(current))
            current, current_width = [word], word_width
        elif current:
            current.append(word)
            current_width += space + word_width
        else:
            current, current_width = [word], word_width
    if current:
        lines.append(" ".join(current))
    return lines


def balance_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Wrap into as few lines as greedy wrapping needs, but with lines of even length.

    Centred text with a long first line and a stub of two words under it looks broken;
    the narrowest width that keeps the same line count spreads the words evenly.
    """
    words = text.split()
    widths = [stringWidth(word, font, size) for word in words]
    space = stringWidth(" ", font, size)
    lines = _wrap(words, widths, space, width)
    if len(lines) <= 1:
        return lines
    low, high = max(widths), width
    while high - low > 0.5:
        middle = (low + high) / 2
        if len(_wrap(words, widths, space, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return _wrap(words, widths, space, high)


def fit_paragraph(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int
) -> tuple[float, list[str]]:
    """Largest size (in half points) at which `text` wraps into at most `max_lines` lines.

    At `smallest` the text is returned however many lines it takes.
    """
    size = largest
    while size > smallest:
        lines = balance_lines(text, font, size, width)
        if len(lines) <= max_lines and all(
            stringWidth(line, font, size) <= width for line in lines
        ):
            return size, lines
        size -= 0.5
    return smallest, balance_lines(text, font, smallest, width)
