"""Several hosts, no shared disk: nginx in front of two app hosts and a worker host, each a
process with its own working and temporary folders, sharing only PostgreSQL and Redis.

- participants take a round through nginx while one app host is killed: no acknowledged
  answer is lost;
- a certificate issue job runs while the worker is killed and restarted: it finishes once,
  with every certificate issued once and numbers without gaps;
- a work uploaded through one app host is downloaded through the other.

(Network namespaces would isolate the hosts further, but `ip netns add` needs privileges CI
machines rarely grant; separate processes and folders keep the point: nothing but the
database and Redis is shared.)
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import scratch_db
from conftest import _postgres_available
from live_server import free_port, stop, wait_until_up
from sqlalchemy import func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTION_RE = re.compile(r'name="q(\d+)" value="(\d+)"')
PASSWORD = "mat-khau-nhieu-may-2024"
STAFF_PASSWORD = "correct-horse-battery"
REDIS = ("127.0.0.1", 6379)
PEOPLE = 16  # taking the open round through nginx
ENTRANTS = 400  # of the closed round: the certificate job's list
SLUG = "nhieu-may"
WORKS_SLUG = "nhieu-may-tac-pham"

# One set of hosts for the module: keep its tests on one xdist worker.
pytestmark = [pytest.mark.timeout(240), pytest.mark.postgres, pytest.mark.xdist_group("multi-host")]


def _nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def _redis_reason() -> str | None:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return None
    except OSError as exc:
        return f"{type(exc).__name__}"
    return "no answer to PING"


@pytest.fixture(scope="module")
def database():
    if _nginx() is None:
        pytest.skip("the multi-host test needs nginx (Debian package nginx; .ci/run installs it)")
    reason = _postgres_available()
    if reason:
        pytest.skip(f"the multi-host test needs PostgreSQL: {reason}")
    reason = _redis_reason()
    if reason:
        pytest.skip(f"the multi-host test needs Redis at {REDIS[0]}:{REDIS[1]}: {reason}")
    from contest.migrate import upgrade

    with scratch_db.throwaway_database("contest_hosts") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def data(database):
    """A contest with a closed round of ENTRANTS scored entries (the issue job's list) and an
    open round for PEOPLE participants; a works contest with one author's draft."""
    from factories import UNITS_CSV, bulk_entrants, make_bank, make_staff

    from bench.contest_day import open_round
    from contest import clock
    from contest.db import make_engine
    from contest.models import Answer, Attempt, Participant, Question
    from contest.services import contests, results, units, works
    from contest.services.context import SYSTEM, Actor
    from contest.services.passwords import hash_password

    engine = make_engine(database, pool_size=2)
    now = clock.now()
    with Session(engine, expire_on_commit=False) as db:
        versions = make_bank(db, "nhieu-may", 6)
        bank_id = db.get(Question, versions[0].question_id).bank_id
        taken = open_round(db, SLUG, now, questions=6, minutes=15, bank_id=bank_id, closed_weeks=1)
        contest = taken.contest
        assert units.import_units(db, SYSTEM, contest, UNITS_CSV, "units.csv").ok
        rounds = {r.number: r for r in contest.rounds}
        closed = rounds[1]
        people = bulk_entrants(db, contest, ENTRANTS + PEOPLE)
        paper = [{"q": v.question_id, "v": v.id, "o": [1, 2, 3, 4]} for v in versions]
        for p in people[:ENTRANTS]:
            started = closed.opens_at + timedelta(hours=1)
            attempt = Attempt(
                round_id=closed.id,
                participant_id=p.id,
                number=1,
                started_at=started,
                deadline_at=started + timedelta(seconds=closed.time_limit_seconds),
                grace_seconds=30,
                paper=paper,
                question_count=6,
                prediction=5,
                submitted_at=started + timedelta(minutes=5),
                correct=4,
                answered=6,
                score=4.0,
                duration_ms=300_000,
                finalised_at=started + timedelta(minutes=5),
                finish_reason="submitted",
            )
            attempt.answers = [
                Answer(position=i, chosen=[1 if i < 4 else 2], client_seq=1, saved_at=started)
                for i in range(6)
            ]
            db.add(attempt)
        db.commit()
        results.close_round(db, SYSTEM, closed)
        secret = hash_password(PASSWORD)
        takers = people[ENTRANTS:]
        for p in takers:
            db.get(Participant, p.id).password_hash = secret
        db.commit()
        make_staff(db, "uyvien", ["committee_member"], STAFF_PASSWORD)

        from factories import make_entrant

        works_contest = contests.create_contest(
            db,
            SYSTEM,
            contests.ContestSpec(
                status="published",
                slug=WORKS_SLUG,
                title_vi="Cuộc thi tác phẩm",
                title_en="Works",
                rules_vi="Thể lệ.",
                rules_en="Rules.",
                rounds=(
                    contests.RoundSpec(
                        1, "Đợt 1", "Round 1", now - timedelta(days=1), now + timedelta(days=6)
                    ),
                ),
            ),
        )
        assert units.import_units(db, SYSTEM, works_contest, UNITS_CSV, "units.csv").ok
        works.save_settings(db, SYSTEM, works_contest, deadline=now + timedelta(days=5))
        author = make_entrant(db, works_contest, "Lò Thị Tác Giả")
        db.get(Participant, author.id).password_hash = secret
        db.commit()
        draft = works.save_draft(
            db,
            Actor("participant", author.id),
            works_contest,
            author,
            works.WorkInput(title="Chuyển đổi số ở bản em", category="article"),
        )
        yield {
            "engine": engine,
            "contest_id": contest.id,
            "closed_round": closed.id,
            "takers": [(p.id, p.citizen_id) for p in takers],
            "author": author.citizen_id,
            "work_id": draft.id,
        }
    engine.dispose()


class Hosts:
    """The processes of the test, each with its own folders; nothing shared but PG and Redis."""

    def __init__(self, database: str, base: Path) -> None:
        self.base = base
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CONTEST_") and key not in ("PYTHONPATH",)
        }
        if os.environ.get("PYTHONPATH"):
            self.env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.env.update(
            CONTEST_DATABASE_URL=database,
            CONTEST_SECRET_KEY="every-host-shares-this-secret-key-0123456789",
            CONTEST_COOKIE_SECURE="false",
            CONTEST_RATE_LIMIT_STORAGE=f"redis://{REDIS[0]}:{REDIS[1]}",
            CONTEST_CACHE_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
            CONTEST_QUEUE_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
            CONTEST_QUEUE_NAME=f"contest-hosts-{secrets.token_hex(4)}",
            CONTEST_SERVE_WORKER="false",
            CONTEST_JOB_LEASE_SECONDS="3",
            CONTEST_JOB_RECOVER_INTERVAL_SECONDS="2",
            CONTEST_CERTIFICATE_JOB_BATCH="20",
            CONTEST_SWEEP_INTERVAL_SECONDS="0",
            CONTEST_AUDIT_SEAL_INTERVAL_SECONDS="2",
        )
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def _folder(self, name: str) -> dict[str, str]:
        home = self.base / name
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        return {"HOME": str(home), "TMPDIR": str(home / "tmp")}

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        home = self.base / name
        env = {**self.env, **self._folder(name)}
        log = open(home / "log.txt", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "contest", *args],
            cwd=home,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[name] = proc
        return proc

    def app(self, name: str) -> str:
        port = self.ports.setdefault(name, free_port())
        self.start(
            name,
            ["serve", "--port", str(port), "--no-access-log", "--no-worker"],
        )
        return f"http://127.0.0.1:{port}"

    def nginx(self, upstreams: list[str]) -> str:
        home = self.base / "nginx"
        home.mkdir(exist_ok=True)
        port = free_port()
        servers = "\n".join(
            f"    server {u.removeprefix('http://')} max_fails=1 fail_timeout=30s;"
            for u in upstreams
        )
        (home / "nginx.conf").write_text(
            f"""
worker_processes 1;
daemon off;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {home}/body;
  proxy_temp_path {home}/proxy;
  fastcgi_temp_path {home}/fastcgi;
  uwsgi_temp_path {home}/uwsgi;
  scgi_temp_path {home}/scgi;
  client_max_body_size 30m;
  upstream app {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 1s;
      proxy_next_upstream error timeout http_502;
    }}
  }}
}}
"""
        )
        self.procs["nginx"] = subprocess.Popen(
            [
                _nginx(),
                "-p",
                str(home),
                "-c",
                str(home / "nginx.conf"),
                "-e",
                str(home / "error.log"),
            ],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return f"http://127.0.0.1:{port}"

    def kill(self, name: str) -> None:
        stop(self.procs[name], signal.SIGKILL)

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM if name != "nginx" else signal.SIGQUIT)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        path = self.base / name / "log.txt"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _wait_up(base: str, proc: subprocess.Popen, hosts: Hosts, name: str) -> None:
    wait_until_up(proc, base, seconds=60, output=lambda: hosts.log(name))


