"""The committee's tie decisions are stored, audited, shown on every line they place and kept by
every later allocation; a tie whose set of people changed is asked again, saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError
from contest.models import AuditEntry, TieDecisionRecord
from contest.services import annex, prize_lists, prize_plans, prizes, results, screening
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "label_en": "First prize", "rank_order": 1, "quota": 1},
        {"code": "second", "label_vi": "Giải Nhì", "label_en": "Second prize", "rank_order": 2, "quota": 1},
    ],
    "tie_rule": "committee",
    "one_prize_scope": "round",
}  # fmt: skip


def staff(user) -> Actor:
    return Actor("staff", user.id, user.username)


@pytest.fixture
def tied(db):
    """First place clear; three people equal on every key for the one second prize."""
    contest = make_contest(db, "dong-hang-luu")
    round_ = contest.rounds[0]
    versions = make_bank(db, "dhl-bank", 6)
    member = make_staff(db, "uv-dh", ["committee_member"])
    chair = make_staff(db, "tb-dh", ["committee_chair"])
    top = make_entrant(db, contest, "Nông Văn Nhất")
    make_final_attempt(db, round_, top, versions, 6, seconds=100, prediction=1)
    people = [make_entrant(db, contest, n) for n in ("Hoàng Thị Ba", "Lộc Văn Bốn", "Vi Thị Năm")]
    for p in people:
        make_final_attempt(db, round_, p, versions, 5, seconds=120, prediction=1)
    prize_plans.save_plan(db, staff(member), contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, staff(member), round_)
    yield contest, round_, people, member, chair
    clock.reset()


def _lines(pl):
    return {e.participant_id: e for e in pl.entries}


def test_a_decided_tie_is_stored_audited_shown_and_kept_by_later_allocations(db, tied):
    contest, round_, (ba, bon, nam), member, chair = tied
    pl = prizes.allocate(db, staff(member), round_).prize_list
    waiting = prize_lists.undecided_lines(pl)
    assert {e.participant_id for e in waiting} == {ba.id, bon.id, nam.id}
    order = [_lines(pl)[p.id].id for p in (bon, ba, nam)]
    pl = prizes.decide_tie(
        db, staff(member), pl, order, "lots", "Bốc thăm công khai ngày 12/7", "Lots drawn on 12/7"
    )
    lines = _lines(pl)
    assert lines[bon.id].tier_code == "second" and ba.id not in lines and nam.id not in lines
    assert "Bốc thăm" in lines[bon.id].reason_vi and "Drawing lots" in lines[bon.id].reason_en
    assert "Bốc thăm công khai ngày 12/7" in lines[bon.id].reason_vi
    assert lines[bon.id].tie_decision_id is not None
    [stored] = db.execute(select(TieDecisionRecord)).scalars().all()
    assert (stored.criterion, stored.decided_by_id, stored.kind) == (
        "lots",
        member.id,
        "individual",
    )
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "prizes.decide_tie")).first()

    # Allocating again (the draft refilled) keeps the decision instead of bringing the tie back.
    again = prizes.allocate(db, staff(member), round_)
    assert again.undecided == 0 and _lines(again.prize_list)[bon.id].tier_code == "second"
    prize_lists.propose(db, staff(member), again.prize_list)
    prize_lists.approve(db, staff(chair), again.prize_list)
    # So does a correction version.
    correction = prizes.allocate(db, staff(member), round_, correction_note="Soát lại")
    assert correction.prize_list.version == 2 and correction.undecided == 0
    assert _lines(correction.prize_list)[bon.id].tie_decision_id == stored.id
    # The annex says which rule placed the line.
    doc = annex.document(db, contest, "xlsx", pl=again.prize_list)[0]
    assert doc[:2] == b"PK"


def test_a_tie_whose_people_changed_is_asked_again_saying_why(db, tied):
    contest, round_, (ba, bon, nam), member, chair = tied
    pl = prizes.allocate(db, staff(member), round_).prize_list
    order = [_lines(pl)[p.id].id for p in (bon, ba, nam)]
    prizes.decide_tie(db, staff(member), pl, order, "lots", "Bốc thăm")
    # Lộc Văn Bốn is ruled out: the tie is now between two other people.
    screening.decide(db, staff(member), round_, "participant", [bon.id], False, "Tài khoản thứ hai")
    results.close_round(db, staff(member), round_)
    report = prizes.allocate(db, staff(member), round_)
    waiting = prize_lists.undecided_lines(report.prize_list)
    assert {e.participant_id for e in waiting} == {ba.id, nam.id}
    assert all("cần quyết định lại" in e.reason_vi for e in waiting)
    assert all("needs a new decision" in e.reason_en for e in waiting)
    assert all("Lộc Văn Bốn" in e.reason_vi for e in waiting)


def test_a_shared_decision_gives_every_tied_person_the_higher_prize(db, tied):
    _, round_, people, member, _ = tied
    pl = prizes.allocate(db, staff(member), round_).prize_list
    ids = [e.id for e in prize_lists.undecided_lines(pl)]
    pl = prizes.decide_tie(db, staff(member), pl, ids, "share", "Ban Tổ chức quyết định đồng giải")
    assert [e.tier_code for e in pl.entries].count("second") == 3


@pytest.mark.parametrize(
    ("which", "criterion", "reason", "field"),
    [
        ("part", "lots", "Bốc thăm", "lines"),
        ("all", "bat-ky", "Bốc thăm", "criterion"),
        ("all", "lots", "  ", "reason_vi"),
    ],
)
def test_a_decision_names_every_tied_line_a_known_criterion_and_a_reason(
    db, tied, which, criterion, reason, field
):
    _, round_, _, member, _ = tied
    pl = prizes.allocate(db, staff(member), round_).prize_list
    ids = [e.id for e in prize_lists.undecided_lines(pl)]
    with pytest.raises(ContestError) as refused:
        prizes.decide_tie(
            db, staff(member), pl, ids[:2] if which == "part" else ids, criterion, reason
        )
    assert refused.value.field == field
    assert db.execute(select(TieDecisionRecord)).first() is None
    assert len(prize_lists.undecided_lines(pl)) == 3
