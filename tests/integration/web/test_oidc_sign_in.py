"""Sign-in with the contest's OpenID provider, against a real local provider (tests/oidc_provider.py):
a new person registers from verified claims, a password account is linked, a squatted CCCD goes
to its verified owner, and every refusal is shown in both languages and audited."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from markupsafe import escape
from oidc_provider import CLIENT_ID, CLIENT_SECRET, USER, Provider
from sqlalchemy import select

from contest.domain.errors import ContestError
from contest.domain.identity_claims import REFUSALS, ClaimMapping, ProviderSettings
from contest.models import (
    AuditPending,
    CitizenIdClaim,
    Notice,
    Participant,
    ParticipantIdentity,
    WebSession,
)
from contest.services import oidc
from contest.services.context import SYSTEM


@pytest.fixture(scope="module")
def op():
    provider = Provider().start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(op, monkeypatch):
    op.misbehave = ""
    op.user = dict(USER)
    op.client_secret = CLIENT_SECRET
    monkeypatch.setenv("CONTEST_OIDC_SECRET_TINH", CLIENT_SECRET)
    oidc.clear_caches()
    yield op
    oidc.clear_caches()


def settings(issuer: str, **overrides) -> ProviderSettings:
    values = dict(
        name_vi="VNeID",
        name_en="VNeID",
        issuer=issuer,
        client_id=CLIENT_ID,
        secret_name="tinh",
        scopes="openid profile",
        claims=ClaimMapping(),
    )
    values.update(overrides)
    return ProviderSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def contest(db, provider):
    contest = make_contest(db)
    oidc.configure(db, SYSTEM, contest, settings(provider.issuer))
    return contest


def go_to_provider(client, slug: str):
    """Press the button, let the provider approve, return its redirect back to us."""
    start = client.get(f"/c/{slug}/oidc/start", follow_redirects=False)
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == f"/c/{slug}/oidc/callback"
    return f"{back.path}?{back.query}"


def sign_in(client, slug: str):
    return client.get(go_to_provider(client, slug), follow_redirects=False)


def refusals(db, reason: str) -> list[dict]:
    rows = db.execute(select(AuditPending).where(AuditPending.action == "oidc.refused")).scalars()
    return [d for d in (json.loads(r.details) for r in rows) if d.get("reason") == reason]


def complete(client, slug: str, **fields):
    page = client.get(f"/c/{slug}/oidc/complete")
    assert page.status_code == 200, page.text
    data = {
        "csrf_token": csrf_from(page.text),
        "phone": "0912345678",
        "email": "",
        "unit_code": "LS-TP-CL",
        "consent": "yes",
    }
    data.update(fields)
    return client.post(f"/c/{slug}/oidc/complete", data=data, follow_redirects=False)


def test_the_sign_in_pages_offer_the_provider_only_when_it_is_on(client, db, contest):
    assert "Đăng nhập bằng VNeID" in client.get(f"/c/{contest.slug}/login").text
    assert "Đăng nhập bằng VNeID" in client.get(f"/c/{contest.slug}/register").text
    oidc.disable(db, SYSTEM, contest)
    assert "VNeID" not in client.get(f"/c/{contest.slug}/login").text


def test_a_new_person_registers_from_verified_claims_and_signs_in_again_in_one_step(
    client, db, contest, provider
):
    first = sign_in(client, contest.slug)
    assert first.status_code == 303
    assert first.headers["location"] == f"/c/{contest.slug}/oidc/complete"
    page = client.get(f"/c/{contest.slug}/oidc/complete")
    assert "Nguyễn Thị Hoà Bình" in page.text
    assert "020190012345" not in page.text  # masked even to its owner on screen
    assert 'name="date_of_birth"' not in page.text  # the provider gave it
    done = complete(client, contest.slug)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/c/{contest.slug}/me?welcome=1"
    person = db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id, Participant.citizen_id == USER["citizen_id"]
        )
    ).scalar_one()
    assert person.full_name == "Nguyễn Thị Hoà Bình"
    assert person.gender == "female"
    assert person.date_of_birth.isoformat() == "1990-08-15"
    assert person.password_hash == oidc.NO_PASSWORD
    link = db.execute(
        select(ParticipantIdentity).where(ParticipantIdentity.participant_id == person.id)
    ).scalar_one()
    assert (link.issuer, link.subject) == (provider.issuer, USER["sub"])
    assert client.get(f"/c/{contest.slug}/me").status_code == 200
    # The token endpoint was called with the PKCE verifier and the client's secret.
    assert ("POST", "/token") in provider.requests

    client.post("/logout", data={"csrf_token": csrf_from(client.get(f"/c/{contest.slug}/me").text)})
    again = sign_in(client, contest.slug)
    assert again.status_code == 303
    assert again.headers["location"] == f"/c/{contest.slug}/me"
    # No password sign-in for an account made through the provider.
    login = client.get(f"/c/{contest.slug}/login")
    refused = client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(login.text),
            "login": USER["citizen_id"],
            "password": "!oidc",
        },
    )
    assert refused.status_code == 400


def test_details_missing_from_the_id_token_are_read_from_user_info(client, db, contest, provider):
    provider.misbehave = "details_in_userinfo"
    assert sign_in(client, contest.slug).headers["location"].endswith("/oidc/complete")
    assert ("GET", "/userinfo") in provider.requests


def test_the_follow_up_form_asks_for_what_the_provider_did_not_give(client, db, contest, provider):
    provider.user = {k: v for k, v in USER.items() if k not in ("birthdate", "phone_number")}
    sign_in(client, contest.slug)
    page = client.get(f"/c/{contest.slug}/oidc/complete")
    assert 'name="date_of_birth"' in page.text
    wrong = complete(client, contest.slug, date_of_birth="15/08/1991", phone="123", consent="")
    assert wrong.status_code == 422
    assert "năm sinh 1990" in wrong.text
    assert "Số điện thoại di động phải gồm 10 chữ số" in wrong.text
    assert "Nghị định 13/2023" in wrong.text
    done = complete(client, contest.slug, date_of_birth="15/08/1990", phone="0987654321")
    assert done.status_code == 303, done.text


def test_a_password_account_with_the_same_details_is_linked_and_its_password_stops(
    client, db, contest, provider
):
    holder = make_participant(db, contest, full_name="NGUYEN THI HOA BINH", email="hb@example.vn")
    # The holder's earlier session, elsewhere.
    other = client.get(f"/c/{contest.slug}/login")
    client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(other.text),
            "login": USER["citizen_id"],
            "password": "mat-khau-bi-mat",
        },
    )
    client.cookies.clear()
    linked = sign_in(client, contest.slug)
    assert linked.status_code == 303, linked.text
    assert linked.headers["location"] == f"/c/{contest.slug}/me?linked=1"
    db.refresh(holder)
    assert holder.full_name == "Nguyễn Thị Hoà Bình"  # the provider's spelling
    assert holder.password_hash == oidc.NO_PASSWORD
    live = db.execute(
        select(WebSession).where(
            WebSession.participant_id == holder.id, WebSession.ended_at.is_(None)
        )
    ).scalars()
    assert len(list(live)) == 1  # only this sign-in's
    notices = db.execute(
        select(Notice).where(Notice.participant_id == holder.id, Notice.kind == "identity_linked")
    ).scalars()
    assert sorted(n.channel for n in notices) == ["email", "sms"]
    page = client.get(f"/c/{contest.slug}/me?linked=1")
    assert "đã được liên kết với VNeID" in page.text


def test_a_cccd_squatted_under_another_name_goes_to_its_verified_owner(
    client, db, contest, provider
):
    squatter = make_participant(db, contest, full_name="Trần Thị Mạo Danh", phone="0977000111")
    sign_in(client, contest.slug)
    page = client.get(f"/c/{contest.slug}/oidc/complete")
    assert "dưới một tên khác" in page.text
    done = complete(client, contest.slug)
    assert done.status_code == 303, done.text
    db.refresh(squatter)
    assert squatter.citizen_id.startswith("R")  # revoked by the upheld claim
    owner = db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id, Participant.citizen_id == USER["citizen_id"]
        )
    ).scalar_one()
    assert owner.full_name == "Nguyễn Thị Hoà Bình"
    claim = db.execute(
        select(CitizenIdClaim).where(CitizenIdClaim.contest_id == contest.id)
    ).scalar_one()
    assert (claim.status, claim.holder_participant_id) == ("upheld", squatter.id)


@pytest.mark.parametrize(
    ("misbehave", "reason", "vietnamese"),
    [
        ("bad_signature", "bad_signature", "Chữ ký của thẻ định danh không hợp lệ"),
        ("unsigned", "bad_signature", "Chữ ký của thẻ định danh không hợp lệ"),
        ("wrong_audience", "wrong_audience", "được cấp cho một ứng dụng khác"),
        ("expired", "expired_token", "Thẻ định danh đã hết hạn"),
        ("wrong_nonce", "wrong_nonce", "nonce không khớp"),
        ("wrong_issuer", "wrong_issuer", "không do nhà cung cấp đã cấu hình phát hành"),
        ("missing_citizen_id", "missing_citizen_id", "không cung cấp số CCCD"),
        ("deny", "denied", "không cho phép đăng nhập"),
    ],
)
def test_a_bad_answer_from_the_provider_is_refused_and_audited(
    client, db, contest, provider, misbehave, reason, vietnamese
):
    provider.misbehave = misbehave
    refused = sign_in(client, contest.slug)
    assert refused.status_code == 400
    assert vietnamese in refused.text
    assert contest_session_count(db, contest) == 0
    assert len(refusals(db, reason)) == 1
    client.get(f"/lang/en?next=/c/{contest.slug}/login")
    provider.misbehave = misbehave
    english = sign_in(client, contest.slug)
    assert oidc_message_en(reason) in english.text


def contest_session_count(db, contest) -> int:
    return len(
        list(
            db.execute(
                select(WebSession.id)
                .join(Participant, Participant.id == WebSession.participant_id)
                .where(Participant.contest_id == contest.id)
            )
        )
    )


def oidc_message_en(reason: str) -> str:
    return str(escape(REFUSALS[reason][1]))


def test_a_forged_state_or_another_browser_is_refused(client, db, contest, provider):
    callback = go_to_provider(client, contest.slug)
    forged = client.get(
        callback.replace("state=", "state=x"), follow_redirects=False
    )  # a state never issued
    assert forged.status_code == 400
    assert "không khớp với trình duyệt này" in forged.text
    client.cookies.delete("contest_oidc")  # the same link opened in another browser
    elsewhere = client.get(callback, follow_redirects=False)
    assert elsewhere.status_code == 400
    assert len(refusals(db, "wrong_state")) == 2


def test_a_replayed_callback_and_a_replayed_code_are_refused(client, db, contest, provider):
    callback = go_to_provider(client, contest.slug)
    assert client.get(callback, follow_redirects=False).status_code == 303
    replay = client.get(callback, follow_redirects=False)
    assert replay.status_code == 400
    assert "đã được dùng" in replay.text
    # The old code with a fresh state: the provider refuses it (codes are single use).
    old_code = dict(p.split("=", 1) for p in urlsplit(callback).query.split("&"))["code"]
    fresh = urlsplit(go_to_provider(client, contest.slug))
    params = dict(p.split("=", 1) for p in fresh.query.split("&"))
    again = client.get(
        f"{fresh.path}?code={old_code}&state={params['state']}", follow_redirects=False
    )
    assert again.status_code == 400
    assert "từ chối mã đăng nhập" in again.text
    assert len(refusals(db, "replayed")) == 1
    assert len(refusals(db, "code_rejected")) == 1


def test_a_provider_that_does_not_answer_is_said_so(client, db, provider):
    gone = Provider().start()
    contest = make_contest(db, "thu-nghiem-2")
    oidc.configure(db, SYSTEM, contest, settings(gone.issuer))
    callback = go_to_provider(client, contest.slug)
    gone.stop()  # down between the approval and the token exchange
    down = client.get(callback, follow_redirects=False)
    assert down.status_code == 503
    assert "Không kết nối được với nhà cung cấp định danh" in down.text
    oidc.clear_caches()
    at_start = client.get(f"/c/{contest.slug}/oidc/start", follow_redirects=False)
    assert at_start.status_code == 503
    assert "Không kết nối được với nhà cung cấp định danh" in at_start.text
    assert len(refusals(db, "provider_down")) == 2


def test_a_missing_client_secret_is_refused_before_going_to_the_provider(
    client, db, contest, provider, monkeypatch
):
    monkeypatch.delenv("CONTEST_OIDC_SECRET_TINH")
    start = client.get(f"/c/{contest.slug}/oidc/start", follow_redirects=False)
    assert start.status_code == 503
    assert "thiếu cấu hình" in start.text
    assert len(refusals(db, "secret_missing")) == 1


def test_organisers_configure_the_provider_on_a_page_and_others_may_not(client, db, provider):
    contest = make_contest(db, "cau-hinh")
    make_staff(db, "bantochuc", ["organiser"])
    make_staff(db, "giamkhao", ["committee_member"])
    login = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(login.text),
            "username": "bantochuc",
            "password": "correct-horse-battery",
        },
    )
    page = client.get(f"/organiser/contests/{contest.slug}/sign-in")
    assert page.status_code == 200
    assert f"/c/{contest.slug}/oidc/callback" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "name_vi": "Đăng nhập một lần tỉnh Lạng Sơn",
        "name_en": "Lạng Sơn single sign-on",
        "issuer": "http://sso.example.vn",
        "client_id": CLIENT_ID,
        "secret_name": "../etc/passwd",
        "scopes": "profile",
        "claim_citizen_id": "cccd",
        "claim_full_name": "name",
        "claim_birthdate": "birthdate",
        "claim_phone": "phone_number",
    }
    bad = client.post(f"/organiser/contests/{contest.slug}/sign-in", data=form)
    assert bad.status_code == 422
    assert "issuer" in bad.text and "openid" in bad.text and "Tên khoá bí mật" in bad.text
    form.update(issuer=provider.issuer, secret_name="tinh", scopes="openid profile")
    saved = client.post(
        f"/organiser/contests/{contest.slug}/sign-in", data=form, follow_redirects=False
    )
    assert saved.status_code == 303
    row = oidc.provider_of(db, contest)
    assert row is not None and row.enabled and row.claim_citizen_id == "cccd"
    audit_page = client.get(saved.headers["location"])
    assert "Đã lưu" in audit_page.text
    off = client.post(
        f"/organiser/contests/{contest.slug}/sign-in/disable",
        data={"csrf_token": csrf_from(audit_page.text)},
        follow_redirects=False,
    )
    assert off.status_code == 303
    db.refresh(row)
    assert not row.enabled

    client.post("/logout", data={"csrf_token": csrf_from(audit_page.text)})
    login = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(login.text),
            "username": "giamkhao",
            "password": "correct-horse-battery",
        },
    )
    token = csrf_from(client.get("/staff/login").text)
    forbidden = client.post(
        f"/organiser/contests/{contest.slug}/sign-in", data={**form, "csrf_token": token}
    )
    assert forbidden.status_code == 403


def test_abandoned_sign_ins_and_the_details_they_hold_are_purged(client, db, contest, provider):
    from datetime import timedelta

    from contest import clock
    from contest.models import OidcSignIn

    sign_in(client, contest.slug)  # verified, follow-up form never sent
    assert oidc.purge_old_sign_ins(db) == 0
    clock.shift(timedelta(hours=1))
    assert oidc.purge_old_sign_ins(db) == 1
    assert db.execute(select(OidcSignIn)).first() is None


def test_a_sign_in_left_at_the_provider_for_over_ten_minutes_is_refused(
    client, db, contest, provider
):
    from datetime import timedelta

    from contest import clock

    callback = go_to_provider(client, contest.slug)
    clock.shift(timedelta(minutes=11))
    late = client.get(callback, follow_redirects=False)
    assert late.status_code == 400
    assert "quá hạn" in late.text
    assert len(refusals(db, "request_expired")) == 1


def test_an_account_signed_in_through_the_provider_has_no_password_to_reset(
    client, db, contest, provider
):
    from contest.services import resets

    sign_in(client, contest.slug)
    assert complete(client, contest.slug, email="hb@example.vn").status_code == 303
    person = db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id, Participant.citizen_id == USER["citizen_id"]
        )
    ).scalar_one()
    queued = resets.request_participant_reset(db, contest, USER["citizen_id"], "127.0.0.1")
    assert sorted(n.kind for n in queued) == ["password_reset_linked"] * 2
    assert "đăng nhập bằng VNeID" in queued[0].message_vi
    from contest.models import PasswordReset

    assert db.execute(select(PasswordReset)).first() is None  # no link, no code
    helpdesk = make_staff(db, "hotro", ["support"])
    from contest.services.context import Actor

    with pytest.raises(ContestError, match="identity provider"):
        resets.issue_helpdesk_code(
            db,
            Actor("staff", helpdesk.id, "hotro", "127.0.0.1"),
            person,
            checks=["citizen_id_card"],
            note="Đã xem thẻ CCCD qua video.",
        )