@pytest.fixture(scope="module")
def hosts(database, data, tmp_path_factory):
    hosts = Hosts(database, tmp_path_factory.mktemp("hosts"))
    try:
        a, b = hosts.app("app-a"), hosts.app("app-b")
        front = hosts.nginx([a, b])
        for name, base in (("app-a", a), ("app-b", b)):
            _wait_up(base, hosts.procs[name], hosts, name)
        _wait_up(front, hosts.procs["nginx"], hosts, "nginx")
        yield {"a": a, "b": b, "front": front, "hosts": hosts}
    finally:
        hosts.stop_all()


def _sign_in(http: httpx.Client, base: str, slug: str, login: str) -> dict[str, str]:
    page = http.get(f"{base}/c/{slug}/login")
    r = http.post(
        f"{base}/c/{slug}/login",
        headers={"Cookie": f"contest_anon={page.cookies['contest_anon']}"},
        data={"login": login, "password": PASSWORD, "csrf_token": CSRF_RE.search(page.text)[1]},
    )
    assert r.status_code == 303, r.text[-500:]
    return {"Cookie": f"contest_session={r.cookies['contest_session']}"}


def _retrying(call, attempts: int = 20):
    """What a phone does: try again when the network or the proxy fails, not on an answer."""
    for _ in range(attempts):
        try:
            r = call()
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if r.status_code in (502, 503, 504):
            time.sleep(0.2)
            continue
        return r
    raise AssertionError("no answer after retries")


