"""An attempt page with pictures on a 360 px phone: they load, fit the screen and keep their place."""

from __future__ import annotations

import re

from sqlalchemy import select

from contest.db import session_scope
from contest.models import Contest, RoundBank
from contest.services import banks
from contest.services.context import SYSTEM


def _picture_contest() -> None:
    from factories import make_contest, make_participant
    from picture_files import sample_bank

    with session_scope() as db:
        if db.execute(select(Contest).where(Contest.slug == "hinh-anh")).first():
            return
        contest = make_contest(db, "hinh-anh")
        rnd = contest.rounds[0]
        rnd.questions_per_attempt = 2
        rnd.shuffle_questions = False
        db.commit()
        report = banks.import_questions(db, SYSTEM, "hinh-anh", [sample_bank("docx")])
        assert report.ok, [e.message_en for e in report.errors]
        db.add(RoundBank(round_id=rnd.id, bank_id=banks.get_bank(db, "hinh-anh").id))
        db.commit()
        make_participant(db, contest, citizen_id="020190054777", phone="0912000777")


def test_pictures_on_a_phone_attempt_page(live_server, phone, artifacts):
    _picture_contest()
    phone.goto(live_server + "/c/hinh-anh/login")
    phone.get_by_label("Số CCCD hoặc số điện thoại").fill("020190054777")
    phone.get_by_label("Mật khẩu").fill("mat-khau-bi-mat")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(re.compile(r".*/me$"))
    phone.goto(live_server + "/c/hinh-anh/rounds")
    phone.get_by_role("button", name="Bắt đầu làm bài").first.click()
    phone.wait_for_url(re.compile(r".*/attempts/\d+$"))
    images = phone.locator("picture.pic img")
    assert images.count() == 3
    # Lazy pictures load as they scroll into view; bring each one in and wait for it.
    for i in range(3):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        phone.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    sources = phone.evaluate(
        "[...document.querySelectorAll('picture.pic img')].map(i => i.currentSrc)"
    )
    # A phone with a 2x screen takes the WebP (2x where there is one), never the JPEG fallback.
    assert all(".webp" in s for s in sources), sources
    stem = phone.get_by_alt_text("Biển tròn đỏ")
    box = stem.bounding_box()
    assert box is not None and 100 < box["width"] <= 360 and box["height"] > 50
    assert phone.get_by_alt_text("Biển đỏ").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways ({width}px)"
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(artifacts / "attempt-pictures-360.png"), full_page=True)


def test_an_organiser_adds_a_picture_on_a_phone(live_server, phone, artifacts, tmp_path):
    from factories import make_staff
    from picture_files import sign

    from contest.models import Question

    _picture_contest()
    with session_scope() as db:
        make_staff(db, "hinh-org", ["organiser"])
        bank = banks.get_bank(db, "hinh-anh")
        question_id = (
            db.execute(
                select(Question.id).where(Question.bank_id == bank.id).order_by(Question.position)
            )
            .scalars()
            .first()
        )
    phone.goto(live_server + "/staff/login")
    phone.get_by_label("Tên đăng nhập").fill("hinh-org")
    phone.get_by_label("Mật khẩu").fill("correct-horse-battery")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(re.compile(r".*/admin.*"))
    phone.goto(f"{live_server}/organiser/questions/{question_id}")
    picture = tmp_path / "bien-vang.png"
    picture.write_bytes(sign("orange", (600, 400)))
    phone.select_option("#new-place", label="Phương án B")
    phone.set_input_files("#new-file", str(picture))
    phone.fill("#new-alt", "Biển màu cam")
    phone.get_by_role("button", name="Thêm hình").click()
    phone.wait_for_url(re.compile(rf".*/organiser/questions/{question_id}$"))
    assert phone.get_by_alt_text("Biển màu cam").count() == 1
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways ({width}px)"
    phone.locator("#pictures").scroll_into_view_if_needed()
    phone.screenshot(path=str(artifacts / "question-pictures-360.png"), full_page=True)
