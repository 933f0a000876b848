"""Plans set by the organiser: excluded list, screening thresholds, locks after approval, previews."""

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import func, select

from contest import clock
from contest.domain.errors import ContestError, InvalidInput
from contest.models import AuditEntry, ExcludedPerson, PrizePlanRecord
from contest.services import plans, prize_lists, prizes, results, screening
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "label_en": "First prize", "quota": 1},
        {"code": "second", "label_vi": "Giải Nhì", "label_en": "Second prize", "quota": 1},
    ],
    "tie_rule": "committee",
}
EXCLUDED = "CCCD,Họ và tên,Ghi chú\n020085000901,Hoàng Thị Ban,Tổ Thư ký\n".encode()


def actor(user) -> Actor:
    return Actor("staff", user.id, user.username)


def count(db, model) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def round_setup(db):
    contest = make_contest(db, "ke-hoach")
    round_ = contest.rounds[0]
    versions = make_bank(db, "kh-bank", 10)
    for name, correct, seconds in [
        ("Nguyễn Văn An", 10, 300),
        ("Trần Thị Bình", 9, 200),
        ("Lê Văn Cường", 8, 100),
        ("Vũ Văn Nhanh", 10, 6),  # 0.6 s a question
    ]:
        make_final_attempt(
            db, round_, make_entrant(db, contest, name), versions, correct, seconds=seconds
        )
    organiser = make_staff(db, "bantochuc-kh", ["organiser"])
    member = make_staff(db, "giamkhao-kh", ["committee_member"])
    chair = make_staff(db, "truongban-kh", ["committee_chair", "committee_member"])
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    return contest, round_, actor(organiser), actor(member), actor(chair)


def test_excluded_import_replaces_the_list_and_a_bad_file_changes_nothing(db):
    contest = make_contest(db, "loai-tru")
    first = plans.import_excluded(
        db, plans_actor := Actor("system", label="t"), contest, EXCLUDED, "a.csv"
    )
    assert first.ok and first.people == 1
    assert plans.excluded_citizen_ids(db, contest.id) == {"020085000901"}
    audits = count(db, AuditEntry)
    bad = EXCLUDED + "0200850009,Thiếu số\n".encode()
    result = plans.import_excluded(db, plans_actor, contest, bad, "b.csv")
    assert not result.ok and result.errors[0].row == 3 and result.errors[0].field == "citizen_id"
    assert plans.excluded_citizen_ids(db, contest.id) == {"020085000901"}
    assert count(db, AuditEntry) == audits
    plans.clear_excluded(db, plans_actor, contest)
    assert count(db, ExcludedPerson) == 0


def fast_ones(db, round_) -> set[str]:
    return {
        r.participant.full_name
        for r in screening.flag_rows(db, round_)
        if "implausibly_fast" in r.codes
    }


def test_screening_reads_the_contest_speed_threshold(db, round_setup):
    contest, round_, organiser, *_ = round_setup
    assert fast_ones(db, round_) == {"Vũ Văn Nhanh"}
    plans.save_screening(
        db, organiser, contest, {"min_seconds_per_question": "0", "require_all_answered": "yes"}
    )
    assert fast_ones(db, round_) == set()
    plans.save_screening(db, organiser, contest, {"min_seconds_per_question": "25"})
    assert fast_ones(db, round_) == {"Vũ Văn Nhanh", "Trần Thị Bình", "Lê Văn Cường"}


def test_a_plan_with_bad_fields_is_not_saved(db, round_setup):
    contest, _, organiser, *_ = round_setup
    with pytest.raises(InvalidInput) as excinfo:
        plans.save_prize_plan(
            db, organiser, contest, {"tiers": [{"code": "x", "label_vi": "", "quota": "-2"}]}
        )
    assert {e.field for e in excinfo.value.errors} == {"tiers.1.label_vi", "tiers.1.quota"}
    assert count(db, PrizePlanRecord) == 0


def test_preview_allocates_on_current_entries_without_writing(db, round_setup):
    contest, round_, organiser, *_ = round_setup
    plan = plans.save_prize_plan(db, organiser, contest, PLAN)
    audits = count(db, AuditEntry)
    preview = plans.preview_prize_plan(db, contest, plan, 1)
    won = [(preview.names[r.entry.owner_id], r.tier_code) for r in preview.allocation.awarded()]
    assert won == [("Nguyễn Văn An", "first"), ("Trần Thị Bình", "second")]
    assert preview.entries == 4 and preview.eligible == 3
    assert count(db, AuditEntry) == audits


def test_an_approved_list_locks_its_plan_until_a_correction_reason_is_given(db, round_setup):
    contest, round_, organiser, member, chair = round_setup
    plans.save_prize_plan(db, organiser, contest, PLAN)
    results.close_round(db, member, round_)
    pl = prizes.allocate(db, member, round_).prize_list
    prize_lists.propose(db, member, pl)
    prize_lists.approve(db, chair, pl)
    changed = dict(PLAN, tie_rule="share")
    with pytest.raises(ContestError) as excinfo:
        plans.save_prize_plan(db, organiser, contest, changed)
    assert excinfo.value.field == "correction_reason"
    assert (
        "phiên bản 1" in excinfo.value.message_vi
        and "correction version" in excinfo.value.message_en
    )
    with pytest.raises(ContestError):  # a round plan replaces what that list was built from
        plans.save_prize_plan(db, organiser, contest, changed, round_number=1)
    with pytest.raises(ContestError):
        plans.save_screening(db, organiser, contest, {"min_seconds_per_question": 3})
    plans.save_prize_plan(db, organiser, contest, PLAN)  # unchanged: nothing to lock
    plans.save_prize_plan(
        db, organiser, contest, changed, correction_reason="Sai cơ cấu theo Quyết định số 12"
    )
    assert prizes.plan_for(db, contest.id, round_.id).tie_rule.value == "share"
    entry = (
        db.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "plans.save_prize_plan")
            .order_by(AuditEntry.seq.desc())
        )
        .scalars()
        .first()
    )
    assert "Quyết định số 12" in entry.details
