"""Small picture files for the tests, made on the fly (no binary fixtures to keep)."""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw


def sign(color: str = "red", size: tuple[int, int] = (640, 400), fmt: str = "PNG", **save) -> bytes:
    """A road-sign-like drawing: a coloured disc with a bar, on white."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse([w // 4, h // 8, w * 3 // 4, h * 7 // 8], fill=color)
    draw.rectangle([w // 3, h // 2 - h // 16, w * 2 // 3, h // 2 + h // 16], fill="white")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def photo_with_exif(size: tuple[int, int] = (800, 600), orientation: int = 6) -> bytes:
    """A JPEG whose EXIF says 'turn me' and carries a GPS position and a camera name."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle([0, 0, size[0] // 2, size[1]], fill="navy")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0110] = "Camera of a secret owner"
    exif[0x8825] = {1: "N", 2: (21.0, 51.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def moodle_xml(questions: list[dict]) -> bytes:
    """A Moodle XML quiz. Each question: stem, options [(text, fraction, picture bytes|None, alt)],
    picture (bytes|None), alt; pictures are @@PLUGINFILE@@ files as Moodle writes them."""
    import base64
    from xml.sax.saxutils import escape

    def text_with(html: str, picture: bytes | None, alt: str, name: str) -> str:
        if picture is None:
            return f"<text><![CDATA[{html}]]></text>"
        img = (
            f'<img src="@@PLUGINFILE@@/{name.replace(" ", "%20")}" alt="{escape(alt)}" width="300">'
        )
        data = base64.b64encode(picture).decode()
        return (
            f"<text><![CDATA[{html}{img}]]></text>"
            f'<file name="{name}" path="/" encoding="base64">{data}</file>'
        )

    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>']
    for n, q in enumerate(questions, start=1):
        parts.append(f'<question type="multichoice"><name><text>Q{n}</text></name>')
        parts.append(
            '<questiontext format="html">'
            + text_with(
                f"<p>{escape(q['stem'])}</p>",
                q.get("picture"),
                q.get("alt", ""),
                f"hinh cau {n}.png",
            )
            + "</questiontext>"
        )
        parts.append("<single>true</single>")
        for k, (text, fraction, picture, alt) in enumerate(q["options"]):
            parts.append(
                f'<answer fraction="{fraction}" format="html">'
                + text_with(escape(text), picture, alt, f"pa {n}-{k}.png")
                + "</answer>"
            )
        parts.append("</question>")
    parts.append("</quiz>")
    return "\n".join(parts).encode()


def xlsx_with_pictures(rows: list[list[object]], pictures: list[tuple[str, bytes, str]]) -> bytes:
    """A workbook of ``rows`` with pictures anchored at cells ("B3"), each with its alt text
    (Excel's "Alt Text" is the drawing's descr; openpyxl writes "Picture", replaced here)."""
    import zipfile

    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cell, data, _ in pictures:
        image = SheetImage(io.BytesIO(data))
        image.anchor = cell
        sheet.add_image(image)
    raw = io.BytesIO()
    book.save(raw)
    source = zipfile.ZipFile(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/drawings/drawing1.xml":
                alts = [f'descr="{alt}"'.encode() for _, _, alt in pictures]
                pieces = re.split(rb'descr="Picture"', data)
                data = pieces[0] + b"".join(a + p for a, p in zip(alts, pieces[1:], strict=True))
            target.writestr(info, data)
    return out.getvalue()


def docx_with_pictures(lines: list[object]) -> bytes:
    """A Word file: each item is a paragraph's text, or ("text", [(picture, alt)]) for a
    paragraph with inline pictures after its text (alt goes in Word's "Alt Text", docPr descr)."""
    import docx
    from docx.shared import Inches

    document = docx.Document()
    for line in lines:
        text, pictures = (line, []) if isinstance(line, str) else line
        paragraph = document.add_paragraph(text)
        for data, alt in pictures:
            shape = paragraph.add_run().add_picture(io.BytesIO(data), width=Inches(1.5))
            shape._inline.docPr.set("descr", alt)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sample_bank(fmt: str) -> tuple[str, bytes]:
    """(file name, bytes) of a two-question bank in ``fmt`` with a road sign over the first
    stem (the same picture in every format) and pictures as the options of the second."""
    import base64

    stem_sign = sign(size=(1200, 800))
    red, blue = sign("red", (300, 200)), sign("blue", (300, 200))
    if fmt == "xlsx":
        return "bien.xlsx", xlsx_with_pictures(
            [
                ["Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng"],
                ["Biển báo này có ý nghĩa gì?", "Cấm đi ngược chiều", "Cấm dừng xe", "A"],
                ["Biển nào là biển cấm?", None, None, "A"],
            ],
            [("A2", stem_sign, "Biển tròn đỏ"), ("B3", red, "Biển đỏ"), ("C3", blue, "Biển xanh")],
        )
    if fmt == "docx":
        return "bien.docx", docx_with_pictures(
            [
                ("Câu 1: Biển báo này có ý nghĩa gì?", [(stem_sign, "Biển tròn đỏ")]),
                "A. Cấm đi ngược chiều",
                "B. Cấm dừng xe",
                "Đáp án: A",
                "Câu 2: Biển nào là biển cấm?",
                ("A. ", [(red, "Biển đỏ")]),
                ("B. ", [(blue, "Biển xanh")]),
                "Đáp án: A",
            ]
        )
    if fmt == "xml":
        return "bien.xml", moodle_xml(
            [
                {
                    "stem": "Biển báo này có ý nghĩa gì?",
                    "picture": stem_sign,
                    "alt": "Biển tròn đỏ",
                    "options": [
                        ("Cấm đi ngược chiều", 100, None, ""),
                        ("Cấm dừng xe", 0, None, ""),
                    ],
                },
                {
                    "stem": "Biển nào là biển cấm?",
                    "options": [("", 100, red, "Biển đỏ"), ("", 0, blue, "Biển xanh")],
                },
            ]
        )

    def img(data: bytes, alt: str) -> str:
        return f'<img src\\="data:image/png;base64,{base64.b64encode(data).decode().replace("=", chr(92) + "=")}" alt\\="{alt}">'

    gift = (
        f"::Q1:: [html]<p>Biển báo này có ý nghĩa gì?</p>{img(stem_sign, 'Biển tròn đỏ')} "
        "{=Cấm đi ngược chiều ~Cấm dừng xe}\n\n"
        f"::Q2:: [html]<p>Biển nào là biển cấm?</p> {{={img(red, 'Biển đỏ')} ~{img(blue, 'Biển xanh')}}}\n"
    )
    return "bien.gift", gift.encode()
