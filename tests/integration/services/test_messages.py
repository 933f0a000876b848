"""The outbox: messages sent over real SMTP and a real HTTP gateway, every try recorded, failed
sends retried with a growing wait, given up after the configured tries, consent honoured."""

import json
from datetime import timedelta

from factories import make_contest, make_participant
from outbox_servers import use_sms, use_smtp
from sqlalchemy import select

from contest import clock
from contest.config import get_settings
from contest.domain import messages as texts
from contest.models import AuditEntry, Notice, NoticeAttempt
from contest.services import messages
from contest.services.context import SYSTEM


def _consenting(db, contest, **overrides):
    participant = make_participant(db, contest, **overrides)
    messages.set_consent(db, SYSTEM, participant, True)
    return participant


def _news(db, contest, participant):
    text = texts.results_published(messages.names(contest), "https://thi.example.vn/c/x/results")
    queued = messages.to_participant(db, participant, "results_published", text)
    db.commit()
    return queued


def _attempts(db, notice):
    return list(
        db.execute(
            select(NoticeAttempt)
            .where(NoticeAttempt.notice_id == notice.id)
            .order_by(NoticeAttempt.id)
        ).scalars()
    )


def test_an_email_goes_over_smtp_in_both_languages_with_the_contest_name(
    db, monkeypatch, smtp_server
):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    participant = _consenting(db, contest, email="hoa.binh@example.vn")
    [notice] = _news(db, contest, participant)
    report = messages.send_due(db)
    assert report.sent == 1
    [mail] = smtp_server.received
    assert smtp_server.envelopes[0][1] == ["hoa.binh@example.vn"]
    assert "Đã công bố kết quả: Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn" in mail["Subject"]
    body = mail.get_content()
    assert "Ban Tổ chức đã công bố kết quả" in body and "The organisers published" in body
    assert "/messages/unsubscribe/" in body
    assert mail["List-Unsubscribe"].startswith("<http")
    db.refresh(notice)
    assert notice.status == "sent" and notice.sent_at is not None and notice.attempts == 1
    [attempt] = _attempts(db, notice)
    assert attempt.outcome == "sent" and attempt.error == "" and "notice" in attempt.detail


def test_an_sms_goes_through_the_gateway_with_the_template_and_auth_header(
    db, monkeypatch, sms_gateway
):
    use_sms(monkeypatch, sms_gateway)
    contest = make_contest(db)
    participant = _consenting(db, contest)
    [notice] = _news(db, contest, participant)
    assert notice.channel == "sms" and notice.address == "0912345678"
    assert messages.send_due(db).sent == 1
    [request] = sms_gateway.requests
    assert request["path"] == "/api/sms/send"
    assert request["headers"]["Authorization"] == "Bearer khoa-thu-nghiem"
    body = json.loads(request["body"])
    assert body["to"] == "84912345678" and body["from"] == "LANGSON"
    assert body["text"].startswith("Ban Tổ chức đã công bố kết quả cuộc thi")
    assert body["ref"] == str(notice.id)
    [attempt] = _attempts(db, notice)
    assert attempt.outcome == "sent" and '"CodeResult": "100"' in attempt.detail


def test_a_form_body_gateway_without_diacritics(db, monkeypatch, sms_gateway):
    use_sms(
        monkeypatch,
        sms_gateway,
        sms_content_type="application/x-www-form-urlencoded",
        sms_body_template="Phone={phone}&Content={text}&Brandname={brandname}",
        sms_ascii_only=True,
        sms_auth_header="",
        sms_username="tai-khoan",
        sms_password="bi-mat",
    )
    contest = make_contest(db)
    _news(db, contest, _consenting(db, contest))
    messages.send_due(db)
    [request] = sms_gateway.requests
    assert request["body"].startswith("Phone=0912345678&Content=Ban+To+chuc+da+cong+bo")
    assert request["headers"]["Authorization"].startswith("Basic ")


