"""A whole contest from a file (`contest contests create`) and a round's settings by command
(`contest rounds set`): the same checks as the organisers' pages, one transaction."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from factories import make_bank
from sqlalchemy import func, select

from contest.domain.errors import InvalidInput
from contest.models import AuditEntry, Contest, Unit
from contest.services import contests, rounds
from contest.services.context import SYSTEM

DEMO = Path(__file__).resolve().parents[3] / "question_banks" / "lang-son-2023"


def _demo_doc() -> dict:
    return tomllib.loads((DEMO / "contest.toml").read_text(encoding="utf-8"))


def _banks(db) -> None:
    for n in range(1, 5):
        make_bank(db, f"ls2023-tuan-{n}", questions=12)


def test_last_years_demo_file_makes_a_draft_contest_with_its_rounds_and_units(db):
    _banks(db)
    units = (DEMO / "units.csv").read_bytes()
    setup = rounds.create_from_document(db, SYSTEM, _demo_doc(), units_file=("units.csv", units))
    assert (setup.slug, setup.rounds, setup.units_created) == ("lang-son-2023", [1, 2, 3, 4], 29)
    contest = contests.get_by_slug(db, "lang-son-2023")
    assert contest.status == "draft" and contest.min_age == 12
    week = contests.get_round(db, contest, 1)
    assert (week.questions_per_attempt, week.time_limit_seconds, week.max_attempts) == (10, 900, 3)
    assert rounds.format_local(week.opens_at) == "03/07/2023 10:00"
    assert rounds.round_bank_codes(db, week.id) == ["ls2023-tuan-1"]
    # What export writes, create reads back: the same contest under another slug.
    doc = rounds.export_document(db, contest)
    doc["contest"]["slug"] = "lang-son-2023-lai"
    again = rounds.create_from_document(db, SYSTEM, doc)
    copy = contests.get_by_slug(db, again.slug)
    assert rounds.export_document(db, copy)["rounds"] == doc["rounds"]


def test_every_problem_of_a_file_is_named_by_its_place_and_nothing_is_written(db):
    _banks(db)
    doc = _demo_doc()
    doc["rounds"][0]["closes_local"] = "2023-07-01T09:00"
    doc["rounds"][1]["bank_code"] = "khong-co"
    doc["rounds"][2]["counting"] = "worst"
    doc["colour"] = "red"
    before = db.execute(select(func.count()).select_from(AuditEntry)).all()
    with pytest.raises(InvalidInput) as refused:
        rounds.create_from_document(
            db, SYSTEM, doc, units_file=("units.csv", b"code,name\nA,\nA,B\n")
        )
    fields = sorted(e.field for e in refused.value.errors)
    assert "rounds[1].closes" in fields and "rounds[2].banks" in fields
    assert "rounds[3].counting" in fields and "contest.colour" in fields
    assert any(f.startswith("units[") for f in fields)
    assert all(e.message_vi and e.message_en for e in refused.value.errors)
    assert db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).first() is None
    assert db.execute(select(Unit)).first() is None
    assert db.execute(select(func.count()).select_from(AuditEntry)).all() == before


def test_a_dry_run_checks_everything_and_writes_nothing(db):
    _banks(db)
    setup = rounds.create_from_document(db, SYSTEM, _demo_doc(), dry_run=True)
    assert setup.dry_run and setup.rounds == [1, 2, 3, 4]
    assert contests.find_by_slug(db, "lang-son-2023") is None


def test_rounds_set_changes_only_what_it_is_given_and_creates_a_new_round(db):
    _banks(db)
    rounds.create_from_document(db, SYSTEM, _demo_doc())
    contest = contests.get_by_slug(db, "lang-son-2023")
    rnd, created = rounds.set_round(
        db, SYSTEM, contest, 2, {"questions_per_attempt": 5, "banks": ["ls2023-tuan-4"]}
    )
    assert not created and rnd.questions_per_attempt == 5 and rnd.max_attempts == 3
    assert rounds.round_bank_codes(db, rnd.id) == ["ls2023-tuan-4"]
    assert rounds.format_local(rnd.closes_at) == "17/07/2023 09:00"
    extra, created = rounds.set_round(
        db,
        SYSTEM,
        contest,
        5,
        {"opens": "31/07/2023 10:00", "closes": "07/08/2023 09:00", "prediction_required": False},
    )
    assert created and (extra.title_vi, extra.title_en) == ("Đợt 5", "Round 5")
    with pytest.raises(InvalidInput) as refused:
        rounds.set_round(db, SYSTEM, contest, 2, {"time_limit_minutes": 0, "opening": "x"})
    assert sorted(e.field for e in refused.value.errors) == ["round.opening"]
    with pytest.raises(InvalidInput) as refused:
        rounds.set_round(db, SYSTEM, contest, 2, {"time_limit_minutes": 0})
    assert [e.field for e in refused.value.errors] == ["time_limit_minutes"]
