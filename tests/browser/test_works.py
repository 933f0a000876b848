"""A group submits a work with a file on a phone; the organiser assigns it; a judge scores it."""

from playwright.sync_api import expect

from contest import db as database
from contest.services.demo_works import AUTHORS, PASSWORD, SLUG


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button")


def _participant_sign_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/c/{SLUG}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")


def test_a_group_submits_a_work_and_a_judge_scores_it(live_server, phone, artifacts, tmp_path):
    from contest.models import Work

    contact, member = AUTHORS[0], AUTHORS[3]
    _participant_sign_in(phone, live_server, contact[3])
    phone.goto(f"{live_server}/c/{SLUG}/works")
    phone.fill("#group-name", "Nhóm Bản Hụm số")
    phone.fill("#members", member[3])
    phone.get_by_role("button", name="Tạo nhóm", exact=True).click()
    body = phone.locator("body")
    expect(body).to_contain_text("Nhóm Bản Hụm số")
    expect(body).to_contain_text("chờ xác nhận")
    expect(body).not_to_contain_text(member[0])
    phone.screenshot(path=str(artifacts / "works-group-invited-360.png"), full_page=True)
    phone.context.clear_cookies()

    # The invited member joins only by accepting on their own page.
    _participant_sign_in(phone, live_server, member[3])
    phone.goto(f"{live_server}/c/{SLUG}/works")
    expect(phone.locator("body")).to_contain_text("Lời mời tham gia nhóm tác giả")
    phone.screenshot(path=str(artifacts / "works-invitation-360.png"), full_page=True)
    phone.get_by_role("button", name="Chấp nhận", exact=True).click()
    expect(phone.locator("body")).not_to_contain_text("Lời mời tham gia nhóm tác giả")
    phone.context.clear_cookies()

    _participant_sign_in(phone, live_server, contact[3])
    phone.goto(f"{live_server}/c/{SLUG}/works")
    phone.fill("#title", "Bản Hụm học kỹ năng số")
    phone.select_option("#group_id", label="Nhóm tác giả: Nhóm Bản Hụm số")
    phone.fill("#description", "Phóng sự ảnh về tổ công nghệ số cộng đồng.")
    phone.get_by_role("button", name="Lưu bản nháp", exact=True).click()
    expect(phone.locator("#file")).to_be_visible()
    pdf = tmp_path / "phong-su.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% browser test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    phone.set_input_files("#file", str(pdf))
    phone.get_by_role("button", name="Tải lên", exact=True).click()
    expect(phone.locator("body")).to_contain_text("phong-su.pdf")
    phone.screenshot(path=str(artifacts / "works-draft-360.png"), full_page=True)
    phone.check("input[name=declaration]")
    phone.get_by_role("button", name="Nộp tác phẩm", exact=True).click()
    expect(phone.locator("body")).to_contain_text("Bài đã nộp là chính thức.")
    phone.screenshot(path=str(artifacts / "works-submitted-360.png"), full_page=True)
    with database.session_scope() as db:
        work_id = db.query(Work).filter(Work.title == "Bản Hụm học kỹ năng số").one().id
    phone.context.clear_cookies()

    _sign_in(phone, live_server, "bantochuc", "demo-organiser-2023")
    phone.goto(f"{live_server}/committee/{SLUG}/works")
    phone.check(f"input[name=work_ids][value='{work_id}']")
    phone.select_option("#judge_id", label="Lò Thị Chấm Thi (chamthi1)")
    phone.get_by_role("button", name="Giao chấm", exact=True).click()
    # The list comes back with the work's one judge, none scored yet.
    expect(phone.locator("tr", has_text="Bản Hụm học kỹ năng số")).to_contain_text("(0/1)")
    phone.screenshot(path=str(artifacts / "works-committee-360.png"))
    phone.context.clear_cookies()

    _sign_in(phone, live_server, "chamthi1", "demo-judge-2024")
    phone.goto(f"{live_server}/jury")
    phone.click("text=Bản Hụm học kỹ năng số")
    expect(phone.locator("body")).to_contain_text(
        "Chỉ hiện sau khi bạn đã nộp phiếu chấm của mình."
    )
    for code, value in (("content", "34"), ("creativity", "24,5"), ("impact", "16"), ("form", "8")):
        phone.fill(f"#c_{code}", value)
    phone.screenshot(path=str(artifacts / "works-score-form-360.png"), full_page=True)
    phone.get_by_role("button", name="Nộp phiếu chấm", exact=True).click()
    expect(phone.locator("body")).to_contain_text("Điểm của bạn")
    expect(phone.locator("body")).to_contain_text("82,50")
    phone.screenshot(path=str(artifacts / "works-scored-360.png"), full_page=True)