def test_a_failed_send_is_recorded_and_tried_again_later(db, monkeypatch, sms_gateway):
    use_sms(monkeypatch, sms_gateway)
    monkeypatch.setattr(get_settings(), "message_retry_seconds", 60)
    sms_gateway.answers = [(503, "busy"), (200, '{"CodeResult": "99", "Error": "sai"}')]
    contest = make_contest(db)
    [notice] = _news(db, contest, _consenting(db, contest))
    assert messages.send_due(db).retry == 1
    db.refresh(notice)
    assert notice.status == "pending" and notice.attempts == 1
    assert "HTTP 503" in notice.last_error
    # Not due again before its wait is over.
    assert messages.send_due(db).as_dict() == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    clock.shift(timedelta(seconds=61))
    assert messages.send_due(db).retry == 1  # 200, but the provider's code says refused
    clock.shift(timedelta(seconds=121))
    assert messages.send_due(db).sent == 1
    db.refresh(notice)
    attempts = _attempts(db, notice)
    assert [a.outcome for a in attempts] == ["error", "error", "sent"]
    assert "HTTP 503" in attempts[0].error and "refused" in attempts[1].error
    assert attempts[1].at - attempts[0].at >= timedelta(seconds=60)
    assert notice.status == "sent" and notice.attempts == 3


def test_after_the_last_try_the_message_is_failed_audited_and_an_admin_can_retry(
    db, monkeypatch, smtp_server
):
    use_smtp(monkeypatch, smtp_server)
    monkeypatch.setattr(get_settings(), "smtp_port", 9)  # nothing listens on the discard port
    monkeypatch.setattr(get_settings(), "message_max_attempts", 2)
    contest = make_contest(db)
    [notice] = _news(db, contest, _consenting(db, contest, email="a@example.vn"))
    messages.send_due(db)
    clock.shift(timedelta(hours=1))
    assert messages.send_due(db).failed == 1
    db.refresh(notice)
    assert notice.status == "failed" and notice.attempts == 2
    assert "SMTP 127.0.0.1:9" in notice.last_error
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "message.failed")).scalar_one()
    failed = messages.outbox(db, status="failed")
    assert [row.notice.id for row in failed] == [notice.id] and len(failed[0].attempts) == 2
    # The mail server is back: the admin sends it again.
    monkeypatch.setattr(get_settings(), "smtp_port", smtp_server.port)
    messages.retry(db, SYSTEM, notice.id)
    assert messages.send_due(db).sent == 1
    assert len(smtp_server.received) == 1


def test_messages_of_an_unconfigured_channel_wait(db, monkeypatch):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    text = texts.reset_code(messages.names(contest), "123456", 15)
    notice = messages.queue_message(
        db, "password_reset_code", text, channel="sms", address=participant.phone
    )
    db.commit()
    assert messages.send_due(db).as_dict()["sent"] == 0
    db.refresh(notice)
    assert notice.status == "pending" and notice.attempts == 0


def test_news_needs_consent_and_the_unsubscribe_link_withdraws_it(db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    silent = make_participant(db, contest, email="khong@example.vn")
    assert _news(db, contest, silent) == []
    participant = _consenting(
        db, contest, citizen_id="020190000777", phone="0987000777", email="co@example.vn"
    )
    [pending] = _news(db, contest, participant)
    token = messages.unsubscribe_token(participant.id)
    messages.unsubscribe(db, token, "10.0.0.1")
    db.refresh(pending)
    assert pending.status == "cancelled"
    assert _news(db, contest, participant) == []
    # A reset code is essential: it goes whatever the person chose about news.
    essential = messages.queue_message(
        db,
        "password_reset_code",
        texts.reset_code(messages.names(contest), "123456", 15),
        channel="email",
        address="co@example.vn",
        participant=participant,
    )
    db.commit()
    assert essential is not None and "unsubscribe" not in essential.message_en
    assert messages.send_due(db).sent == 1


def test_a_dedupe_key_queues_a_message_once(db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    text = texts.reset_done(messages.names(contest))
    for _ in range(2):
        messages.queue_message(
            db,
            "password_reset_done",
            text,
            channel="sms",
            address=participant.phone,
            participant=participant,
            dedupe_key="once:1",
        )
    db.commit()
    count = db.execute(select(Notice).where(Notice.dedupe_key == "once:1")).all()
    assert len(count) == 1
