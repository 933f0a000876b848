"""Export a question bank to our Excel form: one row a question, Vietnamese headers, frozen header row."""

from __future__ import annotations

import io
import itertools
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.drawing.fill import Blip
from openpyxl.drawing.geometry import PresetGeometry2D
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.drawing.picture import PictureFrame
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import pixels_to_EMU

from contest.drafts import (
    DIFFICULTY_VI,
    Location,
    OptionDraft,
    PictureDraft,
    QuestionDraft,
    letter,
)

_MIN_OPTIONS = 4
_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return (_TITLE_BAD.sub(" ", title).strip() or "Câu hỏi")[:31]


def export_xlsx(questions: Iterable[QuestionDraft], title: str = "Ngân hàng câu hỏi") -> bytes:
    """The bank as .xlsx bytes, in the form ``contest.importers.xlsx`` reads back unchanged.

    Columns: STT, Câu hỏi, Phương án A…, Đáp án đúng (letters, "A, C" for several),
    Chủ đề, Mức độ (Dễ/Trung bình/Khó), Giải thích, Nguồn, and Định dạng when some
    question holds HTML. Every text cell is a string cell, so a text starting with
    "=" is never taken for a formula.
    """
    questions = list(questions)
    width = max([_MIN_OPTIONS, *(len(q.options) for q in questions)])
    with_format = any(q.text_format == "html" for q in questions)
    headers = [
        "STT",
        "Câu hỏi",
        *(f"Phương án {letter(i)}" for i in range(width)),
        "Đáp án đúng",
        "Chủ đề",
        "Mức độ",
        "Giải thích",
        "Nguồn",
    ]
    if with_format:
        headers.append("Định dạng")

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    widths = [6, 60, *([28] * width), 12, 20, 12, 40, 24] + ([10] if with_format else [])
    for col, value in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = value

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cell.fill = fill
        header_cells.append(cell)
    sheet.append(header_cells)

    def text_cell(value: str | None, *, wrapped: bool = False) -> WriteOnlyCell | None:
        if not value:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        if wrapped:
            cell.alignment = wrap
        return cell

    pictures: list[tuple[PictureDraft, int, int, int]] = []  # picture, 0-based col, row, place
    for position, q in enumerate(questions, start=1):
        row_number = position + 1
        for k, p in enumerate(q.pictures):
            pictures.append((p, 1, row_number, k))
        for i, option in enumerate(q.options):
            for k, p in enumerate(option.pictures):
                pictures.append((p, 2 + i, row_number, k))
        if q.all_pictures:
            tallest = max(p.picture.height * _scale(p) for p in q.all_pictures)
            sheet.row_dimensions[row_number].height = round(tallest * 0.75) + 6  # px -> points
        number = q.number or str(position)
        row: list[object] = [
            int(number) if number.isdigit() and len(number) < 10 else text_cell(number)
        ]
        row.append(text_cell(_placeholders(q.stem, q.pictures), wrapped=True))
        row.extend(
            text_cell(_placeholders(q.options[i].text, q.options[i].pictures))
            if i < len(q.options)
            else None
            for i in range(width)
        )
        row.append(q.correct_letters)
        row.append(text_cell(q.topic))
        row.append(DIFFICULTY_VI.get(q.difficulty or "", None))
        row.append(text_cell(q.explanation, wrapped=True))
        row.append(text_cell(q.source))
        if with_format:
            row.append(q.text_format)
        sheet.append(row)

    for n, (p, col, row_number, k) in enumerate(pictures, start=1):
        if p.picture.jpeg:
            sheet.add_image(_sheet_picture(p, col, row_number, k, n))

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_PICTURE_PX = 160  # shown this wide in a cell; the file keeps the whole picture


def _scale(p: PictureDraft) -> float:
    return min(1.0, _PICTURE_PX / max(1, p.picture.width))


def _placeholders(text: str, pictures: Sequence[PictureDraft]) -> str:
    """``text``, and where a picture's bytes are not at hand, its place in it: "[Hình: alt]"."""
    missing = "".join(f" [Hình: {p.alt or '?'}]" for p in pictures if not p.picture.jpeg)
    return (text + missing).strip()


