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
