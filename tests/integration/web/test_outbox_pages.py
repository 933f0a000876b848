"""The admins' outbox page, the unsubscribe page and the participant's switch for news."""

from conftest import csrf_from
from factories import make_contest, make_participant, make_staff

from contest.domain import messages as texts
from contest.services import messages
from contest.services.context import SYSTEM


def _staff(client, username):
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": "correct-horse-battery"},
    )


def _failed_message(db, contest, participant):
    notice = messages.queue_message(
        db,
        "password_reset_code",
        texts.reset_code(messages.names(contest), "123456", 15),
        channel="sms",
        address=participant.phone,
        participant=participant,
    )
    notice.status, notice.attempts, notice.last_error = "failed", 5, "SMS gateway HTTP 503: busy"
    db.commit()
    return notice


def test_the_admin_sees_failed_messages_and_sends_one_again(client, db):
    contest = make_contest(db)
    notice = _failed_message(db, contest, make_participant(db, contest))
    make_staff(db, "quan-tri", ["admin"])
    _staff(client, "quan-tri")
    page = client.get("/admin/outbox?status=failed")
    assert page.status_code == 200
    assert "Tin nhắn không gửi được sau mọi lần thử" in page.text
    assert "password_reset_code" in page.text and "0912345678" in page.text
    assert "Cổng SMS: chưa được cấu hình" in page.text
    response = client.post(
        f"/admin/outbox/{notice.id}/retry",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(notice)
    assert notice.status == "pending" and notice.attempts == 0


def test_the_helpdesk_reads_the_outbox_an_organiser_does_not(client, db):
    make_staff(db, "ho-tro", ["support"])
    make_staff(db, "to-chuc", ["organiser"])
    _staff(client, "ho-tro")
    assert client.get("/admin/outbox").status_code == 200
    client.cookies.clear()
    _staff(client, "to-chuc")
    assert client.get("/admin/outbox").status_code == 403


def test_unsubscribing_asks_first_then_stops_news(client, db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    messages.set_consent(db, SYSTEM, participant, True)
    url = "/messages/unsubscribe/" + messages.unsubscribe_token(participant.id)
    page = client.get(url)
    assert page.status_code == 200 and "Ngừng nhận tin" in page.text
    db.refresh(participant)
    assert participant.messages_consent  # a GET (a mail scanner) changes nothing
    done = client.post(url, data={"csrf_token": csrf_from(page.text)})
    assert done.status_code == 200 and "không nhận tin về cuộc thi này nữa" in done.text
    db.refresh(participant)
    assert not participant.messages_consent
    assert client.get("/messages/unsubscribe/forged.token").status_code == 404


def test_a_participant_turns_news_on_from_their_page(client, db):
    contest = make_contest(db)
    participant = make_participant(db, contest)
    token = csrf_from(client.get(f"/c/{contest.slug}/login").text)
    client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": token, "login": "020190012345", "password": "mat-khau-bi-mat"},
    )
    page = client.get(f"/c/{contest.slug}/me")
    assert "Bạn không nhận tin về cuộc thi này." in page.text
    client.post(
        f"/c/{contest.slug}/me/messages",
        data={"csrf_token": csrf_from(page.text), "consent": "yes"},
    )
    db.refresh(participant)
    assert participant.messages_consent and participant.messages_consent_at is not None
