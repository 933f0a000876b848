"""Export a question bank to our Excel form: one row a question, Vietnamese headers, frozen header row."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from contest.importers.base import Location, OptionDraft, QuestionDraft, letter
from contest.importers.text import DIFFICULTY_VI

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
    headers = ["STT", "Câu hỏi", *(f"Phương án {letter(i)}" for i in range(width)),
               "Đáp án đúng", "Chủ đề", "Mức độ", "Giải thích", "Nguồn"]
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

    for position, q in enumerate(questions, start=1):
        number = q.number or str(position)
        row: list[object] = [int(number) if number.isdigit() and len(number) < 10 else text_cell(number)]
        row.append(text_cell(q.stem, wrapped=True))
        row.extend(text_cell(q.options[i].text) if i < len(q.options) else None for i in range(width))
        row.append(q.correct_letters)
        row.append(text_cell(q.topic))
        row.append(DIFFICULTY_VI.get(q.difficulty or "", None))
        row.append(text_cell(q.explanation, wrapped=True))
        row.append(text_cell(q.source))
        if with_format:
            row.append(q.text_format)
        sheet.append(row)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_WORDS = (
    "chuyển đổi số định danh điện tử quốc gia VNeID Bộ Công an xây dựng ứng dụng dịch vụ công trực tuyến "
    "thanh toán không dùng tiền mặt chính quyền số kinh tế số xã hội số Lạng Sơn Sơn La tỉnh huyện xã "
    "người dân doanh nghiệp hạ tầng dữ liệu an toàn thông tin mạng năm 2023 nghị quyết chương trình"
).split()


def sample_bank(count: int = 10_000, seed: int = 2023) -> list[QuestionDraft]:
    """A synthetic bank of Vietnamese questions, for benchmarks and load tests."""
    rng = random.Random(seed)
    topics = ["Chuyển đổi số", "Chính quyền số", "Kinh tế số", "Xã hội số"]
    bank = []
    for n in range(1, count + 1):
        stem = f"Câu {n}: " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 30))) + "?"
        size = rng.choice((2, 4, 4, 4, 5, 6))
        right = set(rng.sample(range(size), rng.choice((1, 1, 1, 2))))
        options = tuple(
            OptionDraft(f"{letter(i)}{n} " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 8))), i in right)
            for i in range(size)
        )
        bank.append(
            QuestionDraft(
                stem=stem,
                options=options,
                location=Location("sample"),
                topic=rng.choice(topics),
                difficulty=rng.choice(("easy", "medium", "hard")),
                explanation="Theo Nghị quyết số 06/NQ-CP." if n % 3 == 0 else None,
                number=str(n),
            )
        )
    return bank


def write_sample_workbook(count: int = 10_000, seed: int = 2023) -> bytes:
    """An .xlsx of ``count`` synthetic questions, as the 10,000-question import benchmark reads."""
    return export_xlsx(sample_bank(count, seed), title="Ngân hàng câu hỏi")
