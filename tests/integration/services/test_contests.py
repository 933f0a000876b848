"""One create_contest for the organisers' form, the demo, the factories and the benchmarks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from contest import clock
from contest.domain.errors import InvalidInput
from contest.models import AuditEntry, Contest
from contest.services import contests, rounds
from contest.services.context import SYSTEM


def _spec(**changes) -> contests.ContestSpec:
    now = clock.now()
    values = dict(
        slug="cuoc-thi-mot",
        title_vi="Cuộc thi một",
        title_en="Contest one",
        rounds=(contests.RoundSpec(1, "Tuần 1", "Week 1", now, now + timedelta(days=7)),),
    )
    return contests.ContestSpec(**{**values, **changes})


def test_every_problem_of_a_specification_is_reported_at_once_and_nothing_is_written(db):
    now = clock.now()
    spec = _spec(
        slug="Có Dấu",
        title_en="",
        rounds=(contests.RoundSpec(1, "Tuần 1", "Week 1", now, now - timedelta(hours=1)),),
    )
    with pytest.raises(InvalidInput) as refused:
        contests.create_contest(db, SYSTEM, spec)
    assert sorted(refused.value.by_field()) == ["closes_at", "slug", "title_en"]
    assert db.execute(select(Contest).where(Contest.slug == "Có Dấu")).first() is None


def test_a_taken_slug_is_refused_the_same_way_from_code_and_from_the_form(db):
    contests.create_contest(db, SYSTEM, _spec())
    with pytest.raises(InvalidInput) as from_code:
        contests.create_contest(db, SYSTEM, _spec(title_vi="Khác"))
    form = rounds.ContestInput(slug="cuoc-thi-mot", title_vi="Khác", title_en="Other")
    with pytest.raises(InvalidInput) as from_form:
        rounds.contest_spec(db, form)
    assert from_code.value.message_en == from_form.value.message_en
    assert "exists" in from_code.value.message_en


def test_the_form_becomes_the_specification_the_factories_use(db):
    form = rounds.ContestInput(
        slug=" Thi-Hai ",
        title_vi="Cuộc thi hai",
        title_en="Contest two",
        min_age="12",
        age_cutoff="03/07/2023",
        registration_open=False,
    )
    contest = contests.create_contest(db, SYSTEM, rounds.contest_spec(db, form))
    assert (contest.slug, contest.min_age, contest.registration_open) == ("thi-hai", 12, False)
    assert contest.age_cutoff.isoformat() == "2023-07-03" and contest.rounds == []
    audited = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "contest.create")).scalars().all()
    )
    assert any(json.loads(a.details).get("slug") == "thi-hai" for a in audited)
