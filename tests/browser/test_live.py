"""The organisers' live page during a simulated round, at phone and desktop size."""

import math
import random
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import delete, select

from contest import clock
from contest import db as database

SLUG = "lang-son-2023"


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", "bantochuc")
    page.fill("input[name=password]", "demo-organiser-2023")
    page.click("form button")
    page.wait_for_url(lambda url: "/staff/login" not in url)


def _simulate_round() -> tuple[list[int], int]:
    """300 people of the demo's units in the open round: most finished earlier in the week, some
    in the last hour, 40 under way; saves a second over the last 15 minutes, a few errors."""
    from contest.models import Attempt, Contest, Participant, Round, Unit
    from contest.services import live

    rng = random.Random(20)
    now = clock.now()
    with database.session_scope() as db:
        contest = db.execute(select(Contest).where(Contest.slug == SLUG)).scalar_one()
        rnd = (
            db.execute(
                select(Round)
                .where(Round.contest_id == contest.id, Round.opens_at <= now, Round.closes_at > now)
                .order_by(Round.number.desc())
            )
            .scalars()
            .first()
        )
        units = list(
            db.execute(
                select(Unit.id).where(Unit.contest_id == contest.id, Unit.parent_id.is_not(None))
            ).scalars()
        )
        people = []
        for i in range(300):
            p = Participant(
                contest_id=contest.id,
                full_name=f"Thí sinh mô phỏng {i}",
                date_of_birth=date(1990, 1, 1),
                gender="female" if i % 2 else "male",
                citizen_id=f"0201909{i:05d}",
                phone=f"039{i:07d}",
                unit_id=units[(i * 7) % len(units)] if i % 5 else units[0],
                password_hash="x",
                consent_version="2023-07",
                consent_at=now,
                registered_at=now - timedelta(days=2),
            )
            db.add(p)
            people.append(p)
        db.flush()
        since_open = (now - rnd.opens_at).total_seconds()
        for i, p in enumerate(people):
            if i < 40:  # under way
                started = now - timedelta(minutes=rng.uniform(0, 14))
                final = None
            elif i < 120:  # the last hour
                started = now - timedelta(minutes=rng.uniform(15, 59))
                final = started + timedelta(minutes=rng.uniform(5, 14))
            else:  # earlier this week
                started = rnd.opens_at + timedelta(seconds=rng.uniform(0, since_open - 3600))
                final = started + timedelta(minutes=rng.uniform(5, 14))
            db.add(
                Attempt(
                    round_id=rnd.id,
                    participant_id=p.id,
                    number=1,
                    started_at=started,
                    deadline_at=started + timedelta(minutes=20),
                    grace_seconds=30,
                    submitted_at=final,
                    finalised_at=final,
                    finish_reason="submitted" if final else None,
                    paper=[],
                    question_count=20,
                )
            )
        db.commit()
        ids = [p.id for p in people]
    for k in range(live.SAVE_BUCKETS_SHOWN):
        at = now - timedelta(seconds=10 * k)
        live.count(rnd.id, "save", int(80 + 60 * math.sin(k / 9) + rng.uniform(0, 30)), at=at)
        live.count(live.SITE, "request", 200, at=at)
    live.count(live.SITE, "error", 3, at=now)
    live.count(live.SITE, "refused", 11, at=now)
    return ids, rnd.id


def _forget(ids: list[int]) -> None:
    from contest.models import Attempt, Participant
    from contest.services import live

    with database.session_scope() as db:
        db.execute(delete(Attempt).where(Attempt.participant_id.in_(ids)))
        db.execute(delete(Participant).where(Participant.id.in_(ids)))
        db.commit()
    live.reset()


def test_the_live_page_during_a_round_at_phone_and_desktop_size(live_server, browser, artifacts):
    from contest.services import live

    live.reset()
    ids, _ = _simulate_round()
    try:
        for name, viewport, mobile in (
            ("phone", {"width": 360, "height": 740}, True),
            ("desktop", {"width": 1366, "height": 900}, False),
        ):
            context = browser.new_context(
                viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="vi-VN"
            )
            page = context.new_page()
            try:
                _sign_in(page, live_server)
                page.goto(f"{live_server}/organiser/contests/{SLUG}/live")
                expect(page.locator("#fig-active")).to_have_text("40")
                expect(page.locator("h2")).to_contain_text("Tham gia theo đơn vị")
                assert page.locator("#live svg").count() >= 5
                # Nothing is wider than the screen on a phone.
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], width
                # The section polls itself (HTMX, every 10 s) and is swapped in place.
                with page.expect_response(
                    lambda r: r.url.endswith("/live") and r.request.headers.get("hx-request"),
                    timeout=15_000,
                ) as polled:
                    pass
                assert polled.value.status == 200
                expect(page.locator("#live")).to_have_count(1)
                expect(page.locator("#fig-active")).to_have_text("40")
                page.screenshot(path=str(artifacts / f"live-{name}.png"), full_page=True)
            finally:
                context.close()
    finally:
        _forget(ids)
