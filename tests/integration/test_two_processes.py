"""Two app processes on one PostgreSQL database: an attempt continues across them, and a rate
limit kept in Redis is shared by both."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import httpx
import pytest
import scratch_db
from conftest import _postgres_available
from live_server import free_port, stop, wait_until_up
from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTION_RE = re.compile(r'name="q(\d+)" value="(\d+)"')
PASSWORD = "mat-khau-bi-mat"
REDIS = ("127.0.0.1", 6379)

pytestmark = pytest.mark.timeout(90)


def _redis_reason() -> str | None:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return None
    except OSError as exc:
        return f"no Redis at {REDIS[0]}:{REDIS[1]}: {type(exc).__name__}"
    return f"no Redis answering PING at {REDIS[0]}:{REDIS[1]}"


@pytest.fixture(scope="module")
def database():
    reason = _postgres_available()
    if reason:
        pytest.skip(f"two processes need PostgreSQL (SQLite is one machine's file): {reason}")
    from contest.migrate import upgrade

    with scratch_db.throwaway_database("contest_two") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def contest_data(database):
    from factories import make_bank

    from bench.contest_day import open_round
    from contest import clock
    from contest.db import make_engine
    from contest.models import Participant, Question
    from contest.services.passwords import hash_password

    engine = make_engine(database, pool_size=1)
    now = clock.now()
    with Session(engine, expire_on_commit=False) as db:
        versions = make_bank(db, "hai-may", 6)
        bank_id = db.get(Question, versions[0].question_id).bank_id
        rnd = open_round(db, "hai-may", now, questions=6, minutes=15, bank_id=bank_id)
        db.add(
            Participant(
                contest_id=rnd.contest_id,
                full_name="Nguyễn Thị Hoà Bình",
                date_of_birth=date(1990, 8, 15),
                gender="female",
                citizen_id="020190012345",
                phone="0912345678",
                password_hash=hash_password(PASSWORD),
                consent_version="2023-07",
                consent_at=now,
                registered_at=now,
            )
        )
        db.commit()
    yield engine
    engine.dispose()


def _start(url: str, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(
        os.environ,
        CONTEST_DATABASE_URL=url,
        CONTEST_SECRET_KEY="two-processes-share-this-secret-key-0123456789",
        CONTEST_COOKIE_SECURE="false",
        CONTEST_SWEEP_INTERVAL_SECONDS="0",
        **env_extra,
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "contest.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def two_servers(database, contest_data):
    redis_reason = _redis_reason()
    extra = (
        {}
        if redis_reason
        else {
            "CONTEST_RATE_LIMIT_STORAGE": f"redis://{REDIS[0]}:{REDIS[1]}",
            "CONTEST_LOGIN_LIMIT_PER_ADDRESS": "3/5 minutes",
        }
    )
    procs = [_start(database, extra) for _ in range(2)]
    try:
        for proc, base in procs:
            wait_until_up(proc, base, interval=0.1)
        yield [base for _, base in procs], redis_reason
    finally:
        for proc, _ in procs:
            stop(proc)


def test_an_attempt_continues_when_each_request_reaches_the_other_process(
    two_servers, contest_data
):
    (a, b), _ = two_servers
    from contest.models import Answer, Attempt

    ip = {"X-Forwarded-For": f"10.1.{random.randrange(256)}.{random.randrange(1, 255)}"}
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        page = http.get(f"{a}/c/hai-may/login", headers=ip)
        anon = page.cookies["contest_anon"]
        r = http.post(
            f"{b}/c/hai-may/login",
            headers={**ip, "Cookie": f"contest_anon={anon}"},
            data={
                "login": "020190012345",
                "password": PASSWORD,
                "csrf_token": CSRF_RE.search(page.text)[1],
            },
        )
        assert r.status_code == 303, r.text  # the token made by process A is accepted by process B
        cookie = {"Cookie": f"contest_session={r.cookies['contest_session']}"}

        lobby = http.get(f"{a}/c/hai-may/rounds", headers=cookie)  # a session made by B, read by A
        assert lobby.status_code == 200
        csrf = {"X-CSRF-Token": CSRF_RE.search(lobby.text)[1], **cookie}
        r = http.post(f"{b}/c/hai-may/rounds/1/start", headers=csrf)
        assert r.status_code == 303
        attempt_path = r.headers["location"]
        page = http.get(a + attempt_path, headers=cookie)
        assert page.status_code == 200
        positions = sorted({int(p) for p, _ in OPTION_RE.findall(page.text)})
        assert positions == list(range(6))
        number = re.search(r'name="page" value="(\d+)"', page.text)[1]  # issued by A

        chosen = {}
        for n, pos in enumerate(positions):
            server = (a, b)[n % 2]
            r = http.post(
                f"{server}{attempt_path}/answers/{pos}",
                data={f"q{pos}": str(n % 4), "page": number, "seq": str(100 + n)},
                headers={**csrf, "HX-Request": "true"},
            )
            assert r.status_code == 200, r.text
            assert int(r.headers["X-Remaining"]) > 0
            chosen[pos] = n % 4
        # An older retry reaching the other process does not replace the newer answer.
        r = http.post(
            f"{b}{attempt_path}/answers/0",
            data={"q0": "3", "page": number, "seq": "1"},
            headers={**csrf, "HX-Request": "true"},
        )
        assert r.status_code == 200 and r.headers["X-Stored"] == "0"

        resumed = http.get(b + attempt_path, headers=cookie)  # B shows what A and B saved
        checked = {
            (int(p), int(i))
            for p, i in re.findall(r'name="q(\d+)" value="(\d+)" [^>]*checked', resumed.text)
        }
        assert checked == set(chosen.items())
        again = http.post(f"{a}/c/hai-may/rounds/1/start", headers=csrf)
        assert again.headers["location"] == attempt_path  # resume, not a second paper

        r = http.post(f"{a}{attempt_path}/submit", headers={**csrf, "HX-Request": "true"})
        assert r.status_code == 200 and r.headers["HX-Redirect"] == attempt_path
        late = http.post(
            f"{b}{attempt_path}/answers/0",
            data={"q0": "2", "page": number, "seq": "999"},
            headers={**csrf, "HX-Request": "true"},
        )
        assert late.status_code == 409  # B knows A's submit at once

    attempt_id = int(attempt_path.rsplit("/", 1)[1])
    with Session(contest_data) as db:
        attempt = db.get(Attempt, attempt_id)
        stored = {
            a.position: a.chosen
            for a in db.execute(select(Answer).where(Answer.attempt_id == attempt_id)).scalars()
        }
    assert attempt.submitted_at is not None and attempt.finalised_at is not None
    assert stored == {pos: [attempt.paper[pos]["o"][i]] for pos, i in chosen.items()}
    assert attempt.correct == sum(1 for pos, i in chosen.items() if attempt.paper[pos]["o"][i] == 1)


def test_a_rate_limit_in_redis_is_shared_by_both_processes(two_servers):
    (a, b), redis_reason = two_servers
    if redis_reason:
        pytest.skip(f"the shared rate limit needs Redis: {redis_reason}")
    # A fresh address each run, so the Redis counters of earlier runs do not matter.
    ip = {
        "X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    }
    with httpx.Client(follow_redirects=False, timeout=20) as http:
        page = http.get(f"{a}/c/hai-may/login", headers=ip)
        headers = {**ip, "Cookie": f"contest_anon={page.cookies['contest_anon']}"}
        form = {
            "login": "020190012345",
            "password": "sai-mat-khau",
            "csrf_token": CSRF_RE.search(page.text)[1],
        }
        statuses = [
            http.post(f"{server}/c/hai-may/login", headers=headers, data=form).status_code
            for server in (a, b, a, b)
        ]
    # The limit is 3 per address: the fourth attempt is refused even though each process saw only two.
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3] == 429


def test_a_burst_of_sign_ins_right_after_start_gets_no_500_with_redis_limits(
    database, contest_data
):
    """Issue 13, finding 4: the limiter was built lazily by the first requests, which raced in
    the `limits` library's lazy import of redis (18 of 20 simultaneous sign-ins answered 500)."""
    redis_reason = _redis_reason()
    if redis_reason:
        pytest.skip(f"the race is in the Redis storage: {redis_reason}")
    proc, base = _start(
        database,
        {
            "CONTEST_RATE_LIMIT_STORAGE": f"redis://{REDIS[0]}:{REDIS[1]}",
            "CONTEST_AUDIT_SEAL_INTERVAL_SECONDS": "0",
        },
    )
    try:
        wait_until_up(proc, base, interval=0.1)
        # Each person's page (cookie and token) first: a GET touches no limiter.
        clients = []
        for n in range(20):
            ip = {"X-Forwarded-For": f"10.20.{random.randrange(256)}.{n + 1}"}
            http = httpx.Client(follow_redirects=False, timeout=30)
            page = http.get(f"{base}/c/hai-may/login", headers=ip)
            clients.append((http, ip, page))
        barrier = threading.Barrier(len(clients))
        statuses: list[int] = []

        def sign_in(http, ip, page) -> None:
            barrier.wait()
            r = http.post(
                f"{base}/c/hai-may/login",
                headers={**ip, "Cookie": f"contest_anon={page.cookies['contest_anon']}"},
                data={
                    "login": "020190012345",
                    "password": PASSWORD,
                    "csrf_token": CSRF_RE.search(page.text)[1],
                },
            )
            statuses.append(r.status_code)

        threads = [threading.Thread(target=sign_in, args=c) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for http, _, _ in clients:
            http.close()
    finally:
        stop(proc)
    assert sorted(statuses) == [303] * 20, (statuses, proc.stderr.read().decode()[-3000:])
