"""Draft contests, publishing, and copying a contest for a rehearsal or next year."""

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_round_bank
from sqlalchemy import func, select

from contest.domain.errors import ContestError
from contest.models import (
    Attempt,
    AuditEntry,
    Participant,
    PrizePlanRecord,
    RoundBank,
    Unit,
)
from contest.services import contests, plans
from contest.services.context import SYSTEM

PLAN = {"tiers": [{"code": "first", "label_vi": "Giải Nhất", "label_en": "First", "quota": 2}]}


def count(db, model, **where):
    q = select(func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    return db.execute(q).scalar_one()


def test_a_new_contest_is_a_draft_until_published_once(db):
    spec = contests.ContestSpec(slug="moi-tao", title_vi="Cuộc thi mới", title_en="New contest")
    contest = contests.create_contest(db, SYSTEM, spec)
    assert contest.is_draft and contest.published_at is None
    assert contest not in contests.list_contests(db, public=True)
    assert not contests.is_visible(contest, staff=False)
    assert contests.is_visible(contest, staff=True)
    assert contests.is_visible(contest, staff=False, participant_contest_id=contest.id)
    contests.publish(db, SYSTEM, contest)
    assert not contest.is_draft and contest.published_at is not None
    assert contests.is_visible(contest, staff=False)
    with pytest.raises(ContestError):
        contests.publish(db, SYSTEM, contest)
    assert count(db, AuditEntry, action="contest.publish") >= 1


def test_a_copy_takes_the_set_up_and_none_of_the_people(db):
    source = make_contest(db, "nam-2023")
    make_round_bank(db, source.rounds[0], 4, code="bank-2023")
    plans.save_prize_plan(db, SYSTEM, source, PLAN)
    plans.save_screening(db, SYSTEM, source, {"min_seconds_per_question": "2"})
    plans.import_excluded(
        db, SYSTEM, source, "CCCD,Họ và tên\n020085000901,Hoàng Thị Ban\n".encode(), "ds.csv"
    )
    source.cheating_voids_all = True
    person = make_entrant(db, source, "Nguyễn Văn An")
    make_final_attempt(db, source.rounds[0], person, make_bank(db, "b2", 3), 3)

    copy, report = contests.copy_contest(
        db, SYSTEM, source, "nam-2024", shift_days=366, title_vi="Cuộc thi năm 2024"
    )
    assert copy.is_draft and copy.title_vi == "Cuộc thi năm 2024"
    assert copy.title_en == source.title_en and copy.cheating_voids_all
    assert copy.min_seconds_per_question == 2
    assert copy.age_cutoff == source.age_cutoff + timedelta(days=366)
    [r] = copy.rounds
    assert r.opens_at - source.rounds[0].opens_at == timedelta(days=366)
    assert r.closes_at - source.rounds[0].closes_at == timedelta(days=366)
    assert count(db, RoundBank, round_id=r.id) == 1
    assert count(db, PrizePlanRecord, contest_id=copy.id) == 1
    assert plans.excluded_citizen_ids(db, copy.id) == {"020085000901"}
    units = {
        u.code: u for u in db.execute(select(Unit).where(Unit.contest_id == copy.id)).scalars()
    }
    assert len(units) == 4 == report.units
    assert units["LS-TP-CL"].parent_id == units["LS-TP"].id  # the tree, in the copy's own ids
    assert units["LS-TP"].headcount == 820
    assert count(db, Participant, contest_id=copy.id) == 0
    assert (
        db.execute(
            select(func.count()).select_from(Attempt).where(Attempt.round_id == r.id)
        ).scalar_one()
        == 0
    )
    assert report.as_dict()["plans"] == 1 and report.excluded == 1


@pytest.mark.parametrize(
    ("slug", "days", "field"),
    [("nam-2023", 0, "slug"), ("Có Dấu", 0, "slug"), ("ok-slug", 5000, "shift_days")],
)
def test_a_copy_refused_writes_nothing(db, slug, days, field):
    source = make_contest(db, "nam-2023")
    before = count(db, Unit)
    with pytest.raises(ContestError) as refused:
        contests.copy_contest(db, SYSTEM, source, slug, shift_days=days)
    assert refused.value.field == field and refused.value.message_vi and refused.value.message_en
    assert count(db, Unit) == before
