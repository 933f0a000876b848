"""The owner of a squatted CCCD files a claim on a phone; the committee decides it on a laptop.
Screenshots in Vietnamese and English land in test-artifacts/."""

import re


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")


def test_a_claim_is_filed_on_a_phone_and_decided_by_the_committee(
    live_server, phone, browser, artifacts
):
    page = phone
    page.goto(f"{live_server}/c/lang-son-2023/claim")
    page.get_by_role("button", name="Gửi đề nghị").click()  # nothing filled: browser refuses
    page.get_by_label("Số CCCD của bạn (12 chữ số)").fill("020190077777")
    page.get_by_label("Họ và tên").fill("Hoàng Thị Lan")
    page.get_by_label("Số điện thoại di động (Ban Tổ chức sẽ gọi lại)").fill("0977777777")
    page.get_by_label(re.compile("Bằng chứng của bạn")).fill("ngắn")
    page.get_by_role("button", name="Gửi đề nghị").click()
    page.locator("#evidence-error").wait_for()
    page.screenshot(path=str(artifacts / "claim-error-360x640.png"), full_page=True)
    page.get_by_label(re.compile("Bằng chứng của bạn")).fill(
        "Tôi mang thẻ CCCD đến UBND phường Chi Lăng được vào sáng thứ Hai."
    )
    page.get_by_role("button", name="Gửi đề nghị").click()
    page.get_by_role("heading", name="Đã nhận đề nghị").wait_for()
    page.screenshot(path=str(artifacts / "claim-filed-360x640.png"), full_page=True)
    page.goto(f"{live_server}/lang/en?next=/c/lang-son-2023/claim")
    page.get_by_role("heading", name="Claim your citizen ID").wait_for()
    page.screenshot(path=str(artifacts / "claim-form-en-360x640.png"), full_page=True)

    laptop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN").new_page()
    _sign_in(laptop, live_server, "giamkhao", "demo-committee-2023")
    laptop.goto(f"{live_server}/committee/lang-son-2023/claims")
    laptop.locator("a[href*='/claims/']").last.click()
    laptop.get_by_role("heading", name=re.compile(r"Đề nghị #\d+")).wait_for()
    laptop.check("input[name=decision][value=upheld]")
    laptop.fill("#reason", "Đã gọi điện và xem thẻ CCCD gốc tại phường.")
    laptop.get_by_role("button", name="Ghi nhận quyết định").click()
    laptop.get_by_text("Đã gọi điện và xem thẻ CCCD gốc").wait_for()
    laptop.screenshot(path=str(artifacts / "committee-claim-1280x800.png"), full_page=True)
    laptop.goto(f"{live_server}/committee/lang-son-2023/claims")
    laptop.screenshot(path=str(artifacts / "committee-claims-1280x800.png"), full_page=True)
    laptop.context.close()
