"""A citizen who forgot their password gets back in on a phone-sized page: asks on the sign-in
page, receives an SMS code and an email link from real local servers, sets a new password with
the code; the link then refuses, and the new password signs in."""

from __future__ import annotations

import re

import pytest
from outbox_servers import sms_gateway, smtp_server, use_sms, use_smtp  # noqa: F401 - fixtures
from playwright.sync_api import expect
from sqlalchemy import select

from contest.db import session_scope
from contest.domain import messages as texts
from contest.domain.registration import RegistrationInput
from contest.models import Contest
from contest.services import accounts, messages

CITIZEN_ID = "020190077001"
NEW = "mot cum tu moi that dai"


def _register() -> None:
    with session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
        accounts.register_participant(
            db,
            contest,
            RegistrationInput(
                full_name="Hoàng Thị Quên",
                date_of_birth="15/08/1990",
                gender="female",
                citizen_id=CITIZEN_ID,
                phone="0919077001",
                email="quen.mat.khau@example.vn",
                unit_code="LS-VANLANG",
                password="mat-khau-bi-mat",
                consent=True,
            ),
            ip="127.0.0.1",
        )


def _send_due() -> None:
    with session_scope() as db:
        messages.send_due(db)


@pytest.mark.timeout(120)
def test_reset_by_sms_code_on_a_phone(live_server, phone, artifacts, request, monkeypatch):
    mailbox = request.getfixturevalue("smtp_server")
    gateway = request.getfixturevalue("sms_gateway")
    use_smtp(monkeypatch, mailbox)
    use_sms(monkeypatch, gateway)
    _register()
    page = phone
    page.goto(live_server + "/c/lang-son-2023/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    expect(page.get_by_role("heading", name="Quên mật khẩu?")).to_be_visible()
    page.get_by_label("Số CCCD hoặc số điện thoại").fill(CITIZEN_ID)
    page.screenshot(path=str(artifacts / "reset-1-forgot-360.png"), full_page=True)
    page.get_by_role("button", name="Gửi cho tôi cách lấy lại tài khoản").click()
    expect(page.get_by_role("status")).to_contain_text("Nếu có tài khoản khớp")

    _send_due()
    code = re.search(r"\b(\d{6})\b", gateway.json_bodies()[-1]["text"]).group(1)
    link = re.search(r"https?://[^/\s]+(/c/\S+/reset/\S+)", mailbox.received[-1].get_content())

    page.get_by_label("Số CCCD hoặc số điện thoại").fill(CITIZEN_ID)
    page.get_by_label("Mã (6 chữ số, nhận qua SMS hoặc từ bộ phận hỗ trợ)").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW + " khac")
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    expect(page.locator(".field-error")).to_contain_text("không giống nhau")
    page.screenshot(path=str(artifacts / "reset-2-code-error-360.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways ({width}px)"

    expect(page.get_by_label("Mã (6 chữ số, nhận qua SMS hoặc từ bộ phận hỗ trợ)")).to_have_value(
        code
    )
    page.get_by_label("Mật khẩu mới", exact=True).fill(NEW)
    page.get_by_label("Nhập lại mật khẩu mới").fill(NEW)
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    expect(page.get_by_role("heading", name="Mật khẩu của bạn đã được đặt lại")).to_be_visible()
    page.screenshot(path=str(artifacts / "reset-3-done-360.png"), full_page=True)

    # The email link sent with the code is spent by the reset.
    page.goto(live_server + link.group(1))
    expect(page.get_by_role("alert")).to_contain_text("đã được dùng")
    page.screenshot(path=str(artifacts / "reset-4-link-used-360.png"), full_page=True)

    page.goto(live_server + "/c/lang-son-2023/login")
    page.get_by_label("Số CCCD hoặc số điện thoại").fill(CITIZEN_ID)
    page.get_by_label("Mật khẩu").fill(NEW)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/me$"))


@pytest.mark.timeout(120)
def test_the_helpdesk_and_the_outbox_on_a_phone(live_server, phone, artifacts):
    _register()  # answers the same (and makes nothing) when the first test made the account
    page = phone
    page.goto(live_server + "/staff/login")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill("demo-quantri-2023")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/admin$"))
    page.goto(live_server + "/admin/helpdesk")
    page.get_by_label("Cuộc thi").select_option("lang-son-2023")
    page.get_by_label("Số CCCD hoặc số điện thoại").fill("0919077001")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url(re.compile(r".*login=.*"))
    expect(page.get_by_role("heading", name="Hoàng Thị Quên")).to_be_visible()
    for label in ("Họ và tên", "Ngày sinh", "Thẻ CCCD (xem trực tiếp hoặc qua ảnh)"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("Cách đã xác minh người này").fill("Gọi lại số đã đăng ký, xem thẻ CCCD")
    page.screenshot(path=str(artifacts / "helpdesk-1-verify-360.png"), full_page=True)
    page.get_by_role("button", name="Cấp mã dùng một lần").click()
    expect(page.locator("#helpdesk-code")).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    page.screenshot(path=str(artifacts / "helpdesk-2-code-360.png"), full_page=True)
    with session_scope() as db:  # one message that failed every try, as the admins see it
        contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
        notice = messages.queue_message(
            db,
            "password_reset_done",
            texts.reset_done(messages.names(contest)),
            channel="email",
            address="mot.dia.chi.email.rat.dai.khong.xuong.dong@example.vn",
        )
        notice.status, notice.attempts = "failed", 5
        notice.last_error = "SMTP 127.0.0.1:9: [Errno 111] Connection refused"
        db.commit()
    page.goto(live_server + "/admin/outbox")
    expect(page.get_by_role("heading", name="Hộp thư đi")).to_be_visible()
    expect(page.get_by_role("button", name="Gửi lại").first).to_be_visible()
    page.screenshot(path=str(artifacts / "outbox-360.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the outbox scrolls sideways ({width}px)"
