"""Committee spreadsheets keep participants' text as text: nothing they type becomes a formula."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from contest.models import Round
from contest.services import exports, screening, works, works_exports
from contest.services.context import Actor
from tests.factories import make_contest, make_entrant, make_staff, make_works_contest, pdf_file

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_UPLOAD_DIR", str(tmp_path))
    return tmp_path


def _cells(data: bytes) -> list:
    ws = load_workbook(io.BytesIO(data)).active
    return [c for row in ws.iter_rows() for c in row if c.value == EVIL]


def test_a_work_title_and_author_name_starting_with_equals_export_as_strings(db, uploads):
    contest = make_works_contest(db, "cong-thuc")
    author = make_entrant(db, contest)
    author.full_name = EVIL  # as a secretariat import could store it
    db.commit()
    w = works.save_draft(
        db,
        Actor("participant", author.id),
        contest,
        author,
        works.WorkInput(title=EVIL, category="article"),
    )
    works.upload_file(
        db, Actor("participant", author.id), contest, author, w, "a.pdf", io.BytesIO(pdf_file("f"))
    )
    works.submit(db, Actor("participant", author.id), contest, author, w, declaration=True)
    cells = _cells(works_exports.works_ranking_xlsx(db, contest))
    assert len(cells) >= 3  # title, author/group column, members column
    assert all(c.data_type == "s" for c in cells)


def test_a_participant_named_like_a_formula_exports_as_a_string(db):
    contest = make_contest(db, "cong-thuc-tn")
    p = make_entrant(db, contest)
    p.full_name = EVIL
    db.commit()
    member = make_staff(db, "uv-cong-thuc", ["committee_member"])
    round_ = db.execute(select(Round).where(Round.contest_id == contest.id)).scalars().first()
    screening.decide(
        db, Actor("staff", member.id, member.username), round_, "participant", [p.id], False, EVIL
    )
    cells = _cells(exports.decisions_xlsx(db, contest))
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
