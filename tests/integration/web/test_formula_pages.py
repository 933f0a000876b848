"""A bank with formulas from import to the attempt page (MathML, no script) and back out to a spreadsheet."""

import io
import re

import openpyxl
import pytest
from conftest import csrf_from
from factories import make_contest, make_participant

from contest.domain.errors import InvalidInput
from contest.models import RoundBank
from contest.services import banks
from contest.services.context import SYSTEM

GIFT = r"""// Chủ đề: Toán
::T1::Nghiệm dương của phương trình $x^2 - 4 \= 0$ là số nào?{
=$x \= 2$
~$$\\frac\{1\}\{2\}$$
~Giá 5$
}

::T2::Diện tích hình tròn bán kính \(r\) là?{
=$\\pi r^2$
~$2\\pi r$
}
"""


def test_formulas_imported_drawn_and_shown_as_mathml_on_the_attempt_page(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 2
    db.commit()
    report = banks.import_questions(db, SYSTEM, "cong-thuc", [("toan.gift", GIFT.encode())])
    assert report.ok and report.imported == 2, [e.message_en for e in report.errors]
    bank = banks.get_bank(db, "cong-thuc")
    db.add(RoundBank(round_id=rnd.id, bank_id=bank.id))
    db.commit()
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
    )
    lobby = client.get(f"/c/{contest.slug}/rounds")
    start = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    )
    html = start.text
    assert start.status_code == 200
    assert len(re.findall(r'<fieldset class="question"', html)) == 2
    assert "Nghiệm dương của phương trình <math" in html
    assert "</math> là số nào?" in html
    assert "<mi>π</mi>" in html and 'display="block"' in html
    assert "Giá 5$" in html  # money stays text
    assert "$x" not in html and "\\frac" not in html and "\\(" not in html

    exported = banks.export_bank(db, "cong-thuc", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(exported)).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert "Nghiệm dương của phương trình $x^2 - 4 = 0$ là số nào?" in cells
    assert "$$\\frac{1}{2}$$" in cells


def test_a_bank_edit_with_an_unknown_command_is_refused(db):
    report = banks.import_questions(db, SYSTEM, "sua", [("toan.gift", GIFT.encode())])
    assert report.ok
    question, _ = banks.bank_page(db, "sua").rows[0]
    with pytest.raises(InvalidInput) as refused:
        banks.edit_question(
            db, SYSTEM, question.id, stem="Sai $\\khongco$", options=[("a", True), ("b", False)]
        )
    [error] = refused.value.errors
    assert error.field == "stem" and "\\khongco" in error.message_en
