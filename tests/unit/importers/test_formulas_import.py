"""A bank with formulas, written in every format: the LaTeX arrives as typed, a bad formula is an error with its place."""

import csv
import io
from xml.sax.saxutils import escape

import docx
import openpyxl
import pytest

from contest.importers import parse_file

STEM = "Nghiệm dương của phương trình $x^2 - 4 = 0$ là số nào?"
OPTIONS = ["$x = 2$", "$$\\frac{1}{2}$$", "\\(\\sqrt{2}\\)", "Giá 5$"]
BAD_STEM = "Câu lỗi: $\\khongco{x}$ là gì?"


def _gift_escape(text: str) -> str:
    for ch in "\\~=#{}:":
        text = text.replace(ch, "\\" + ch)
    return text


def bank_file(fmt: str, stems: list[str]) -> tuple[str, bytes]:
    """A file of ``fmt`` holding one question per stem, options OPTIONS, A right."""
    if fmt in ("xlsx", "csv"):
        header = ["STT", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Phương án D"]
        rows = [[*header, "Đáp án đúng"]]
        rows += [[n, stem, *OPTIONS, "A"] for n, stem in enumerate(stems, start=1)]
        if fmt == "csv":
            out = io.StringIO()
            csv.writer(out).writerows(rows)
            return "bank.csv", out.getvalue().encode("utf-8")
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        data = io.BytesIO()
        wb.save(data)
        return "bank.xlsx", data.getvalue()
    if fmt == "docx":
        document = docx.Document()
        for n, stem in enumerate(stems, start=1):
            document.add_paragraph(f"Câu {n}: {stem}")
            for letter, option in zip("ABCD", OPTIONS, strict=True):
                document.add_paragraph(f"{'*' if letter == 'A' else ''}{letter}. {option}")
        data = io.BytesIO()
        document.save(data)
        return "bank.docx", data.getvalue()
    if fmt == "gift":
        blocks = []
        for stem in stems:
            options = [f"{'=' if i == 0 else '~'}{_gift_escape(o)}" for i, o in enumerate(OPTIONS)]
            blocks.append(_gift_escape(stem) + "{\n" + "\n".join(options) + "\n}")
        return "bank.gift", "\n\n".join(blocks).encode("utf-8")
    if fmt == "aiken":
        blocks = []
        for stem in stems:
            lines = [stem, *(f"{ltr}) {o}" for ltr, o in zip("ABCD", OPTIONS, strict=True))]
            blocks.append("\n".join([*lines, "ANSWER: A"]))
        return "bank.aiken", "\n\n".join(blocks).encode("utf-8")
    if fmt == "xml":
        questions = []
        for stem in stems:
            answers = "".join(
                f'<answer fraction="{100 if i == 0 else 0}" format="html"><text>{escape(o)}</text></answer>'
                for i, o in enumerate(OPTIONS)
            )
            questions.append(
                f'<question type="multichoice"><name><text>Q</text></name>'
                f'<questiontext format="html"><text><![CDATA[<p>{stem}</p>]]></text></questiontext>'
                f"<single>true</single>{answers}</question>"
            )
        body = "\n".join(questions)
        return (
            "bank.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode(),
        )
    raise AssertionError(fmt)


FORMATS = ["xlsx", "csv", "docx", "gift", "aiken", "xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_formulas_arrive_as_typed_in_every_format(fmt):
    name, data = bank_file(fmt, [STEM])
    result = parse_file(data, name)
    assert result.errors == [], [e.message_en for e in result.errors]
    [question] = result.questions
    stem = question.stem.removeprefix("<p>").removesuffix("</p>")
    assert stem == STEM
    assert [o.text for o in question.options] == OPTIONS
    assert [o.correct for o in question.options] == [True, False, False, False]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_latex_command_is_an_error_with_its_row_or_line(fmt):
    name, data = bank_file(fmt, [STEM, BAD_STEM])
    result = parse_file(data, name)
    assert len(result.questions) == 1
    [error] = result.errors
    assert error.field == "stem"
    place = error.location.row if error.location.row is not None else error.location.line
    assert place is not None and place > 1
    assert "\\khongco" in error.message_en and "không được hỗ trợ" in error.message_vi
