"""Screening a person: second accounts, the caught-cheater rule across rounds, search and bulk
decisions on people, on a real database."""

from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import select

from contest import clock
from contest.domain.errors import NotFound
from contest.models import AuditEntry, EligibilityDecision, Round, WebSession
from contest.services import plans, prize_plans, prizes, results, screening
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất",
            "label_en": "First",
            "rank_order": 1,
            "quota": 1,
        },
        {
            "code": "second",
            "label_vi": "Giải Nhì",
            "label_en": "Second",
            "rank_order": 2,
            "quota": 1,
        },
    ]
}


def _second_round(db, contest):
    first = contest.rounds[0]
    r = Round(
        contest_id=contest.id,
        number=2,
        title_vi="Tuần 2",
        title_en="Week 2",
        opens_at=first.opens_at,
        closes_at=first.closes_at,
        max_attempts=0,
    )
    db.add(r)
    db.commit()
    return r


@pytest.fixture
def field(db):
    contest = make_contest(db, "sang-loc")
    round_ = contest.rounds[0]
    versions = make_bank(db, "sl-bank", 10)
    cheat = make_entrant(db, contest, "Vũ Văn Nhanh")
    honest = make_entrant(db, contest, "Trần Thị Bình", unit_code="LS-TD")
    third = make_entrant(db, contest, "Lê Văn Cường")
    clean = make_final_attempt(db, round_, cheat, versions, 10, seconds=200, number=1)
    fast = make_final_attempt(
        db, round_, cheat, versions, 10, seconds=3, number=2, start_offset=timedelta(hours=2)
    )
    make_final_attempt(db, round_, honest, versions, 9, seconds=200)
    make_final_attempt(db, round_, third, versions, 8, seconds=200)
    member = make_staff(db, "gk-sl", ["committee_member"])
    actor = Actor("staff", member.id, member.username)
    prize_plans.save_plan(db, actor, contest, PLAN)
    return contest, round_, versions, cheat, clean, fast, actor


def test_by_default_a_fast_attempt_leaves_the_clean_one_winning(db, field):
    contest, round_, _, cheat, clean, fast, _ = field
    data = results.load_round(db, round_)
    assert data.verdicts[clean.id].eligible and not data.verdicts[fast.id].eligible
    assert data.counting[cheat.id].id == clean.id


def test_when_the_rules_say_so_a_caught_cheater_wins_nothing(db, field):
    contest, round_, _, cheat, clean, fast, actor = field
    contest.cheating_voids_all = True
    db.commit()
    data = results.load_round(db, round_)
    assert not data.verdicts[clean.id].eligible
    assert "caught_elsewhere" in {f.code.value for f in data.verdicts[clean.id].flags}
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    results.close_round(db, actor, round_)
    listed = prizes.allocate(db, actor, round_).prize_list
    winners = {e.participant_id for e in listed.entries if e.tier_code}
    assert cheat.id not in winners and len(winners) == 2

    # The committee finds the fast attempt was a network replay: clearing it frees the other.
    screening.decide(db, actor, round_, "attempt", [fast.id], True, "Lỗi mạng, đã kiểm tra")
    assert results.load_round(db, round_).verdicts[clean.id].eligible


def test_caught_in_one_round_loses_the_next_round_too(db, field):
    contest, round_, versions, cheat, clean, fast, actor = field
    contest.cheating_voids_all = True
    db.commit()
    week2 = _second_round(db, contest)
    later = make_final_attempt(db, week2, cheat, versions, 10, seconds=300)
    data = results.load_round(db, week2)
    assert not data.verdicts[later.id].eligible
    # Upholding the flag keeps it so; a decision on the person reverses everything at once.
    screening.decide(db, actor, round_, "attempt", [fast.id], False, "Dùng công cụ tự động")
    assert not results.load_round(db, week2).verdicts[later.id].eligible
    screening.decide(db, actor, round_, "participant", [cheat.id], True, "Hội đồng xác minh lại")
    assert results.load_round(db, week2).verdicts[later.id].eligible
    assert results.load_round(db, round_).verdicts[fast.id].eligible