def _through_the_waiting_room(http, front: str, started, cookie: dict, seconds: float = 60) -> str:
    """The paper's address: at once, or, when everyone taps Start together and the site is
    full, after waiting on the waiting page as a phone without JavaScript does."""
    if "location" in started.headers:
        return started.headers["location"]
    assert started.status_code == 200, started.status_code
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        r = _retrying(lambda: http.get(f"{front}/c/{SLUG}/rounds/2/wait", headers=cookie))
        if r.status_code == 303:
            return r.headers["location"]
    raise AssertionError("no paper from the waiting room")


def test_a_round_through_nginx_loses_no_acknowledged_answer_when_an_app_host_dies(hosts, data):
    from contest.models import Answer, Attempt

    front = hosts["front"]
    acknowledged: dict[int, dict[int, int]] = {}  # attempt id → position → last acknowledged choice
    errors: list[str] = []
    lock = threading.Lock()
    started = threading.Barrier(len(data["takers"]) + 1)

    def take(citizen_id: str) -> None:
        try:
            with httpx.Client(timeout=20, follow_redirects=False) as http:
                cookie = _sign_in_retrying(http, front, citizen_id)
                lobby = _retrying(lambda: http.get(f"{front}/c/{SLUG}/rounds", headers=cookie))
                csrf = {"X-CSRF-Token": CSRF_RE.search(lobby.text)[1], **cookie}
                r = _retrying(lambda: http.post(f"{front}/c/{SLUG}/rounds/2/start", headers=csrf))
                path = _through_the_waiting_room(http, front, r, cookie)
                page = _retrying(lambda: http.get(front + path, headers=cookie))
                number = re.search(r'name="page" value="(\d+)"', page.text)[1]
                attempt_id = int(path.rsplit("/", 1)[1])
                positions = sorted({int(p) for p, _ in OPTION_RE.findall(page.text)})
                started.wait(timeout=60)
                for seq, pos in enumerate(positions * 2, start=1):  # every answer, then changed
                    choice = (seq + pos) % 4
                    r = _retrying(
                        lambda pos=pos, choice=choice, seq=seq: http.post(
                            f"{front}{path}/answers/{pos}",
                            data={f"q{pos}": str(choice), "page": number, "seq": str(seq)},
                            headers={**csrf, "HX-Request": "true"},
                        )
                    )
                    if r.status_code == 200 and r.headers.get("X-Stored") != "0":
                        with lock:
                            acknowledged.setdefault(attempt_id, {})[pos] = choice
                    time.sleep(0.05)
                r = _retrying(
                    lambda: http.post(
                        f"{front}{path}/submit", headers={**csrf, "HX-Request": "true"}
                    )
                )
                assert r.status_code == 200, r.text[-300:]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"{citizen_id}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=take, args=(cid,)) for _, cid in data["takers"]]
    for t in threads:
        t.start()
    started.wait(timeout=90)
    time.sleep(0.3)
    hosts["hosts"].kill("app-b")  # mid-round, one app host is gone
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(acknowledged) == len(data["takers"])
    with Session(data["engine"]) as db:
        for attempt_id, answers in acknowledged.items():
            attempt = db.get(Attempt, attempt_id)
            assert attempt.submitted_at is not None
            stored = {
                a.position: a.chosen
                for a in db.execute(select(Answer).where(Answer.attempt_id == attempt_id)).scalars()
            }
            for pos, choice in answers.items():
                assert stored[pos] == [attempt.paper[pos]["o"][choice]], (attempt_id, pos)
    # Bring B back for the tests that follow.
    hosts["b"] = hosts["hosts"].app("app-b")
    _wait_up(hosts["b"], hosts["hosts"].procs["app-b"], hosts["hosts"], "app-b")


