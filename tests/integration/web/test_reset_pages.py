"""The reset pages: the same answer for any CCCD, the email link, the code, the helpdesk."""

import re

from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from outbox_servers import use_smtp
from sqlalchemy import select

from contest.models import Notice
from contest.services import messages

NEW = "mot cum tu moi that dai"


def _ask(client, contest, login):
    page = client.get(f"/c/{contest.slug}/forgot")
    return client.post(
        f"/c/{contest.slug}/forgot",
        data={"csrf_token": csrf_from(page.text), "login": login},
        follow_redirects=False,
    )


def test_asking_answers_the_same_for_a_registered_and_an_unknown_number(client, db):
    contest = make_contest(db)
    make_participant(db, contest, email="hoa.binh@example.vn")
    login_page = client.get(f"/c/{contest.slug}/login").text
    assert f"/c/{contest.slug}/forgot" in login_page
    known = _ask(client, contest, "0912345678")
    unknown = _ask(client, contest, "0987000001")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    assert set(known.cookies) == set(unknown.cookies)
    page = client.get(known.headers["location"])
    assert "Nếu có tài khoản khớp với thông tin bạn nhập" in page.text
    assert db.execute(select(Notice.kind)).scalars().all() == ["password_reset_link"]


def test_the_email_link_sets_a_new_password_once(client, db, monkeypatch, smtp_server):
    use_smtp(monkeypatch, smtp_server)
    contest = make_contest(db)
    make_participant(db, contest, email="hoa.binh@example.vn")
    _ask(client, contest, "020190012345")
    messages.send_due(db)
    link = re.search(r"https?://[^/\s]+(/c/\S+/reset/\S+)", smtp_server.received[-1].get_content())
    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Chọn mật khẩu mới" in page.text
    form = {"csrf_token": csrf_from(page.text), "password": NEW, "confirm_password": NEW}
    done = client.post(path, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("/reset/done")
    assert "Mọi phiên đăng nhập trước đó đã kết thúc" in client.get(done.headers["location"]).text
    again = client.get(path)
    assert again.status_code == 400 and "đã được dùng" in again.text
    client.get("/lang/en")
    assert "already used" in client.get(path).text
    token = csrf_from(client.get(f"/c/{contest.slug}/login").text)
    signed_in = client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": token, "login": "020190012345", "password": NEW},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303


def test_a_helpdesk_code_from_the_support_page_is_typed_on_the_code_page(client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    make_staff(db, "ho-tro", ["support"])
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "ho-tro", "password": "correct-horse-battery"},
    )
    found = client.get(f"/admin/helpdesk?contest={contest.slug}&login=020190012345")
    assert found.status_code == 200 and "Nguyễn Thị Hoà Bình" in found.text
    action = re.search(r'action="(/admin/helpdesk/participants/\d+/code)"', found.text).group(1)
    refused = client.post(
        action, data={"csrf_token": csrf_from(found.text), "checks": ["full_name"], "note": "x"}
    )
    assert refused.status_code == 422 and "thẻ CCCD" in refused.text
    issued = client.post(
        action,
        data={
            "csrf_token": csrf_from(found.text),
            "checks": ["full_name", "date_of_birth", "citizen_id_card"],
            "note": "Gọi lại số đã đăng ký, đối chiếu thẻ CCCD",
        },
    )
    assert issued.status_code == 200
    code = re.search(r'id="helpdesk-code">(\d{3}) (\d{3})<', issued.text)
    code = code.group(1) + code.group(2)
    client.cookies.clear()
    page = client.get(f"/c/{contest.slug}/reset/code")
    form = {
        "csrf_token": csrf_from(page.text),
        "login": "0912345678",
        "code": code,
        "password": NEW,
        "confirm_password": NEW,
    }
    assert (
        client.post(f"/c/{contest.slug}/reset/code", data=form, follow_redirects=False).status_code
        == 303
    )
    reused = client.post(f"/c/{contest.slug}/reset/code", data=form)
    assert reused.status_code == 422 and "đã được dùng" in reused.text


def test_an_organiser_cannot_use_the_helpdesk(client, db):
    make_staff(db, "to-chuc", ["organiser"])
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "to-chuc", "password": "correct-horse-battery"},
    )
    assert client.get("/admin/helpdesk").status_code == 403


def test_the_staff_forgot_page_answers_the_same_for_any_username(client, db):
    make_staff(db, "ban-to-chuc", ["organiser"])
    assert "/staff/forgot" in client.get("/staff/login").text
    answers = []
    for username in ("ban-to-chuc", "khong-co-ai"):
        page = client.get("/staff/forgot")
        response = client.post(
            "/staff/forgot", data={"csrf_token": csrf_from(page.text), "username": username}
        )
        answers.append((response.status_code, "Nếu tài khoản này có email" in response.text))
    assert answers[0] == answers[1] == (200, True)


def test_an_administrator_sets_where_a_staff_members_reset_link_goes(client, db):
    make_staff(db, "quan-tri", ["admin"])
    user = make_staff(db, "ban-to-chuc", ["organiser"])
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "quan-tri", "password": "correct-horse-battery"},
    )
    page = client.get("/admin/users")
    assert "Email nhận liên kết đặt lại mật khẩu" in page.text
    bad = client.post(
        f"/admin/users/{user.id}/email", data={"csrf_token": csrf_from(page.text), "email": "x"}
    )
    assert bad.status_code == 422
    done = client.post(
        f"/admin/users/{user.id}/email",
        data={"csrf_token": csrf_from(page.text), "email": "btc@example.vn"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    db.refresh(user)
    assert user.email == "btc@example.vn"
