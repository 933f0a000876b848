"""An attempt page with formulas on a 360 px phone: MathML drawn by Chromium itself, no script."""

from __future__ import annotations

import re

from sqlalchemy import select

from contest.db import session_scope
from contest.models import Contest, RoundBank
from contest.services import banks
from contest.services.context import SYSTEM

GIFT = r"""::T1::Nghiệm dương của phương trình $x^2 - 4 \= 0$ là số nào?{
=$x \= 2$
~$x \= -2$
~$$\\frac\{1\}\{2\}$$
~Giá 5$
}

::T2::Diện tích hình tròn bán kính \(r\) là bao nhiêu?{
=$\\pi r^2$
~$2\\pi r$
~$\\sqrt\{r\}$
}
"""


def _formula_contest() -> None:
    from factories import make_contest, make_participant

    with session_scope() as db:
        if db.execute(select(Contest).where(Contest.slug == "cong-thuc")).first():
            return
        contest = make_contest(db, "cong-thuc")
        rnd = contest.rounds[0]
        rnd.questions_per_attempt = 2
        db.commit()
        report = banks.import_questions(db, SYSTEM, "cong-thuc", [("toan.gift", GIFT.encode())])
        assert report.ok, [e.message_en for e in report.errors]
        db.add(RoundBank(round_id=rnd.id, bank_id=banks.get_bank(db, "cong-thuc").id))
        db.commit()
        make_participant(db, contest, citizen_id="020190054321", phone="0912000321")


def test_formulas_on_a_phone_attempt_page(live_server, phone, artifacts):
    _formula_contest()
    phone.goto(live_server + "/c/cong-thuc/login")
    phone.get_by_label("Số CCCD hoặc số điện thoại").fill("020190054321")
    phone.get_by_label("Mật khẩu").fill("mat-khau-bi-mat")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(re.compile(r".*/me$"))
    phone.goto(live_server + "/c/cong-thuc/rounds")
    phone.get_by_role("button", name="Bắt đầu làm bài").first.click()
    phone.wait_for_url(re.compile(r".*/attempts/\d+$"))
    maths = phone.locator("math")
    assert maths.count() >= 6
    # Chromium lays MathML out itself: a fraction is taller than a line of text.
    fraction = phone.locator("mfrac").first.bounding_box()
    assert fraction is not None and fraction["height"] > 20
    text = phone.locator("legend").all_inner_texts()
    assert any(t.startswith("Câu") and "là số nào?" in t for t in text)
    assert "$x" not in phone.content()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways ({width}px)"
    phone.screenshot(path=str(artifacts / "attempt-formulas-360.png"), full_page=True)


WARNED = r"""$CATEGORY: $course$/top/Toán
::T1::[html]Tính <span>giá trị</span> của $\\frac\{1\}\{2\} + \\frac\{1\}\{2\}$?{
=$1$
~%50%$2$
~$\\frac\{1\}\{4\}$ # gần đúng
}
"""


def test_import_preview_lists_warnings_with_lines_on_a_phone(
    live_server, phone, artifacts, tmp_path
):
    phone.goto(f"{live_server}/staff/login")
    phone.fill("input[name=username]", "bantochuc")
    phone.fill("input[name=password]", "demo-organiser-2023")
    phone.click("form button")
    phone.wait_for_url(lambda url: "/staff/login" not in url)
    phone.goto(f"{live_server}/organiser/banks")
    upload = tmp_path / "toan.gift"
    upload.write_text(WARNED, encoding="utf-8")
    phone.fill("#bank-code", "toan-canh-bao")
    phone.set_input_files("#bank-files", str(upload))
    phone.get_by_role("button", name=re.compile("Xem trước|Tải lên|Preview", re.I)).click()
    phone.wait_for_selector("#warnings")
    rows = phone.locator("#warnings + .scroll tbody tr")
    assert rows.count() == 4  # category, partial credit, option feedback, <span> removed
    assert phone.locator(".preview math").count() >= 3
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways ({width}px)"
    phone.screenshot(path=str(artifacts / "import-preview-warnings-360.png"), full_page=True)