def _sign_in_retrying(http: httpx.Client, base: str, login: str) -> dict[str, str]:
    for _ in range(20):
        try:
            return _sign_in(http, base, SLUG, login)
        except (AssertionError, KeyError, TypeError, httpx.TransportError):
            time.sleep(0.2)  # the host that served the form may be the one that died
    raise AssertionError(f"{login} could not sign in")


def test_a_certificate_job_finishes_once_with_gapless_numbers_when_its_worker_is_killed(
    hosts, data
):
    from contest.models import Certificate, Job

    h: Hosts = hosts["hosts"]
    h.start("worker", ["worker", "--workers", "1"])
    front = hosts["front"]
    with httpx.Client(timeout=20, follow_redirects=False) as http:
        page = http.get(f"{front}/staff/login")
        r = http.post(
            f"{front}/staff/login",
            data={
                "csrf_token": CSRF_RE.search(page.text)[1],
                "username": "uyvien",
                "password": STAFF_PASSWORD,
            },
        )
        assert r.status_code == 303, r.text[-500:]
        listing = http.get(f"{front}/admin/contests/{SLUG}/certificates")
        r = http.post(
            f"{front}/admin/contests/{SLUG}/certificates/issue",
            data={
                "csrf_token": CSRF_RE.search(listing.text)[1],
                "kind": "participation",
                "round_id": str(data["closed_round"]),
            },
        )
        assert r.status_code == 303, r.text[-500:]
        job_id = int(r.headers["location"].rsplit("/", 1)[1])

        def job() -> Job:
            with Session(data["engine"]) as db:
                return db.get(Job, job_id)

        deadline = time.monotonic() + 60
        while not (0 < job().done < ENTRANTS // 2):
            assert time.monotonic() < deadline, (job().status, h.log("worker"))
            time.sleep(0.02)
        h.kill("worker")  # SIGKILL to the worker and its child: nothing runs after it
        stuck = job()
        assert stuck.status == "running" and stuck.done < ENTRANTS
        h.start("worker", ["worker", "--workers", "1"])
        deadline = time.monotonic() + 90
        while job().status != "done":
            assert job().status in ("running", "queued"), (job().message_en, h.log("worker"))
            assert time.monotonic() < deadline, (job().status, h.log("worker"))
            time.sleep(0.25)
        page = http.get(f"{front}/admin/jobs/{job_id}").text
        assert "Đã xong" in page
    done = job()
    assert (done.done, done.total, done.attempts) == (ENTRANTS, ENTRANTS, 2)
    assert done.counts["issued"] + done.counts["skipped"] == ENTRANTS
    with Session(data["engine"]) as db:
        serials = sorted(
            db.execute(
                select(Certificate.serial).where(Certificate.contest_id == data["contest_id"])
            ).scalars()
        )
        keys = db.execute(
            select(func.count(func.distinct(Certificate.award_key))).where(
                Certificate.contest_id == data["contest_id"]
            )
        ).scalar_one()
        finished = db.execute(
            select(func.count()).select_from(Job).where(Job.id == job_id, Job.status == "done")
        ).scalar_one()
    assert serials == list(range(1, ENTRANTS + 1))  # gapless, each number once
    assert keys == ENTRANTS and finished == 1


def test_a_work_uploaded_through_one_host_is_downloaded_through_the_other(hosts, data):
    from contest.models import WorkFile

    a, b = hosts["a"], hosts["b"]
    body = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024) + b"\n%%EOF\n"  # several chunks
    with httpx.Client(timeout=30, follow_redirects=False) as http:
        cookie = _sign_in(http, a, WORKS_SLUG, data["author"])
        mine = http.get(f"{a}/c/{WORKS_SLUG}/works", headers=cookie)
        csrf = {"X-CSRF-Token": CSRF_RE.search(mine.text)[1], **cookie}
        r = http.post(
            f"{a}/c/{WORKS_SLUG}/works/{data['work_id']}/files",
            headers=csrf,
            files={"file": ("bai-du-thi.pdf", body, "application/pdf")},
        )
        assert r.status_code in (200, 303), r.text[-500:]
        with Session(data["engine"]) as db:
            row = db.execute(
                select(WorkFile).where(WorkFile.work_id == data["work_id"])
            ).scalar_one()
        got = http.get(f"{b}/works/files/{row.id}", headers=cookie)
    assert got.status_code == 200 and got.content == body
    assert got.headers["content-disposition"].startswith("attachment")
