"""Oversized bodies are refused before anything reads them; tokens bind to the session once signed in."""

import base64
import hashlib
import hmac

from conftest import csrf_from
from factories import make_contest, make_participant

from contest.config import get_settings
from contest.web import csrf


def test_a_body_over_the_limit_is_refused_by_its_length(client, monkeypatch):
    limit = get_settings().upload_max_bytes
    response = client.post(
        "/staff/login",
        content=b"x" * 10,
        headers={
            "Content-Length": str(limit + 10 * 1024 * 1024),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 413
    assert "quá lớn" in response.text and "too large" in response.text


def test_a_chunked_body_over_the_limit_is_cut_off(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 1024)
    from fastapi.testclient import TestClient

    from contest.web.app import create_app  # a fresh app picks up the smaller limit

    small = TestClient(create_app(), base_url="https://testserver")

    def chunks():
        for _ in range(64):
            yield b"a" * 4096

    response = small.post(
        "/staff/login",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def _token(binding: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return (
        base64.urlsafe_b64encode(
            hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).digest()
        )
        .rstrip(b"=")
        .decode()
    )


def test_signed_in_a_token_bound_to_an_anonymous_cookie_is_refused(client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    signed = client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
        follow_redirects=False,
    )
    assert csrf.ANON_COOKIE in signed.headers.get("set-cookie", "")  # deleted at sign-in
    client.cookies.set(csrf.ANON_COOKIE, "planted-by-someone", domain="testserver")
    forged = _token("a:planted-by-someone")
    response = client.post("/logout", data={"csrf_token": forged})
    assert response.status_code == 403
    own = csrf_from(client.get(f"/c/{contest.slug}/me").text)
    assert (
        client.post("/logout", data={"csrf_token": own}, follow_redirects=False).status_code == 303
    )
