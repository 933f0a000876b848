"""A citizen takes a round in Chromium on a phone-sized page: offline and back, the timer, a11y, 3G."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from contest import clock
from contest.db import session_scope
from contest.domain.registration import RegistrationInput
from contest.models import Answer, Attempt, Contest, Round, RoundBank
from contest.services import accounts

_serial = [0]


def _participant(contest_slug: str) -> tuple[str, str]:
    """Register a fresh participant through the service; returns (login, password)."""
    _serial[0] += 1
    n = _serial[0]
    with session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == contest_slug)).scalar_one()
        citizen_id = f"0200900{n:05d}"
        accounts.register_participant(
            db,
            contest,
            RegistrationInput(
                full_name="Lường Văn " + "ƯớcABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 27],
                date_of_birth="02/01/1990",
                gender="male",
                citizen_id=citizen_id,
                phone=f"091{n:07d}",
                email="",
                unit_code="LS-VANLANG",
                password="mat-khau-bi-mat",
                consent=True,
            ),
            ip="127.0.0.1",
            user_agent="pytest",
        )
    return citizen_id, "mat-khau-bi-mat"


def _open_round(time_limit_seconds: int | None = None) -> Round:
    """The demo's open round, with a bank linked (the demo's own, or a generated one)."""
    from factories import make_round_bank

    with session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).scalar_one()
        now = clock.now()
        rnd = next(r for r in contest.rounds if r.opens_at <= now < r.closes_at)
        if not db.execute(select(RoundBank).where(RoundBank.round_id == rnd.id)).first():
            make_round_bank(db, rnd, count=24, code="browser-bank")
        if time_limit_seconds is not None:
            rnd.time_limit_seconds = time_limit_seconds
        rnd.max_attempts = 0
        rnd.questions_per_attempt = 10
        db.commit()
        return rnd


def _sign_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/c/lang-son-2023/login")
    page.get_by_label("Số CCCD hoặc số điện thoại").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/me$"))


def _start(page, base: str) -> int:
    page.goto(base + "/c/lang-son-2023/rounds")
    page.get_by_role("button", name="Bắt đầu làm bài").first.click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _answers(attempt_id: int) -> dict[int, list[int]]:
    with session_scope() as db:
        return {
            a.position: a.chosen
            for a in db.execute(select(Answer).where(Answer.attempt_id == attempt_id)).scalars()
        }


def _choose(page, position: int, letter_index: int = 0) -> None:
    page.locator(f"#q{position} label.option").nth(letter_index).click()


def test_offline_answers_reach_the_server_when_the_connection_returns(
    live_server, phone, artifacts
):
    page = phone
    _open_round(time_limit_seconds=15 * 60)
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    attempt_id = _start(page, live_server)
    for pos in range(3):
        _choose(page, pos, pos % 4)
        page.locator(f"#s{pos}").filter(has_text="Đã lưu").wait_for()
    page.screenshot(path=str(artifacts / "attempt-360x640.png"))

    page.context.set_offline(True)
    _choose(page, 3, 1)
    _choose(page, 4, 2)
    pending = page.locator("#pending")
    # Both offline answers are listed (the list is redrawn per answer, so wait for each)
    pending.filter(has_text="Câu 4").wait_for()
    pending.filter(has_text="Câu 5").wait_for()
    page.screenshot(path=str(artifacts / "attempt-offline-360x640.png"))
    assert set(_answers(attempt_id)) == {0, 1, 2}

    page.context.set_offline(False)
    page.locator("#s4").filter(has_text="Đã lưu").wait_for(timeout=15000)
    assert pending.is_hidden()
    saved = _answers(attempt_id)
    assert set(saved) == {0, 1, 2, 3, 4}
    with session_scope() as db:
        paper = db.get(Attempt, attempt_id).paper
    assert saved[3] == [paper[3]["o"][1]] and saved[4] == [paper[4]["o"][2]]


def test_closing_the_browser_while_offline_loses_no_answer(live_server, browser):
    _open_round(time_limit_seconds=15 * 60)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    attempt_id = _start(page, live_server)
    context.set_offline(True)
    _choose(page, 0, 3)
    page.locator("#pending").filter(has_text="Câu 1").wait_for()
    page.close()  # the tab is gone; the queue stays in this browser's storage
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live_server}/attempts/{attempt_id}")
    page.locator("#s0").filter(has_text="Đã lưu").wait_for(timeout=15000)
    assert 0 in _answers(attempt_id)
    context.close()


def test_the_timer_reaching_zero_submits_the_attempt(live_server, phone, artifacts):
    page = phone
    _open_round(time_limit_seconds=6)
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    attempt_id = _start(page, live_server)
    _choose(page, 0, 1)
    page.locator("#s0").filter(has_text="Đã lưu").wait_for()
    page.wait_for_url(re.compile(rf".*/attempts/{attempt_id}$"), timeout=20000)
    page.get_by_text("Bài thi đã được nộp").or_(page.get_by_text("tự động nộp")).first.wait_for(
        timeout=20000
    )
    page.screenshot(path=str(artifacts / "auto-submitted-360x640.png"))
    with session_scope() as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt.finalised_at is not None
        assert (
            attempt.submitted_at is not None
            and attempt.submitted_at <= attempt.deadline_at + timedelta(seconds=30)
        )
    _open_round(time_limit_seconds=15 * 60)


def _axe(page) -> list[dict]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_lobby_and_attempt_pages_have_no_serious_accessibility_violations(live_server, phone):
    page = phone
    _open_round(time_limit_seconds=15 * 60)
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    page.goto(live_server + "/c/lang-son-2023/rounds")
    assert [v["id"] for v in _axe(page)] == []
    _start(page, live_server)
    assert [v["id"] for v in _axe(page)] == []


def test_attempt_page_is_usable_quickly_on_throttled_3g(live_server, phone, record_property):
    page = phone
    _open_round(time_limit_seconds=15 * 60)
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    attempt_id = _start(page, live_server)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 300,
            "downloadThroughput": 700 * 1024 / 8,
            "uploadThroughput": 700 * 1024 / 8,
        },
    )
    received = []
    cdp.on("Network.loadingFinished", lambda e: received.append(e["encodedDataLength"]))
    start = time.perf_counter()
    page.goto(f"{live_server}/attempts/{attempt_id}", wait_until="domcontentloaded")
    page.locator("#q9").wait_for()
    usable = time.perf_counter() - start
    page.wait_for_load_state("load")
    transferred = sum(received)
    record_property("time_to_usable_s", round(usable, 2))
    record_property("transferred_bytes", transferred)
    print(
        f"\nattempt page on 3G (300 ms RTT, 700 kbps): usable in {usable:.2f} s, {transferred / 1024:.1f} KB transferred"
    )
    assert transferred <= 40 * 1024
    assert usable < 5


def test_offline_save_and_submit_stay_on_the_page_and_say_so(live_server, phone, artifacts):
    # From the throttled-phone walk: offline, "Lưu bài làm" landed on the browser's offline page
    # (and Back failed), "Nộp bài…" did nothing and said nothing.
    page = phone
    _open_round(time_limit_seconds=15 * 60)
    _sign_in(page, live_server, *_participant("lang-son-2023"))
    attempt_id = _start(page, live_server)
    url = page.url
    _choose(page, 0, 1)
    page.locator("#s0").filter(has_text="Đã lưu").wait_for()

    page.context.set_offline(True)
    _choose(page, 1, 2)
    page.get_by_role("button", name="Lưu bài làm").click()
    state = page.locator("#save-all-state")
    state.filter(has_text="Mất kết nối").wait_for()
    assert page.url == url and "sẽ được gửi khi có mạng" in state.inner_text()
    page.get_by_role("button", name="Nộp bài…").click()
    state.filter(has_text="bài thi chưa được nộp").wait_for()
    assert page.url == url
    state.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "attempt-offline-save-360x640.png"))
    assert set(_answers(attempt_id)) == {0}

    page.context.set_offline(False)
    page.locator("#s1").filter(has_text="Đã lưu").wait_for(timeout=15000)
    page.get_by_role("button", name="Lưu bài làm").click()
    state.filter(has_text="Đã lưu bài làm").wait_for()
    page.get_by_role("button", name="Nộp bài…").click()
    submit_now = page.get_by_role("button", name="Nộp bài ngay")
    submit_now.wait_for()
    if page.locator("#confirm-prediction").count():
        page.locator("#confirm-prediction").fill("1.886")
    page.context.set_offline(True)
    submit_now.click()
    page.get_by_role("alert").filter(has_text="bài thi chưa được nộp").wait_for()
    assert page.url.endswith("#submit-area") or page.url == url
    page.context.set_offline(False)
    submit_now.click()
    page.get_by_text("Bài thi đã được nộp").wait_for(timeout=15000)
    with session_scope() as db:
        attempt = db.get(Attempt, attempt_id)
        assert attempt.submitted_at is not None
        paper = attempt.paper
    saved = _answers(attempt_id)
    assert saved[0] == [paper[0]["o"][1]] and saved[1] == [paper[1]["o"][2]]


def test_without_javascript_the_page_says_how_answers_are_saved_and_when_it_ends(
    live_server, browser, artifacts
):
    _open_round(time_limit_seconds=15 * 60)
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, java_script_enabled=False, locale="vi-VN"
    )
    page = context.new_page()
    login, password = _participant("lang-son-2023")
    _sign_in(page, live_server, login, password)
    page.goto(live_server + "/c/lang-son-2023/rounds")
    page.get_by_role("button", name="Bắt đầu làm bài").first.click()
    page.wait_for_url(re.compile(r".*/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    text = page.locator("main").inner_text()
    assert "chỉ được lưu khi bạn bấm “Lưu bài làm”" in text
    assert "ngay khi bạn chọn" not in text  # the promise the script keeps is not made
    assert page.locator("#countdown").is_hidden()  # no frozen countdown
    with session_scope() as db:
        deadline = db.get(Attempt, attempt_id).deadline_at
    assert clock.to_local(deadline).strftime("%H:%M %d/%m/%Y") in page.locator("#ends").inner_text()
    assert "giờ Việt Nam" in page.locator("#ends").inner_text()
    page.screenshot(path=str(artifacts / "attempt-no-javascript-360x640.png"))
    page.locator("#q0 label.option").nth(2).click()
    page.get_by_role("button", name="Lưu bài làm").click()
    page.get_by_text("Đã lưu bài làm.").wait_for()
    assert 0 in _answers(attempt_id)
    context.close()
