"""The staff API with tokens: made on the admin page, used with Bearer; refused when missing,
wrong, expired, revoked, for another contest or without the scope; every use audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_staff, make_weekly_contest
from sqlalchemy import select

from contest import clock
from contest.models import ApiToken, AuditEntry
from contest.services import api_tokens
from contest.services.context import SYSTEM

# The known data: the same signed contest as the public API's tests.
from tests.integration.web.test_api_public import PEOPLE, signed  # noqa: F401


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _token(db, slugs, scopes=("prizes:read",), days=30, name="Cổng dữ liệu tỉnh"):
    return api_tokens.create(
        db, SYSTEM, name=name, contest_slugs=list(slugs), scopes=list(scopes), days=days
    )


def test_prize_lists_with_full_names_as_the_committee_export(client, db, signed):  # noqa: F811
    contest, people, individual, collective, chair = signed
    created = _token(db, [contest.slug])
    r = client.get(
        f"/api/v1/staff/contests/{contest.slug}/prize-lists", headers=_bearer(created.secret)
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    lists = r.json()["prize_lists"]
    # Approved lists count, published or not: the province pulls the signed decision.
    assert [(pl["kind"], pl["status"], pl["round_number"]) for pl in lists] == [
        ("individual", "approved", 1),
        ("collective", "approved", None),
    ]
    assert [
        (line["position"], line["name"], line["date_of_birth"], line["unit"], line["tier_label_vi"])
        for line in lists[0]["lines"]
    ] == [
        (1, "Nguyễn Thị Hoà Bình", "1985-01-02", "Thành phố Lạng Sơn", "Giải Nhất"),
        (2, "Hoàng Văn Sử", "1985-01-02", "Huyện Tràng Định", "Giải Nhì"),
        (3, "Lương Thị Ưng", "1985-01-02", "Huyện Văn Lãng", "Giải Nhì"),
    ]
    assert lists[1]["lines"][0]["name"] == "Thành phố Lạng Sơn"
    assert lists[1]["lines"][0]["date_of_birth"] is None

    data = client.get(
        f"/api/v1/staff/contests/{contest.slug}/prize-lists.csv", headers=_bearer(created.secret)
    ).content
    assert data.startswith(b"\xef\xbb\xbf")
    first, rest = data.decode("utf-8-sig").split("\r\n", 1)
    assert first.startswith("# Dữ liệu cá nhân")
    rows = list(csv.reader(io.StringIO(rest)))
    assert rows[1][6:9] == ["Nguyễn Thị Hoà Bình", "02/01/1985", "Thành phố Lạng Sơn"]

    token = db.get(ApiToken, created.token.id)
    db.refresh(token)
    assert token.use_count == 2 and token.last_used_at is not None
    uses = db.execute(
        select(AuditEntry).where(
            AuditEntry.action == "api_token.use", AuditEntry.object_id == str(token.id)
        )
    ).scalars()
    assert len(list(uses)) == 2


def test_ranking_needs_the_rankings_scope(client, db, signed):  # noqa: F811
    contest, *_ = signed
    prizes_only = _token(db, [contest.slug])
    url = f"/api/v1/staff/contests/{contest.slug}/rounds/1/ranking"
    refused = client.get(url, headers=_bearer(prizes_only.secret))
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert "rankings:read" in refused.json()["message_en"]
    assert (
        db.execute(select(AuditEntry).where(AuditEntry.action == "api_token.refused"))
        .scalars()
        .first()
    )

    both = _token(db, [contest.slug], scopes=("prizes:read", "rankings:read"))
    body = client.get(url, headers=_bearer(both.secret)).json()
    assert [(line["rank"], line["full_name"], line["correct"]) for line in body["lines"]][:3] == [
        (1, "Nguyễn Thị Hoà Bình", 10),
        (2, "Hoàng Văn Sử", 9),
        (3, "Lương Thị Ưng", 9),
    ]
    assert {line["full_name"] for line in body["lines"]} == {p[0] for p in PEOPLE}
    csv_text = client.get(url + ".csv", headers=_bearer(both.secret)).content.decode("utf-8-sig")
    assert "Hoàng Văn Sử" in csv_text
    missing = client.get(
        f"/api/v1/staff/contests/{contest.slug}/rounds/7/ranking", headers=_bearer(both.secret)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_token_for_another_contest_is_refused(client, db, signed):  # noqa: F811
    contest, *_ = signed
    other = make_weekly_contest(db, "cuoc-thi-khac")
    created = _token(db, [other.slug])
    r = client.get(
        f"/api/v1/staff/contests/{contest.slug}/prize-lists", headers=_bearer(created.secret)
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden_contest"
    assert 'error="insufficient_scope"' not in r.headers.get("www-authenticate", "")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer ct_not-a-real-token-at-all-xxxxxxxx"}, "invalid_token"),
        ({"Authorization": "Bearer something"}, "invalid_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
    ],
)
def test_no_token_or_a_wrong_one_is_401(client, db, signed, headers, code):  # noqa: F811
    contest, *_ = signed
    r = client.get(f"/api/v1/staff/contests/{contest.slug}/prize-lists", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == code
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["message_vi"] and r.json()["message_en"]
    # Nothing is said about which contests exist before the token is accepted.
    assert (
        client.get("/api/v1/staff/contests/khong-co/prize-lists", headers=headers).status_code
        == 401
    )


def test_an_expired_token_is_refused(client, db, signed):  # noqa: F811
    contest, *_ = signed
    created = _token(db, [contest.slug], days=1)
    url = f"/api/v1/staff/contests/{contest.slug}/prize-lists"
    assert client.get(url, headers=_bearer(created.secret)).status_code == 200
    clock.freeze(clock.now() + timedelta(days=1, seconds=1))
    r = client.get(url, headers=_bearer(created.secret))
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_revoked_token_is_refused_at_once(client, db, signed):  # noqa: F811
    contest, *_ = signed
    created = _token(db, [contest.slug])
    url = f"/api/v1/staff/contests/{contest.slug}/prize-lists"
    assert client.get(url, headers=_bearer(created.secret)).status_code == 200
    api_tokens.revoke(db, SYSTEM, created.token.id, "Hệ thống cũ ngừng dùng")
    r = client.get(url, headers=_bearer(created.secret))
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    info = client.get("/api/v1/staff/token", headers=_bearer(created.secret))
    assert info.status_code == 401


def test_the_token_endpoint_tells_its_scopes_and_contests(client, db, signed):  # noqa: F811
    contest, *_ = signed
    created = _token(db, [contest.slug], scopes=("rankings:read",))
    body = client.get("/api/v1/staff/token", headers=_bearer(created.secret)).json()
    assert body["scopes"] == ["rankings:read"] and body["contests"] == [contest.slug]
    assert body["prefix"] == created.secret[:7] and created.secret.startswith("ct_")


def test_only_the_hash_of_the_secret_is_stored(db, signed):  # noqa: F811
    contest, *_ = signed
    created = _token(db, [contest.slug])
    row = db.get(ApiToken, created.token.id)
    assert created.secret not in (row.token_hash, row.prefix)
    import hashlib

    assert row.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()


# --- the admin page -------------------------------------------------------------------------


def _sign_in(client, username: str) -> None:
    page = client.get("/staff/login")
    r = client.post(
        "/staff/login",
        data={
            "username": username,
            "password": "correct-horse-battery",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_an_administrator_creates_sees_once_and_revokes_a_token(client, db, signed):  # noqa: F811
    contest, *_ = signed
    make_staff(db, "quantri-api", ["admin"])
    _sign_in(client, "quantri-api")
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200 and "API" in page.text
    r = client.post(
        "/admin/api-tokens",
        data={
            "name": "Cổng thông tin tỉnh Lạng Sơn",
            "contests": [contest.slug],
            "scopes": ["prizes:read", "rankings:read"],
            "days": "30",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r"(ct_[A-Za-z0-9_\-]{20,})", r.text).group(1)
    listing = client.get("/admin/api-tokens").text
    assert (
        secret not in listing
        and secret[:7] in listing
        and "Cổng thông tin tỉnh Lạng Sơn" in listing
    )
    assert (
        client.get(
            f"/api/v1/staff/contests/{contest.slug}/prize-lists", headers=_bearer(secret)
        ).status_code
        == 200
    )

    token = db.execute(select(ApiToken).where(ApiToken.prefix == secret[:7])).scalar_one()
    created = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
        .scalars()
        .all()
    )
    assert created and secret not in created[-1].details
    r = client.post(
        f"/admin/api-tokens/{token.id}/revoke",
        data={"reason": "Đổi mã", "csrf_token": csrf_from(listing)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        client.get(
            f"/api/v1/staff/contests/{contest.slug}/prize-lists", headers=_bearer(secret)
        ).status_code
        == 401
    )
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")).first()


def test_the_form_refuses_a_token_without_scope_or_contest(client, db, signed):  # noqa: F811
    make_staff(db, "quantri-api2", ["admin"])
    _sign_in(client, "quantri-api2")
    page = client.get("/admin/api-tokens")
    r = client.post(
        "/admin/api-tokens",
        data={"name": "", "days": "0", "csrf_token": csrf_from(page.text)},
    )
    assert r.status_code == 422
    for words in ("Hãy đặt tên", "Chọn ít nhất một cuộc thi", "Chọn ít nhất một quyền", "Thời hạn"):
        assert words in r.text
    assert "ct_" not in r.text.split("<form", 1)[0].split("<table", 1)[0]


def test_only_administrators_manage_tokens(client, db, signed):  # noqa: F811
    make_staff(db, "banto-api", ["organiser", "committee_chair"])
    _sign_in(client, "banto-api")
    assert client.get("/admin/api-tokens").status_code == 403
