"""The chair approves a prize list and the public winners page shows it, masked."""

from playwright.sync_api import expect

from contest import db as database


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")


def test_chair_approves_a_correction_and_the_public_page_shows_it(live_server, phone, artifacts):
    from contest.models import PrizeList

    # the demo published version 1; the committee allocates a correction (version 2)
    _sign_in(phone, live_server, "giamkhao", "demo-committee-2023")
    phone.goto(f"{live_server}/committee/lang-son-2023")
    phone.select_option("#target", "1")
    phone.fill("#correction", "Đính chính sau khi xét khiếu nại")
    phone.click("text=Phân bổ giải theo cơ cấu")
    phone.wait_for_url("**/prizes/*")
    expect(phone.locator("body")).to_contain_text("Phiên bản")
    phone.click("text=Đề xuất phê duyệt")
    expect(phone.locator("body")).to_contain_text("Đang chờ Trưởng ban phê duyệt.")
    phone.context.clear_cookies()

    _sign_in(phone, live_server, "truongban", "demo-chair-2023")
    with database.session_scope() as db:
        v2 = (
            db.query(PrizeList).filter(PrizeList.kind == "individual", PrizeList.version == 2).one()
        )
        list_id = v2.id
    phone.goto(f"{live_server}/committee/lang-son-2023/prizes/{list_id}")
    phone.click("text=Phê duyệt (Trưởng ban)")
    expect(phone.locator("body")).to_contain_text("Đã phê duyệt")
    phone.click("text=Công bố")
    phone.goto(f"{live_server}/committee/lang-son-2023/rounds/1/ranking")
    phone.screenshot(path=str(artifacts / "committee-ranking-360.png"))

    phone.context.clear_cookies()
    phone.goto(f"{live_server}/c/lang-son-2023/results")
    page = phone.content()
    assert "Giải cá nhân — Tuần 1" in page and "Phiên bản 2" in page
    assert "Giải Nhất" in page and "CCCD ****" in page
    with database.session_scope() as db:
        first = next(e for e in db.get(PrizeList, list_id).entries if e.tier_code == "first")
        from contest.models import Participant

        person = db.get(Participant, first.participant_id)
        assert person.full_name not in page  # the given name is reduced to its initial
        assert person.citizen_id not in page and person.citizen_id[-4:] in page
    phone.screenshot(path=str(artifacts / "public-winners-360.png"), full_page=True)
