"""A citizen registers on a phone-sized Chromium page."""

import re

from playwright.sync_api import expect


def test_participant_registers_in_chromium(live_server, phone, artifacts):
    page = phone
    page.goto(live_server + "/")
    # The demo contest by its address: other browser tests add contests to this server.
    page.locator('a[href$="/c/lang-son-2023"]').first.click()
    page.wait_for_url(re.compile(r".*/c/lang-son-2023$"))
    expect(page).to_have_title(re.compile("Lạng Sơn"))
    page.screenshot(path=str(artifacts / "home-360x640.png"), full_page=True)
    page.get_by_role("link", name="Đăng ký dự thi").first.click()
    page.wait_for_url(re.compile(r".*/register$"))

    # First a mistake: the CCCD's gender digit disagrees; HTMX swaps the form with the error.
    page.get_by_label("Họ và tên").fill("Hoàng Đức Thắng")
    page.get_by_label("Ngày sinh (dd/mm/yyyy)").fill("15/08/1990")
    page.get_by_label("Nam", exact=True).check()
    page.get_by_label("Số CCCD (12 chữ số)").fill("020190012345")
    page.get_by_label("Số điện thoại di động").fill("0912345678")
    page.get_by_label("Đơn vị (cơ quan, huyện, xã)").select_option(value="LS-VANLANG")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("mat-khau-bi-mat")
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Đăng ký").click()
    error = page.locator("#citizen_id-error")
    error.wait_for()
    assert "giới tính" in error.inner_text()
    assert page.get_by_label("Họ và tên").input_value() == "Hoàng Đức Thắng"
    page.screenshot(path=str(artifacts / "register-error-360x640.png"), full_page=True)

    page.get_by_label("Số CCCD (12 chữ số)").fill("020090012345")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("mat-khau-bi-mat")
    page.get_by_role("button", name="Đăng ký").click()
    # The same page whether or not the CCCD was known; the person then signs in.
    page.wait_for_url(re.compile(r".*/registered$"))
    page.screenshot(path=str(artifacts / "registration-received-360x640.png"), full_page=True)
    page.get_by_label("Số CCCD hoặc số điện thoại").fill("020090012345")
    page.get_by_label("Mật khẩu").fill("mat-khau-bi-mat")
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url(re.compile(r".*/me\?welcome=1$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hoàng Đức Thắng"
    assert "****2345" in page.content()
    page.screenshot(path=str(artifacts / "registered-360x640.png"), full_page=True)
