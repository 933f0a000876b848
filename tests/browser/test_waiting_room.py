"""The waiting room on a phone: the page people see when many start at once, and the paper
opening by itself when their turn comes (HTMX polling), or by the refresh without JavaScript."""

from __future__ import annotations

import re

from sqlalchemy import select

from contest import clock
from contest.db import session_scope
from contest.domain.admission import AdmissionSettings, StartController
from contest.domain.registration import RegistrationInput
from contest.models import Contest, Round, RoundBank
from contest.services import accounts, admission

_serial = [700]


def _participant() -> tuple[str, str]:
    _serial[0] += 1
    n = _serial[0]
    with session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
        citizen_id = f"0200900{n:05d}"
        accounts.register_participant(
            db,
            contest,
            RegistrationInput(
                full_name="Hoàng Thị Ánh Tuyết",
                date_of_birth="02/01/1990",
                gender="male",
                citizen_id=citizen_id,
                phone=f"098{n:07d}",
                email="",
                unit_code="LS-VANLANG",
                password="mat-khau-bi-mat",
                consent=True,
            ),
            ip="127.0.0.1",
            user_agent="pytest",
        )
    return citizen_id, "mat-khau-bi-mat"


def _open_round() -> Round:
    from factories import make_round_bank

    with session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
        now = clock.now()
        rnd = next(r for r in contest.rounds if r.opens_at <= now < r.closes_at)
        if not db.execute(select(RoundBank).where(RoundBank.round_id == rnd.id)).first():
            make_round_bank(db, rnd, count=24, code="browser-bank")
        rnd.max_attempts = 0
        rnd.questions_per_attempt = 10
        db.commit()
        return rnd


def _full_site() -> StartController:
    admission.reset()
    admission._controller = StartController(
        AdmissionSettings(initial_rate=0.0001, increase=0.0, poll_min=1.0)
    )
    return admission._controller


def _sign_in_and_tap_start(page, base: str) -> None:
    login, password = _participant()
    page.goto(base + "/c/lang-son-2023/login")
    page.get_by_label("Số CCCD hoặc số điện thoại").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/me$"))
    page.goto(base + "/c/lang-son-2023/rounds")
    page.get_by_role("button", name="Bắt đầu làm bài").first.click()
    page.get_by_text("Vị trí của bạn trong hàng chờ").wait_for()


def test_the_waiting_page_on_a_phone_opens_the_paper_when_the_turn_comes(
    live_server, phone, artifacts
):
    _open_round()
    controller = _full_site()
    try:
        page = phone
        _sign_in_and_tap_start(page, live_server)
        assert page.get_by_text("Vị trí của bạn trong hàng chờ").is_visible()
        assert page.get_by_text("Thời gian chờ dự kiến").is_visible()
        page.screenshot(path=str(artifacts / "waiting-room-360x640.png"))
        # Nothing fits sideways on a 360 px screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        controller.tokens = 1.0
        page.wait_for_url(re.compile(r".*/attempts/\d+$"), timeout=15_000)
    finally:
        admission.reset()


def test_without_javascript_the_page_refreshes_itself_to_the_paper(live_server, browser, artifacts):
    _open_round()
    controller = _full_site()
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, java_script_enabled=False, locale="vi-VN"
    )
    try:
        page = context.new_page()
        _sign_in_and_tap_start(page, live_server)
        page.screenshot(path=str(artifacts / "waiting-room-no-javascript-360x640.png"))
        controller.tokens = 1.0
        page.wait_for_url(re.compile(r".*/attempts/\d+$"), timeout=20_000)
    finally:
        context.close()
        admission.reset()


def test_a_waiting_page_whose_session_ends_goes_to_sign_in_and_gives_no_place(
    live_server, phone, artifacts
):
    """Signed out elsewhere (another tab, a password change, an administrator): the page that
    keeps asking stops being given a place and says why, in both languages."""
    from contest.models import Participant, WebSession
    from contest.services import sessions

    _open_round()
    _full_site()
    try:
        page = phone
        _sign_in_and_tap_start(page, live_server)
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "contest_session")
        with session_scope() as db:
            owner = db.execute(
                select(WebSession.participant_id).where(
                    WebSession.token_hash == sessions.token_hash(token)
                )
            ).scalar_one()
            assert db.get(Participant, owner) is not None
            sessions.end_sessions_of(db, participant_id=owner)
            db.commit()
        page.wait_for_url(re.compile(r".*/login\?next=.*ended=1$"), timeout=20_000)
        assert page.get_by_text("Phiên đăng nhập của bạn đã kết thúc").is_visible()
        assert page.get_by_text("Your session has ended").is_visible()
        assert not page.get_by_text("Vị trí của bạn trong hàng chờ").count()
        page.screenshot(path=str(artifacts / "waiting-room-session-ended-360x640.png"))
    finally:
        admission.reset()
