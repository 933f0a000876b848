"""The change-password pages of participants and staff."""

from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from fastapi.testclient import TestClient


def _participant_signed_in(client, contest):
    token = csrf_from(client.get(f"/c/{contest.slug}/login").text)
    response = client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": token, "login": "020190012345", "password": "mat-khau-bi-mat"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_participant_changes_the_password_and_another_browser_is_signed_out(app, client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    with TestClient(app, base_url="https://testserver") as other:
        _participant_signed_in(other, contest)
        _participant_signed_in(client, contest)
        assert "/me/password" in client.get(f"/c/{contest.slug}/me").text
        page = client.get(f"/c/{contest.slug}/me/password")
        assert "Mật khẩu hiện tại" in page.text
        form = {
            "csrf_token": csrf_from(page.text),
            "current_password": "mat-khau-bi-mat",
            "password": "cum tu moi rat dai",
            "confirm_password": "cum tu moi khac",
        }
        refused = client.post(f"/c/{contest.slug}/me/password", data=form)
        assert refused.status_code == 422
        assert "không giống nhau" in refused.text
        form["confirm_password"] = "cum tu moi rat dai"
        done = client.post(f"/c/{contest.slug}/me/password", data=form, follow_redirects=False)
        assert done.status_code == 303
        assert "Đã đổi mật khẩu" in client.get(done.headers["location"]).text
        assert client.get(f"/c/{contest.slug}/me", follow_redirects=False).status_code == 200
        assert other.get(f"/c/{contest.slug}/me", follow_redirects=False).status_code == 303


def test_a_staff_member_changes_the_password_in_english(client, db):
    make_staff(db, "ho-tro", ["support"])
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "ho-tro", "password": "correct-horse-battery"},
    )
    client.get("/lang/en")
    page = client.get("/staff/password")
    assert page.status_code == 200 and "Current password" in page.text
    wrong = client.post(
        "/staff/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current_password": "nope",
            "password": "mot cau that dai",
            "confirm_password": "mot cau that dai",
        },
    )
    assert wrong.status_code == 422 and "current password is not correct" in wrong.text


def test_the_staff_page_needs_a_staff_sign_in(client, db):
    assert client.get("/staff/password", follow_redirects=False).status_code == 303
