"""An organiser writes a round's prize plan on the plans page, previews it, then saves it."""

from playwright.sync_api import expect

from contest import db as database


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")


def test_organiser_writes_previews_and_saves_a_round_plan(live_server, browser, artifacts):
    from contest.models import Contest, PrizePlanRecord, Round

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    try:
        _sign_in(page, live_server, "bantochuc", "demo-organiser-2023")
        page.goto(f"{live_server}/organiser/contests/lang-son-2023/plans?round=2")
        assert "Cơ cấu giải cá nhân" in page.content()
        prize = page.locator("#prize form")
        rows = prize.locator("tbody tr")
        for i, (code, vi, en, quota, minimum) in enumerate(
            [
                ("first", "Giải Nhất", "First prize", "1", "8"),
                ("second", "Giải Nhì", "Second prize", "2", ""),
                ("third", "Giải Ba", "Third prize", "3", ""),
                ("", "", "", "", ""),
            ]
        ):
            row = rows.nth(i)
            row.locator("input[name=tier_code]").fill(code)
            row.locator("input[name=tier_label_vi]").fill(vi)
            row.locator("input[name=tier_label_en]").fill(en)
            row.locator("input[name=tier_quota]").fill(quota)
            row.locator("input[name=tier_min_score]").fill(minimum)
        page.select_option("#p-tie", "committee")
        page.fill("#p-cap", "50")
        page.select_option("#p-preview-round", "1")
        page.click("button[value=preview]")
        page.wait_for_selector("#prize-preview h3")
        preview = page.inner_text("#prize-preview")
        assert "Kết quả dự kiến theo cơ cấu này" in preview and "Giải Nhất:" in preview
        assert page.input_value("#p-cap") == "50"  # HTMX swapped only the preview
        with database.session_scope() as db:
            round_2 = (
                db.query(Round)
                .join(Contest)
                .filter(Contest.slug == "lang-son-2023", Round.number == 2)
                .one()
            )
            assert not db.query(PrizePlanRecord).filter_by(round_id=round_2.id).count()
        page.screenshot(path=str(artifacts / "plans-preview-1366.png"), full_page=True)

        page.click("#prize button[value=save]")
        page.wait_for_url("**/plans?round=2&saved=prize*")
        expect(page.locator("body")).to_contain_text("Đã lưu.")
        with database.session_scope() as db:
            record = db.query(PrizePlanRecord).filter_by(round_id=round_2.id).one()
            assert [t["quota"] for t in record.spec["tiers"]] == [1, 2, 3]
            assert record.spec["tiers"][0]["min_score"] == 8 and record.spec["cap_percent"] == 50
        page.screenshot(path=str(artifacts / "plans-saved-1366.png"))

        # A member allocates round 2 from the new plan and proposes it; four eyes: only a
        # chair who had no hand in it approves.
        page.context.clear_cookies()
        _sign_in(page, live_server, "giamkhao", "demo-committee-2023")
        page.goto(f"{live_server}/committee/lang-son-2023")
        page.click("form[action$='/rounds/2/close'] button")
        page.goto(f"{live_server}/committee/lang-son-2023")
        page.select_option("#target", "2")
        page.click("text=Phân bổ giải theo cơ cấu")
        page.wait_for_url("**/prizes/*")
        list_url = page.url
        page.click("text=Đề xuất phê duyệt")
        expect(page.locator("body")).to_contain_text("Đang chờ Trưởng ban phê duyệt.")
        assert page.locator("form[action$='/approve']").count() == 0
        page.screenshot(path=str(artifacts / "plans-proposed-1366.png"))

        page.context.clear_cookies()
        _sign_in(page, live_server, "truongban", "demo-chair-2023")
        page.goto(list_url)
        page.click("text=Phê duyệt (Trưởng ban)")
        expect(page.locator("body")).to_contain_text("Đã phê duyệt")

        # The plan the approved list was built from is now locked.
        page.context.clear_cookies()
        _sign_in(page, live_server, "bantochuc", "demo-organiser-2023")
        page.goto(f"{live_server}/organiser/contests/lang-son-2023/plans?round=2")
        assert "Danh sách giải đợt 2 phiên bản 1 đã được phê duyệt" in page.content()
        page.fill("#p-cap", "40")
        page.click("#prize button[value=save]")
        expect(page.locator("body")).to_contain_text("Chưa lưu gì.")
        expect(page.locator("body")).to_contain_text("Lý do đính chính")
    finally:
        context.close()


def test_the_plans_page_fits_a_phone(live_server, phone, artifacts):
    _sign_in(phone, live_server, "bantochuc", "demo-organiser-2023")
    phone.goto(f"{live_server}/organiser/contests/lang-son-2023/plans#collective")
    assert "Khối xét giải của từng đơn vị" in phone.content()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # the tables become one card per row
    phone.screenshot(path=str(artifacts / "plans-collective-360.png"))
