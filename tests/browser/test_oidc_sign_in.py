"""A citizen signs in with the contest's identity provider on a phone-sized Chromium page: the
button, the local provider (tests/oidc_provider.py) approving at once, the follow-up form, the
account; then a second sign-in in one tap. Screenshots land in test-artifacts/."""

import re

import pytest
from oidc_provider import CLIENT_ID, CLIENT_SECRET, USER, Provider
from playwright.sync_api import expect

PERSON = {
    **USER,
    "sub": "vneid-browser-0001",
    "citizen_id": "020095001234",
    "name": "Hoàng Văn Nam",
    "birthdate": "1995-03-02",
}
PERSON.pop("phone_number")


@pytest.fixture
def provider(live_server, monkeypatch):
    from contest import db as database
    from contest.config import get_settings
    from contest.domain.identity_claims import ClaimMapping, ProviderSettings
    from contest.services import contests, oidc
    from contest.services.context import SYSTEM

    op = Provider().start()
    op.user = dict(PERSON)
    monkeypatch.setenv("CONTEST_OIDC_SECRET_VNEID_TEST", CLIENT_SECRET)
    # The provider sends the browser back to the live server's address.
    monkeypatch.setattr(get_settings(), "base_url", live_server)
    oidc.clear_caches()
    with database.session_scope() as db:
        contest = contests.get_by_slug(db, "lang-son-2023")
        oidc.configure(
            db,
            SYSTEM,
            contest,
            ProviderSettings(
                "VNeID",
                "VNeID",
                op.issuer,
                CLIENT_ID,
                "vneid-test",
                "openid profile",
                ClaimMapping(),
            ),
        )
    yield op
    with database.session_scope() as db:
        oidc.disable(db, SYSTEM, contests.get_by_slug(db, "lang-son-2023"))
    oidc.clear_caches()
    op.stop()


def test_a_citizen_signs_in_with_the_identity_provider_on_a_phone(
    live_server, provider, phone, artifacts
):
    page = phone
    page.goto(f"{live_server}/c/lang-son-2023/login")
    button = page.get_by_role("link", name="Đăng nhập bằng VNeID")
    button.wait_for()
    page.screenshot(path=str(artifacts / "oidc-login-360x640.png"), full_page=True)
    button.click()

    page.get_by_role("heading", name="Hoàn tất đăng ký").wait_for()
    assert "Hoàng Văn Nam" in page.content()
    assert "02/03/1995" in page.content()
    page.screenshot(path=str(artifacts / "oidc-complete-360x640.png"), full_page=True)
    page.get_by_label("Số điện thoại di động").fill("0398765401")
    page.get_by_label("Đơn vị (cơ quan, huyện, xã)").select_option(value="LS-VANLANG")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r".*/me\?welcome=1$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hoàng Văn Nam"
    page.screenshot(path=str(artifacts / "oidc-signed-in-360x640.png"), full_page=True)

    # Signed out, one tap signs the person in again.
    page.get_by_role("button", name=re.compile("Đăng xuất")).click()
    expect(page.get_by_role("button", name=re.compile("Đăng xuất"))).to_have_count(0)
    page.goto(f"{live_server}/c/lang-son-2023/login")
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    page.wait_for_url(re.compile(r".*/c/lang-son-2023/me$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hoàng Văn Nam"

    # A refusal, in the person's language.
    provider.misbehave = "wrong_audience"
    page.goto(f"{live_server}/lang/en?next=/c/lang-son-2023/login")
    page.get_by_role("button", name=re.compile("Sign out|Đăng xuất")).first.click()
    expect(page.get_by_role("button", name=re.compile("Sign out|Đăng xuất"))).to_have_count(0)
    page.goto(f"{live_server}/c/lang-son-2023/login")
    page.get_by_role("link", name="Sign in with VNeID").click()
    page.get_by_role("heading", name="Sign-in not accepted").wait_for()
    assert "issued to another application" in page.content()
    page.screenshot(path=str(artifacts / "oidc-refused-en-360x640.png"), full_page=True)


def test_an_organiser_reads_the_provider_settings_on_a_phone(
    live_server, provider, browser, artifacts
):
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=username]", "bantochuc")
    page.fill("input[name=password]", "demo-organiser-2023")
    page.click("form button")
    page.wait_for_url(re.compile(r".*/(admin|organiser).*"))
    page.goto(f"{live_server}/organiser/contests/lang-son-2023/sign-in")
    page.get_by_role("heading", name=re.compile("Đăng nhập qua nhà cung cấp định danh")).wait_for()
    assert "/c/lang-son-2023/oidc/callback" in page.content()
    assert "Đã có trên máy chủ này." in page.content()
    page.screenshot(path=str(artifacts / "oidc-settings-360x640.png"), full_page=True)
    context.close()
