"""The waiting room with two app processes on one database (PostgreSQL; SQLite on one host):
one queue, first come first served whichever process a person's requests reach, every paper
served, the clock started when it is."""

from __future__ import annotations

import re
import time

import httpx
import pytest
import scratch_db
from factories import make_contest, make_participant, make_round_bank
from integration.test_two_processes import _start
from live_server import stop, wait_until_up
from sqlalchemy import select
from sqlalchemy.orm import Session

pytestmark = pytest.mark.timeout(150)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PEOPLE = 6
# Each process lets about one start through every two seconds: everyone queues, one at a time.
SLOW = {
    "CONTEST_ADMISSION_INITIAL_RATE": "0.5",
    "CONTEST_ADMISSION_MAX_RATE": "0.5",
    "CONTEST_AUDIT_SEAL_INTERVAL_SECONDS": "0",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path):
    from contest.db import make_engine
    from contest.migrate import upgrade
    from contest.services import sessions

    with scratch_db.committed_database(request.param, "contest_wait", tmp_path) as url:
        upgrade(url)
        engine = make_engine(url, pool_size=1)
        with Session(engine, expire_on_commit=False) as db:
            contest = make_contest(db, slug="hang-cho")
            rnd = contest.rounds[0]
            rnd.questions_per_attempt = 5
            rnd.max_attempts = 0
            db.commit()
            make_round_bank(db, rnd, count=8)
            tokens = []
            for i in range(PEOPLE):
                person = make_participant(
                    db, contest, citizen_id=f"020190{i + 300:06d}", phone=f"097{i:07d}"
                )
                tokens.append(sessions.open_session(db, participant_id=person.id, ip="127.0.0.1"))
            db.commit()
        procs = [_start(url, SLOW) for _ in range(2)]
        try:
            for proc, base in procs:
                wait_until_up(proc, base, interval=0.1)
            yield [base for _, base in procs], tokens, engine
        finally:
            for proc, _ in procs:
                stop(proc)
            engine.dispose()


def test_one_queue_across_two_processes_first_come_first_served(site):
    from contest.models import Attempt, AuditPending, StartTicket

    (a, b), tokens, engine = site
    served_order: list[int] = []
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        cookies = [{"Cookie": f"contest_session={t}"} for t in tokens]
        waiting = []
        for i, cookie in enumerate(cookies):  # they tap Start one after another, on either process
            lobby = http.get(f"{(a, b)[i % 2]}/c/hang-cho/rounds", headers=cookie)
            csrf = CSRF_RE.search(lobby.text)[1]
            r = http.post(
                f"{(b, a)[i % 2]}/c/hang-cho/rounds/1/start",
                data={"csrf_token": csrf},
                headers=cookie,
            )
            assert r.status_code == 200 and "Vị trí của bạn trong hàng chờ" in r.text
            waiting.append(i)
        # Their pages ask, on alternating processes, until everyone has a paper.
        deadline = time.monotonic() + 90
        attempts = {}
        n = 0
        while waiting and time.monotonic() < deadline:
            for i in list(waiting):
                n += 1
                r = http.get(
                    f"{(a, b)[n % 2]}/c/hang-cho/rounds/1/wait",
                    headers={**cookies[i], "HX-Request": "true"},
                )
                assert r.status_code == 200, r.text
                if r.headers.get("HX-Redirect"):
                    attempts[i] = int(r.headers["HX-Redirect"].rsplit("/", 1)[1])
                    served_order.append(i)
                    waiting.remove(i)
                else:
                    assert "Vị trí của bạn trong hàng chờ" in r.text
            time.sleep(0.2)
    assert not waiting, f"still waiting after 90 s: {waiting}"
    assert served_order == list(range(PEOPLE))  # the order in which they tapped Start
    with Session(engine) as db:
        for ticket in db.execute(select(StartTicket).order_by(StartTicket.id)).scalars():
            attempt = db.get(Attempt, ticket.attempt_id)
            assert ticket.state == "served"
            assert attempt.started_at == ticket.served_at >= ticket.created_at
        audited = (
            db.execute(
                select(AuditPending.action).where(
                    AuditPending.action.in_(["attempt.wait", "attempt.start"])
                )
            )
            .scalars()
            .all()
        )
        assert audited.count("attempt.wait") == PEOPLE and audited.count("attempt.start") == PEOPLE
