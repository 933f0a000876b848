"""Changing a password while signed in: the policy decides, the other sessions end."""

import pytest
from factories import make_contest, make_participant, make_staff
from sqlalchemy import select

from contest.domain.errors import ContestError
from contest.models import AuditEntry, AuditPending
from contest.services import accounts, credentials, sessions
from contest.services.context import Actor
from contest.services.ratelimit import RateLimited

PASSWORD = "mat-khau-bi-mat"
NEW = "doi sang cum tu moi dai"


def _sign_in(db, contest, ip="10.0.0.1"):
    return accounts.participant_sign_in(
        db, contest, login="020190012345", password=PASSWORD, ip=ip, user_agent="ua"
    )


def test_a_participant_changes_the_password_and_the_other_sessions_end(db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    _, here = _sign_in(db, contest)
    _, elsewhere = _sign_in(db, contest, ip="10.0.0.2")
    this = sessions.resolve(db, here)
    ended = credentials.change_password(
        db,
        Actor("participant", participant.id, ip="10.0.0.1"),
        participant,
        current=PASSWORD,
        new=NEW,
        confirm=NEW,
        keep_session_id=this.session.id,
    )
    assert ended == 1
    assert sessions.resolve(db, here) is not None
    assert sessions.resolve(db, elsewhere) is None
    with pytest.raises(ContestError):
        _sign_in(db, contest)
    accounts.participant_sign_in(
        db, contest, login="0912345678", password=NEW, ip="10.0.0.3", user_agent="ua"
    )
    actions = db.execute(select(AuditEntry.action)).scalars().all()
    assert "password.change" in actions


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field"),
    [
        ("sai-mat-khau-roi", NEW, NEW, "current_password"),
        (PASSWORD, "ngan", "ngan", "password"),
        (PASSWORD, "matkhau123", "matkhau123", "password"),
        (PASSWORD, "Hoa Binh 020190012345", "Hoa Binh 020190012345", "password"),
        (PASSWORD, NEW, NEW + "x", "confirm_password"),
        (PASSWORD, PASSWORD, PASSWORD, "password"),
    ],
)
def test_a_refused_change_names_the_field_and_keeps_the_old_password(
    db, current, new, confirm, field
):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    old_hash = participant.password_hash
    with pytest.raises(ContestError) as refused:
        credentials.change_password(
            db,
            Actor("participant", participant.id, ip="10.0.0.9"),
            participant,
            current=current,
            new=new,
            confirm=confirm,
            keep_session_id=None,
        )
    assert refused.value.field == field
    assert refused.value.message_vi and refused.value.message_en
    db.refresh(participant)
    assert participant.password_hash == old_hash


def test_a_wrong_current_password_is_audited_and_guessing_is_limited(db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    actor = Actor("participant", participant.id, ip="10.0.0.8")
    for _ in range(credentials.CHANGE_LIMIT_COUNT):
        with pytest.raises(ContestError):
            credentials.change_password(
                db, actor, participant, current="x", new=NEW, confirm=NEW, keep_session_id=None
            )
    with pytest.raises(RateLimited):
        credentials.change_password(
            db, actor, participant, current=PASSWORD, new=NEW, confirm=NEW, keep_session_id=None
        )
    refused = db.execute(
        select(AuditPending).where(AuditPending.action == "password.change_refused")
    ).all()
    assert len(refused) == credentials.CHANGE_LIMIT_COUNT


def test_staff_need_ten_characters_and_not_their_username(db):
    user = make_staff(db, "ban-to-chuc", ["organiser"])
    actor = Actor("staff", user.id, user.username, "10.0.0.7")
    for weak in ("ngan-9-ky", "toi-la-ban-to-chuc"):
        with pytest.raises(ContestError):
            credentials.change_password(
                db,
                actor,
                user,
                current="correct-horse-battery",
                new=weak,
                confirm=weak,
                keep_session_id=None,
            )
    credentials.change_password(
        db,
        actor,
        user,
        current="correct-horse-battery",
        new="mot cau that dai cho can bo",
        confirm="mot cau that dai cho can bo",
        keep_session_id=None,
    )
    accounts.staff_sign_in(
        db,
        username="ban-to-chuc",
        password="mot cau that dai cho can bo",
        ip="10.0.0.7",
        user_agent="ua",
    )
