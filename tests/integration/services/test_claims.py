"""Claims on a squatted CCCD, on SQLite and PostgreSQL: filed by the owner with evidence,
decided by the committee with a reason (audited), reversible by a later decision."""

import pytest
from factories import make_contest, make_participant, make_staff, registration
from sqlalchemy import select

from contest.domain.citizen_id_claims import ClaimInput
from contest.domain.errors import ContestError, InvalidInput
from contest.models import AuditEntry, Participant
from contest.services import accounts, claims, sessions
from contest.services.context import Actor

EVIDENCE = "Tôi có thể mang thẻ CCCD đến UBND phường Chi Lăng vào sáng thứ Hai."


def _claim(contest, **overrides):
    values = dict(
        citizen_id="020190012345",
        full_name="Nguyễn Thị Hoà Bình",
        phone="0933333333",
        email="",
        evidence=EVIDENCE,
    )
    values.update(overrides)
    return ClaimInput(**values)


def test_a_squatted_citizen_id_goes_back_to_its_owner_and_a_later_decision_reverses_it(db):
    """Issue 13, finding 6: anyone could register someone else's valid-looking CCCD and the
    owner was refused for good."""
    contest = make_contest(db)
    squatter = make_participant(db, contest, full_name="Kẻ Mạo Danh", phone="0911111111")
    _, token = accounts.participant_sign_in(
        db, contest, login="0911111111", password="mat-khau-bi-mat", ip="1.1.1.1", user_agent="ua"
    )
    claim = claims.file_claim(db, contest, _claim(contest), ip="10.0.0.5")
    assert claim.status == "open" and claim.holder_participant_id == squatter.id
    member = make_staff(db, "giamkhao", ["committee_member"])
    actor = Actor("staff", member.id, "giamkhao", "10.0.0.9")

    with pytest.raises(InvalidInput):  # a decision needs a reason
        claims.decide(db, actor, contest, claim.id, "upheld", "")
    claims.decide(db, actor, contest, claim.id, "upheld", "Đã xem thẻ CCCD gốc tại phường.")
    db.expire_all()
    assert db.get(Participant, squatter.id).citizen_id.startswith("R")
    assert sessions.resolve(db, token) is None  # the squatter is signed out
    owner = accounts.register_participant(
        db, contest, registration(phone="0933333333"), ip="10.0.0.5", user_agent="ua"
    )
    assert owner is not None and owner.citizen_id == "020190012345"

    # Reversing it now would give the number to two people: refused, with the reason.
    with pytest.raises(ContestError) as exc:
        claims.decide(db, actor, contest, claim.id, "rejected", "Nhầm lẫn, xét lại.")
    assert "someone registered with it" in exc.value.message_en
    decisions = (
        db.execute(select(AuditEntry.details).where(AuditEntry.action == "claim.decide"))
        .scalars()
        .all()
    )
    assert len(decisions) == 1 and "citizen_id_removed" in decisions[0]


def test_a_rejection_after_an_upheld_claim_gives_the_number_back(db):
    contest = make_contest(db)
    holder = make_participant(db, contest)
    claim = claims.file_claim(db, contest, _claim(contest, full_name="Người Khác"), ip="10.0.0.6")
    actor = Actor("staff", 1, "truongban")
    claims.decide(db, actor, contest, claim.id, "upheld", "Giấy tờ có vẻ hợp lệ.")
    claims.decide(
        db, actor, contest, claim.id, "rejected", "Gọi xác minh: người đề nghị không phải chủ thẻ."
    )
    db.expire_all()
    assert db.get(Participant, holder.id).citizen_id == "020190012345"
    assert [d.decision for d in claims.decisions_of(db, claim)] == ["upheld", "rejected"]
    assert claims.get_claim(db, contest, claim.id).status == "rejected"


def test_filing_a_claim_answers_the_same_for_an_unregistered_number_and_checks_fields(db):
    contest = make_contest(db)
    claim = claims.file_claim(
        db, contest, _claim(contest, citizen_id="020190099999"), ip="10.0.0.7"
    )
    assert claim.id and claim.holder_participant_id is None
    with pytest.raises(InvalidInput) as exc:
        claims.file_claim(
            db, contest, _claim(contest, citizen_id="12", phone="1", evidence="ngắn"), ip="10.0.0.7"
        )
    assert set(exc.value.by_field()) == {"citizen_id", "phone", "evidence"}