def _sheet_picture(p: PictureDraft, col: int, row_number: int, k: int, n: int) -> SheetImage:
    """The picture's JPEG anchored over its cell, with its alt text as Excel's Alt Text (the
    importer reads both back)."""
    image = SheetImage(io.BytesIO(p.picture.jpeg))
    scale = _scale(p)
    width, height = round(p.picture.width * scale), round(p.picture.height * scale)
    frame = PictureFrame()
    frame.nvPicPr.cNvPr.id = n
    frame.nvPicPr.cNvPr.name = f"Hình {n}"
    frame.nvPicPr.cNvPr.descr = p.alt
    frame.blipFill.blip = Blip()
    frame.blipFill.blip.cstate = "print"
    frame.spPr.prstGeom = PresetGeometry2D(prst="rect")
    frame.spPr.ln = None
    start = AnchorMarker(col=col, colOff=pixels_to_EMU(k * (width + 4)), row=row_number - 1)
    image.anchor = OneCellAnchor(
        _from=start, ext=XDRPositiveSize2D(pixels_to_EMU(width), pixels_to_EMU(height)), pic=frame
    )
    return image


_COMMON = (
    "của là và được trong cho các có không một những người theo với này đến năm số chuyển đổi "
    "dữ liệu dịch vụ công trực tuyến định danh điện tử quốc gia VNeID Bộ Công an tỉnh Lạng Sơn"
).split()
_INITIALS = "b c ch d đ g gh h k kh l m n ng nh p ph qu r s t th tr v x".split()
_RHYMES = "a ai an ang anh ao ay âm ân âu ây e em en eo ê êm ên ênh i im in inh iu o oa oai oan oang oi om on ong ô ôi ôm ôn ông ơ ơi ơm ơn u ui um un ung uy uyên ư ưa ưng ươi ương ươn".split()
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _syllables(rng: random.Random) -> list[str]:
    """Vietnamese-looking syllables with every tone mark, so stems vary as real ones do."""
    out = []
    for initial in _INITIALS:
        for rhyme in _RHYMES:
            tone = rng.choice(_TONES)
            marked = next((i for i, ch in enumerate(rhyme) if ch in "âêôơưă"), 0)
            out.append(
                unicodedata.normalize(
                    "NFC", initial + rhyme[: marked + 1] + tone + rhyme[marked + 1 :]
                )
            )
    rng.shuffle(out)
    return out


def sample_bank(count: int = 10_000, seed: int = 2023) -> list[QuestionDraft]:
    """A synthetic bank of Vietnamese-looking questions, for benchmarks and load tests.

    Words follow a Zipf-like spread (a few very common, many rare) as in real stems.
    """
    rng = random.Random(seed)
    vocabulary = _COMMON + _syllables(rng)
    cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    topics = ["Chuyển đổi số", "Chính quyền số", "Kinh tế số", "Xã hội số"]

    def words(low: int, high: int) -> str:
        return " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(low, high)))

    bank = []
    for n in range(1, count + 1):
        stem = words(12, 30).capitalize() + "?"
        size = rng.choice((2, 4, 4, 4, 5, 6))
        right = set(rng.sample(range(size), rng.choice((1, 1, 1, 2))))
        options = tuple(OptionDraft(f"{words(2, 8)} {n}.{i}", i in right) for i in range(size))
        bank.append(
            QuestionDraft(
                stem=stem,
                options=options,
                location=Location("sample"),
                topic=rng.choice(topics),
                difficulty=rng.choice(("easy", "medium", "hard")),
                explanation="Theo Nghị quyết số 06/NQ-CP." if n % 3 == 0 else None,
                source="Quyết định số 749/QĐ-TTg ngày 03/6/2020" if n % 4 == 0 else None,
                number=str(n),
            )
        )
    return bank


def write_sample_workbook(count: int = 10_000, seed: int = 2023) -> bytes:
    """An .xlsx of ``count`` synthetic questions, as the 10,000-question import benchmark reads."""
    return export_xlsx(sample_bank(count, seed), title="Ngân hàng câu hỏi")
