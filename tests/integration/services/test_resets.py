"""Getting back into an account by each channel: an email link, an SMS code, a helpdesk code.
Links and codes work once and expire; using one ends every session; asking reveals nothing."""

import re
from datetime import timedelta

import pytest
from factories import make_contest, make_participant, make_staff
from outbox_servers import use_sms, use_smtp
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError
from contest.models import AuditEntry, Notice, PasswordReset
from contest.services import accounts, messages, resets, sessions
from contest.services.context import Actor
from contest.services.ratelimit import RateLimited

OLD = "mat-khau-bi-mat"
NEW = "mot cum tu moi that dai"
LINK = re.compile(r"https?://\S+/reset/(\S+)")


def _sign_in(db, contest, password=OLD):
    return accounts.participant_sign_in(
        db, contest, login="020190012345", password=password, ip="10.0.0.1", user_agent="ua"
    )[1]


def _link_token(smtp_server) -> str:
    body = smtp_server.received[-1].get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def _sms_code(sms_gateway) -> str:
    text = sms_gateway.json_bodies()[-1]["text"]
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_a_reset_link_by_email_works_once_and_ends_every_session(db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    participant = make_participant(db, contest, email="hoa.binh@example.vn")
    before = _sign_in(db, contest)
    queued = resets.request_participant_reset(db, contest, "0912345678", "10.0.0.5")
    assert [n.kind for n in queued] == ["password_reset_link"]
    messages.send_due(db)
    mail = smtp_server.received[-1]
    assert "Đặt lại mật khẩu" in mail["Subject"]
    assert "Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn" in mail.get_content()
    token = _link_token(smtp_server)
    stored = db.execute(select(PasswordReset)).scalar_one()
    assert token not in stored.secret_hash and len(stored.secret_hash) == 64
    resets.complete_with_link(db, token, NEW, NEW, "10.0.0.5", staff=False)
    assert sessions.resolve(db, before) is None
    with pytest.raises(ContestError):
        _sign_in(db, contest)
    assert _sign_in(db, contest, NEW)
    with pytest.raises(ContestError) as reused:
        resets.complete_with_link(db, token, NEW + "x", NEW + "x", "10.0.0.5", staff=False)
    assert "đã được dùng" in reused.value.message_vi and "already used" in reused.value.message_en
    done = db.execute(
        select(Notice).where(
            Notice.participant_id == participant.id, Notice.kind == "password_reset_done"
        )
    ).scalar_one()
    assert done.essential and done.channel == "email"
    actions = db.execute(select(AuditEntry.action)).scalars().all()
    assert "password.reset" in actions


def test_an_expired_link_is_refused_in_both_languages(db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    make_participant(db, contest, email="hoa.binh@example.vn")
    resets.request_participant_reset(db, contest, "020190012345", "10.0.0.5")
    messages.send_due(db)
    token = _link_token(smtp_server)
    clock.shift(timedelta(minutes=31))
    with pytest.raises(ContestError) as expired:
        resets.complete_with_link(db, token, NEW, NEW, "10.0.0.5", staff=False)
    assert "hết hạn" in expired.value.message_vi and "expired" in expired.value.message_en
    assert _sign_in(db, contest)  # the old password still works


def test_a_newer_link_supersedes_the_older_one(db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    make_participant(db, contest, email="hoa.binh@example.vn")
    resets.request_participant_reset(db, contest, "020190012345", "10.0.0.5")
    messages.send_due(db)
    first = _link_token(smtp_server)
    resets.request_participant_reset(db, contest, "020190012345", "10.0.0.5")
    messages.send_due(db)
    with pytest.raises(ContestError) as older:
        resets.reset_for_link(db, first, staff=False)
    assert "mới nhất" in older.value.message_vi
    resets.complete_with_link(db, _link_token(smtp_server), NEW, NEW, "10.0.0.5", staff=False)


def test_a_code_by_sms_works_once(db, monkeypatch, sms_gateway):
    use_sms(monkeypatch, sms_gateway)
    contest = make_contest(db)
    make_participant(db, contest)
    before = _sign_in(db, contest)
    queued = resets.request_participant_reset(db, contest, "020190012345", "10.0.0.6")
    assert [n.kind for n in queued] == ["password_reset_code"]
    messages.send_due(db)
    code = _sms_code(sms_gateway)
    assert (
        "Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn" in sms_gateway.json_bodies()[-1]["text"]
    )
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ContestError) as refused:
        resets.complete_with_code(db, contest, "0912345678", wrong, NEW, NEW, "10.0.0.6")
    assert refused.value.field == "code"
    # A weak new password is refused and the code stays usable.
    with pytest.raises(ContestError) as weak:
        resets.complete_with_code(
            db, contest, "0912345678", code, "12345678", "12345678", "10.0.0.6"
        )
    assert weak.value.field == "password"
    resets.complete_with_code(db, contest, "0912345678", code, NEW, NEW, "10.0.0.6")
    assert sessions.resolve(db, before) is None
    assert _sign_in(db, contest, NEW)
    with pytest.raises(ContestError) as reused:
        resets.complete_with_code(db, contest, "0912345678", code, NEW, NEW, "10.0.0.6")
    assert "already used" in reused.value.message_en
    messages.send_due(db)
    assert "vừa được đặt lại" in sms_gateway.json_bodies()[-1]["text"]


def test_an_expired_code_and_too_many_wrong_codes_are_refused(db, monkeypatch, sms_gateway):
    use_sms(monkeypatch, sms_gateway)
    contest = make_contest(db)
    make_participant(db, contest)
    resets.request_participant_reset(db, contest, "020190012345", "10.0.0.7")
    messages.send_due(db)
    code = _sms_code(sms_gateway)
    clock.shift(timedelta(minutes=16))
    with pytest.raises(ContestError) as expired:
        resets.complete_with_code(db, contest, "020190012345", code, NEW, NEW, "10.0.0.7")
    assert "expired" in expired.value.message_en
    resets.request_participant_reset(db, contest, "020190012345", "10.0.0.7")
    messages.send_due(db)
    code = _sms_code(sms_gateway)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ContestError):
            resets.complete_with_code(db, contest, "020190012345", wrong, NEW, NEW, "10.0.0.7")
    with pytest.raises(ContestError) as locked:
        resets.complete_with_code(db, contest, "020190012345", code, NEW, NEW, "10.0.0.7")
    assert "quá nhiều lần" in locked.value.message_vi


def test_asking_reveals_nothing_and_is_limited_per_account(db, monkeypatch, sms_gateway):
    use_sms(monkeypatch, sms_gateway)
    contest = make_contest(db)
    make_participant(db, contest)
    assert resets.request_participant_reset(db, contest, "020190099999", "10.0.1.1") == []
    for _ in range(4):
        resets.request_participant_reset(db, contest, "020190099999", "10.0.1.1")
    with pytest.raises(RateLimited):  # an unknown number is limited exactly like a known one
        resets.request_participant_reset(db, contest, "020190099999", "10.0.1.2")
    for _ in range(5):
        resets.request_participant_reset(db, contest, "0912345678", "10.0.1.3")
    with pytest.raises(RateLimited):
        resets.request_participant_reset(db, contest, "0912345678", "10.0.1.4")


def test_the_helpdesk_verifies_then_issues_a_code_that_is_audited(db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    support = make_staff(db, "ho-tro", ["support"])
    actor = Actor("staff", support.id, support.username, "10.0.2.1")
    assert resets.helpdesk_lookup(db, contest, "0912345678").id == participant.id
    with pytest.raises(ContestError) as too_few:
        resets.issue_helpdesk_code(
            db, actor, participant, checks=["full_name", "date_of_birth"], note="goi lai so da dk"
        )
    assert too_few.value.field == "checks"
    issued = resets.issue_helpdesk_code(
        db,
        actor,
        participant,
        checks=["full_name", "date_of_birth", "citizen_id_card"],
        note="Gọi lại số đã đăng ký, xem ảnh thẻ CCCD qua Zalo",
    )
    assert len(issued.code) == 6 and issued.reset.issued_by == f"staff:{support.id}:ho-tro"
    entry = db.execute(
        select(AuditEntry).where(AuditEntry.action == "password.helpdesk_code")
    ).scalar_one()
    assert "citizen_id_card" in entry.details and "Zalo" in entry.details
    resets.complete_with_code(db, contest, "020190012345", issued.code, NEW, NEW, "10.0.2.9")
    assert _sign_in(db, contest, NEW)


def test_staff_reset_by_email_link(db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    make_staff(db, "ban-to-chuc", ["organiser"])
    assert resets.request_staff_reset(db, "ban-to-chuc", "10.0.3.1") == []  # no email yet
    resets.set_staff_email(db, Actor("system"), "ban-to-chuc", "btc@example.vn")
    _, token_before = accounts.staff_sign_in(
        db, username="ban-to-chuc", password="correct-horse-battery", ip="10.0.3.1", user_agent=""
    )
    resets.request_staff_reset(db, "ban-to-chuc", "10.0.3.1")
    messages.send_due(db)
    token = _link_token(smtp_server)
    assert "/staff/reset/" in smtp_server.received[-1].get_content()
    with pytest.raises(ContestError):  # a staff link is not a participant's
        resets.reset_for_link(db, token, staff=False)
    resets.complete_with_link(
        db, token, "cum tu rat dai cho can bo", "cum tu rat dai cho can bo", "10.0.3.1", staff=True
    )
    assert sessions.resolve(db, token_before) is None
    accounts.staff_sign_in(
        db,
        username="ban-to-chuc",
        password="cum tu rat dai cho can bo",
        ip="10.0.3.1",
        user_agent="",
    )


def test_an_account_that_signs_in_through_the_identity_provider_gets_no_password(
    db, monkeypatch, sms_gateway
):
    from contest.services.oidc import NO_PASSWORD

    use_sms(monkeypatch, sms_gateway)
    contest = make_contest(db)
    participant = make_participant(db, contest, email="vneid@example.vn")
    participant.password_hash = NO_PASSWORD
    db.commit()
    told = resets.request_participant_reset(db, contest, "020190012345", "10.0.4.1")
    # No link or code, only a word on which button signs the person in.
    assert sorted(n.kind for n in told) == ["password_reset_linked"] * 2
    support = make_staff(db, "ho-tro", ["support"])
    with pytest.raises(ContestError) as refused:
        resets.issue_helpdesk_code(
            db,
            Actor("staff", support.id, support.username, "10.0.4.2"),
            participant,
            checks=["full_name", "date_of_birth", "citizen_id_card"],
            note="Gọi lại số đã đăng ký, xem thẻ CCCD",
        )
    assert "VNeID" in refused.value.message_vi and "identity provider" in refused.value.message_en


def test_asking_with_no_channel_leaves_a_helpdesk_code_alone(db):
    contest = make_contest(db)
    participant = make_participant(db, contest)  # no email, and no SMS gateway configured
    support = make_staff(db, "ho-tro", ["support"])
    issued = resets.issue_helpdesk_code(
        db,
        Actor("staff", support.id, support.username, "10.0.5.1"),
        participant,
        checks=["full_name", "phone", "citizen_id_card"],
        note="Gọi lại số đã đăng ký, xem thẻ CCCD",
    )
    assert resets.request_participant_reset(db, contest, "020190012345", "10.0.5.2") == []
    resets.complete_with_code(db, contest, "020190012345", issued.code, NEW, NEW, "10.0.5.3")
