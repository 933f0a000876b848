"""The decision annex written out: an .xlsx to edit and a printable A4 PDF to sign."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from contest.certificates.fonts import FAMILIES, register_fonts
from contest.domain.annex import MOTTO, Annex

DRAFT_MARK = "DỰ THẢO — chưa được phê duyệt"

# --- xlsx ----------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = (6, 28, 12, 30, 12, 14, 8, 36)


def annex_xlsx(annex: Annex) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    width = len(_WIDTHS)
    row = 1

    def put(text: str, *, bold: bool = False, italic: bool = False, center: bool = True) -> None:
        nonlocal row
        cell = ws.cell(row=row, column=1, value=text)
        cell.data_type = "s"
        cell.font = Font(bold=bold, italic=italic)
        cell.alignment = Alignment(horizontal="center" if center else "left", wrap_text=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1

    # Issuer on the left, the national motto on the right, as on the decision itself.
    for left, right, bold in ((annex.issuer.upper(), MOTTO[0], True), ("", MOTTO[1], True)):
        ws.cell(row=row, column=1, value=left).font = Font(bold=bold)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.cell(row=row, column=4, value=right).font = Font(bold=bold)
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=width)
        for col in (1, 4):
            ws.cell(row=row, column=col).alignment = Alignment(horizontal="center")
        row += 1
    put(annex.place_date_line, italic=True)
    row += 1
    if annex.draft:
        put(DRAFT_MARK, bold=True)
    for i, line in enumerate(annex.title_lines):
        put(line, bold=i < len(annex.title_lines) - 1, italic=i == len(annex.title_lines) - 1)
    row += 1
    for part, sections in annex.parts:
        put(part, bold=True, center=False)
        for section in sections:
            put(section.heading, bold=True, center=False)
            if section.note:
                put(section.note, italic=True, center=False)
            for table in section.tables:
                put(table.heading, bold=True, center=False)
                for col, header in enumerate(table.headers, start=1):
                    cell = ws.cell(row=row, column=col, value=header)
                    cell.font = Font(bold=True)
                    cell.border = _BOX
                    cell.alignment = Alignment(horizontal="center", wrap_text=True)
                row += 1
                for values in table.rows:
                    for col, value in enumerate(values, start=1):
                        cell = ws.cell(row=row, column=col, value=value)
                        # Names come from participants: never let a cell become a formula.
                        cell.data_type = "s"
                        cell.border = _BOX
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                    row += 1
                row += 1
    for col, w in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- pdf -----------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    f = FAMILIES["serif"]
    base = ParagraphStyle("base", fontName=f.regular, fontSize=10.5, leading=13.5)
    return {
        "base": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle(
            "center_bold", parent=base, fontName=f.bold, alignment=TA_CENTER
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=f.bold, fontSize=13, leading=17, alignment=TA_CENTER
        ),
        "italic_center": ParagraphStyle(
            "italic_center", parent=base, fontName=f.italic, alignment=TA_CENTER
        ),
        "part": ParagraphStyle(
            "part", parent=base, fontName=f.bold, fontSize=12, spaceBefore=10, spaceAfter=4
        ),
        "section": ParagraphStyle(
            "section", parent=base, fontName=f.bold, spaceBefore=6, spaceAfter=2
        ),
        "note": ParagraphStyle("note", parent=base, fontName=f.italic, fontSize=9.5),
        "tier": ParagraphStyle(
            "tier", parent=base, fontName=f.bold, fontSize=10.5, spaceBefore=4, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11, alignment=TA_LEFT),
        "head": ParagraphStyle(
            "head", parent=base, fontName=f.bold, fontSize=9, leading=11, alignment=TA_CENTER
        ),
        "draft": ParagraphStyle(
            "draft", parent=base, fontName=f.bold, textColor=colors.red, alignment=TA_CENTER
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


# Column widths (cm) of each table shape; the page is 21 cm wide less 3 + 1.5 cm margins.
_INDIVIDUAL_CM = (1.1, 3.6, 2.1, 3.2, 1.4, 1.6, 1.4, 2.1)
_COLLECTIVE_CM = (1.1, 5.0, 2.2, 1.8, 2.1, 1.4, 2.9)


def annex_pdf(annex: Annex) -> bytes:
    register_fonts()
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=3 * cm,
        rightMargin=1.5 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title="Phụ lục danh sách đạt giải",
        author=annex.issuer,
    )
    story: list = []
    header = Table(
        [
            [_p(annex.issuer.upper(), st["center_bold"]), _p(MOTTO[0], st["center_bold"])],
            # The motto's second line is underlined in administrative documents.
            [_p("", st["center"]), Paragraph(f"<u>{escape(MOTTO[1])}</u>", st["center_bold"])],
            [_p("", st["center"]), _p(annex.place_date_line, st["italic_center"])],
        ],
        colWidths=(6.5 * cm, 10 * cm),
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    header.hAlign = "CENTER"
    story += [header, Spacer(1, 14)]
    if annex.draft:
        story += [_p(DRAFT_MARK, st["draft"]), Spacer(1, 6)]
    lines = annex.title_lines
    for i, line in enumerate(lines):
        story.append(_p(line, st["italic_center"] if i == len(lines) - 1 else st["title"]))
    story.append(Spacer(1, 10))
    for part, sections in annex.parts:
        story.append(_p(part, st["part"]))
        for section in sections:
            story.append(_p(section.heading, st["section"]))
            if section.note:
                story.append(_p(section.note, st["note"]))
            for table in section.tables:
                widths = _INDIVIDUAL_CM if len(table.headers) == 8 else _COLLECTIVE_CM
                data = [[_p(h, st["head"]) for h in table.headers]]
                data += [[_p(v, st["cell"]) for v in values] for values in table.rows]
                grid = Table(data, colWidths=[w * cm for w in widths], repeatRows=1)
                grid.setStyle(
                    TableStyle(
                        [
                            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                        ]
                    )
                )
                story.append(KeepTogether([_p(table.heading, st["tier"]), grid]))
    if not annex.parts:
        story.append(_p("Chưa có danh sách giải được phê duyệt.", st["center"]))
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FAMILIES["serif"].regular, 9)
    canvas.drawCentredString(A4[0] / 2 + 0.75 * cm, 1.2 * cm, f"Trang {doc.page}")
    canvas.restoreState()