def test_second_accounts_by_name_and_birth_date_and_by_browser(db, field):
    contest, round_, versions, cheat, *_ = field
    twin = make_entrant(db, contest, "Vũ Văn Nhanh")  # same name and date of birth, new CCCD
    make_final_attempt(db, round_, twin, versions, 10, seconds=250)
    stranger = make_entrant(db, contest, "Đỗ Thị Muộn", date_of_birth="01/02/1985")
    other = make_entrant(db, contest, "Hoàng Văn Em", date_of_birth="02/03/1985")
    make_final_attempt(db, round_, other, versions, 5, seconds=250)
    for p in (stranger, other):
        db.add(
            WebSession(
                token_hash=f"h-{p.id}",
                participant_id=p.id,
                created_at=clock.now(),
                last_seen_at=clock.now(),
                expires_at=clock.now() + timedelta(days=1),
                device="may-tinh-chung-123456",
            )
        )
    db.commit()
    page = screening.people(db, round_, code="second_account")
    names = {r.participant.full_name: r for r in page.rows}
    assert set(names) == {"Vũ Văn Nhanh", "Hoàng Văn Em"} and len(page.rows) == 3
    em = names["Hoàng Văn Em"].person_flags[0]
    # The other account is named, with a masked CCCD, even though it took no attempt here.
    assert "cùng trình duyệt với Đỗ Thị Muộn (CCCD ****" in em.message_vi


def test_search_by_name_without_diacritics_cccd_suffix_and_unit(db, field):
    contest, round_, _, cheat, *_ = field
    everyone = screening.people(db, round_, state="all")
    assert everyone.total == 3
    assert [r.participant.id for r in screening.people(db, round_, query="vu van nhanh").rows] == [
        cheat.id
    ]
    suffix = cheat.citizen_id[-5:]
    assert [r.participant.id for r in screening.people(db, round_, query=suffix).rows] == [cheat.id]
    by_unit = screening.people(db, round_, query="Tràng Định")
    assert [r.participant.full_name for r in by_unit.rows] == ["Trần Thị Bình"]
    units = results.load_round(db, round_).units
    province = next(u for u in units.values() if u.parent_id is None)
    assert screening.people(db, round_, unit_id=province.id).total == 3
    # Without a search, only people with a flag or a decision are listed.
    assert [r.participant.id for r in screening.people(db, round_).rows] == [cheat.id]


def test_a_bulk_decision_on_people_covers_all_their_attempts_and_is_audited(db, field):
    contest, round_, _, cheat, clean, fast, actor = field
    honest = screening.people(db, round_, query="Trần Thị Bình").rows[0].participant
    rows = screening.decide_many(
        db, actor, round_, [cheat.id, honest.id], [], False, "Khai man thông tin"
    )
    assert len(rows) == 2
    data = results.load_round(db, round_)
    assert not any(data.verdicts[a.id].eligible for a in (clean, fast))
    audited = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "screening.decide"))
        .scalars()
        .all()
    )
    assert {(a.object_type, a.object_id) for a in audited} >= {
        ("participant", str(cheat.id)),
        ("participant", str(honest.id)),
    }
    names = screening.decider_names(db, rows)
    assert names[rows[0].decided_by] == "Cán bộ gk-sl (gk-sl)"


def test_a_bulk_decision_with_one_unknown_subject_records_nothing(db, field):
    contest, round_, _, cheat, clean, fast, actor = field
    before = db.execute(select(EligibilityDecision)).scalars().all()
    with pytest.raises(NotFound):
        screening.decide_many(db, actor, round_, [cheat.id], [fast.id, 999_999], False, "Lý do")
    db.rollback()
    assert len(db.execute(select(EligibilityDecision)).scalars().all()) == len(before)


def test_the_excluded_list_flags_a_person_by_cccd(db, field):
    contest, round_, _, cheat, clean, fast, actor = field
    honest = screening.people(db, round_, query="Trần Thị Bình").rows[0].participant
    listed = f"CCCD,Họ và tên,Ghi chú\n{honest.citizen_id},Trần Thị Bình,Tổ Thư ký\n".encode()
    assert plans.import_excluded(db, actor, contest, listed, "loai-tru.csv").ok
    row = screening.people(db, round_, code="excluded_staff").rows
    assert [r.participant.id for r in row] == [honest.id]
    assert row[0].person_flags[0].code.value == "excluded_staff"
    assert not any(v.eligible for _, v in row[0].attempts)
