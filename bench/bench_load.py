"""Contest-day load: a real uvicorn server (2 workers) on PostgreSQL and on SQLite, driven by simulated participants.

The bench creates its own database (a fresh PostgreSQL database on 127.0.0.1:5432, dropped
afterwards; a temporary SQLite file), a contest with an open round and the Lạng Sơn week-4
bank, and N participants who are already signed in (a sample signs in through the real login
endpoint, so its cost is measured too). Then:

0. the machine first: a fixed CPU probe in the client, and GET /healthz in closed loops (the
   ceiling every other figure is also given as a ratio to, since this machine's speed varies);
1. start capacity: what the machine can start, measured on a server of its own with the waiting
   room switched off (so the figure is the machine's, not the waiting room's): closed loops of
   lobby → Start → attempt page, enough of them to keep both cores busy, with the CPU time the
   server processes and the database's backends spent per paper served;
2. spikes at 1×, 2× and 4× that capacity, on the production server (waiting room on): people
   tap Start evenly over BENCH_LOAD_SPIKE_SECONDS (less when the people prepared would not fill
   the three), wait in the waiting room when the site is full (asking as its page does, at the
   interval it says; "wait" is those asks, "start" the Start button and, for those who waited,
   the request that serves their paper when the page is told the turn has come), answer every
   question with a pause between answers and submit; bars: everyone gets a paper, no error or
   client timeout, waiting page p99 ≤ 200 ms, saves p99 ≤ 150 ms;
3. sustained: people already mid-attempt keep answering for a fixed time;
4. save ceiling: closed loops of saves with no pauses, as a fraction of /healthz.

BENCH_LOAD_CEILING_ONLY=1 runs 0 and 4 alone (64 people, a quick run while working on saves).

Every save the server acknowledged (200) is recorded as (attempt, position) → (option, seq)
and compared with the database at the end: an acknowledged answer that is missing or
different counts as lost.

The client runs on uvloop and shares the machine's cores with the server and the database. The
people of phases 1-3 (and the ceiling's people until their attempt is open) use aiohttp, one
connection each, as phones do. The two closed loops that are compared with each other, GET
/healthz and the save ceiling, both use bench.http_loop: 64 keep-alive HTTP/1.1 connections,
one request at a time on each, requests prepared as bytes (a save's: the path, session cookie,
X-CSRF-Token and HX-Request headers and its form body q<n>=<option>&page=<page>&seq=<n>), every
response read in full and its status checked (200, else an error). So the client spends about
the same on a save as on a /healthz request, and the ratio compares the server's two paths:
with aiohttp a form POST cost the client about 0.2 ms against 0.08 ms for a bare GET, which the
ratio counted against the save. The machine time per request of both is the CPU time of the
server's processes (and, for saves, of the database backends) while the loops run, divided by
the requests answered then; the ceiling's people starting their attempts are not in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench import Figure
from tests import live_server, scratch_db

ROOT = Path(__file__).resolve().parent.parent
BANK_CSV = ROOT / "question_banks" / "lang-son-2023" / "tuan-4.csv"
PG_ADMIN_URL = scratch_db.ADMIN_URL
SLUG = "ngay-thi-thu"

# Signed-in people prepared for the capacity probe and the three spikes (each person starts once).
PARTICIPANTS = int(os.environ.get("BENCH_LOAD_PARTICIPANTS", "12000"))
# Each spike offers a multiple of the start capacity measured in the same run, for this long.
SPIKE_SECONDS = float(os.environ.get("BENCH_LOAD_SPIKE_SECONDS", "60"))
SPIKE_MULTIPLES = (1, 2, 4)
# Start capacity: closed loops of lobby → start → attempt page, no pauses, on a server without
# the waiting room: enough loops that both cores stay busy (a loop spends part of its time in
# the client and on the wire).
CAPACITY_SECONDS = float(os.environ.get("BENCH_LOAD_CAPACITY_SECONDS", "10"))
CAPACITY_LOOPS = int(os.environ.get("BENCH_LOAD_CAPACITY_LOOPS", "16"))
# A fixed piece of pure-Python work in the client, timed before the server starts: how fast
# one core of this machine is right now (wall and CPU time; wall > CPU when others share it).
CPU_PROBE_ITERATIONS = 3_000_000
_SCALE = float(os.environ.get("BENCH_LOAD_PAUSE_SCALE", "1"))
# Seconds between two answers. Reading a question and four options and tapping one takes a
# person 10-30 s; 5-10 s keeps the spike's save traffic on the heavy side of real.
SPIKE_PAUSE = (5.0 * _SCALE, 10.0 * _SCALE)
# A spike at k× the capacity needs about k × SPIKE_SECONDS to serve everyone's paper; the phase
# ends SPIKE_TAIL seconds after that (people keep answering until then) and whoever is still
# without a paper at the end counts against the bar.
SPIKE_TAIL = float(os.environ.get("BENCH_LOAD_SPIKE_TAIL", "30"))
# People still in the waiting room at the phase's end keep waiting this much longer (a wait is
# allowed, a timeout or an error is not); whoever has no paper then counts against the bar.
SPIKE_PAPER_GRACE = float(os.environ.get("BENCH_LOAD_SPIKE_PAPER_GRACE", "180"))
SUSTAINED_USERS = int(os.environ.get("BENCH_LOAD_SUSTAINED_USERS", "2000"))
# 2,000 people answering every 1.4-2.2 s offer about 1,100 saves/s: the bar plus a tenth.
SUSTAINED_PAUSE = (1.4 * _SCALE, 2.2 * _SCALE)
# The first seconds are a thundering herd: 2,000 phones open connections and make their first
# save of the attempt on each process (the full path) at once, while the server still seals the
# spike's audit entries and PostgreSQL vacuums and checkpoints its writes. The steady state is
# measured after them; the warm-up's own p99 is reported beside it.
SUSTAINED_WARMUP = 20.0
SUSTAINED_SECONDS = SUSTAINED_WARMUP + float(os.environ.get("BENCH_LOAD_SUSTAINED_SECONDS", "25"))
# Three runs, the median reported: on a machine shared by client, server and database one run's
# p99 moved between about 100 and 350 ms from one minute to the next.
SUSTAINED_RUNS = int(os.environ.get("BENCH_LOAD_SUSTAINED_RUNS", "3"))
# BENCH_LOAD_CEILING_ONLY=1: the machine (CPU probe, /healthz) and the save ceiling, nothing else
# (no start capacity, sign-ins, spikes or sustained phase): a quick run while working on saves.
CEILING_ONLY = os.environ.get("BENCH_LOAD_CEILING_ONLY", "") not in ("", "0")
CEILING_SECONDS = 5.0
CEILING_CONCURRENCY = 64
LOGIN_SAMPLE = 100
# Each participant has a connection of their own, as each phone does; a shared client pool
# would queue saves behind slow page loads inside the load generator itself.
CONNECTIONS = 0  # aiohttp: no limit
REQUEST_TIMEOUT = 30.0
BAR_SAVES = 1000.0
BAR_P99_MS = 150.0
BAR_WAIT_P99_MS = 200.0
BAR_START_CPU_MS = 8.0
BAR_SAVE_CEILING = 70.0  # % of /healthz
PASSWORD = "mat-khau-ngay-thi"

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTION_RE = re.compile(r'name="q(\d+)" value="(\d+)"')
PAGE_RE = re.compile(r'name="page" value="(\d+)"')
DELAY_RE = re.compile(r"delay:(\d+)(ms|s)")
BUSY_RE = re.compile(r'(?:data-retry-after="|http-equiv="refresh" content=")(\d+)"')
ASK_RE = re.compile(r'hx-get="([^"]*/wait[^"]*)"')


# ---------------------------------------------------------------------------- database and server


def _postgres_reason() -> str | None:
    return scratch_db.unavailable(PG_ADMIN_URL)


def postgres_database():
    return scratch_db.throwaway_database("contest_bench", PG_ADMIN_URL)


@contextlib.contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="contest-bench-") as tmp:
        yield f"sqlite:///{tmp}/contest.db"


@dataclass
class Prepared:
    tokens: list[str]
    logins: list[str]
    answering: list[tuple[str, int]] = field(
        default_factory=list
    )  # (token, open attempt) for the sustained phase
    staff: str = ""  # an organiser's session, watching the live page during the sustained phase


def prepare(url: str, count: int, answering: int = 0) -> Prepared:
    """Schema, contest, open round with a 20-question bank, and `count` signed-in participants."""
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from bench.contest_day import open_round
    from contest import clock
    from contest.db import make_engine
    from contest.migrate import upgrade
    from contest.models import Participant
    from contest.services import accounts, sessions, taking
    from contest.services.context import SYSTEM
    from contest.services.passwords import hash_password

    upgrade(url)
    engine = make_engine(url, pool_size=2)
    now = clock.now()
    with Session(engine, expire_on_commit=False) as db:
        rnd = open_round(
            db,
            SLUG,
            now,
            title_en="Digital transformation contest",
            max_attempts=0,
            prediction_vi="Có bao nhiêu người trả lời đúng tất cả các câu hỏi?",
            prediction_en="How many will answer every question right?",
        )
        # One hash for everyone: hashing 5,000 passwords would measure argon2, not the contest day.
        password_hash = hash_password(PASSWORD)
        logins = [
            f"0{20 + i // 1_000_000:02d}0{90 + i % 10}{i:06d}"[:12]
            for i in range(count + answering)
        ]
        db.execute(
            insert(Participant),
            [
                {
                    "contest_id": rnd.contest_id,
                    "full_name": f"Thí sinh {i + 1}",
                    "date_of_birth": date(1990, 1, 1),
                    "gender": "male" if i % 2 else "female",
                    "citizen_id": login,
                    "phone": f"09{i:08d}",
                    "email": None,
                    "unit_id": None,
                    "participant_group": "other",
                    "password_hash": password_hash,
                    "consent_version": "2023-07",
                    "consent_at": now,
                    "registered_at": now,
                }
                for i, login in enumerate(logins)
            ],
        )
        ids = list(
            db.execute(
                select(Participant.id)
                .where(Participant.contest_id == rnd.contest_id)
                .order_by(Participant.id)
            ).scalars()
        )
        tokens = [
            sessions.open_session(db, participant_id=pid, ip="127.0.0.1", user_agent="bench")
            for pid in ids
        ]
        organiser = accounts.create_staff_user(
            db,
            SYSTEM,
            username="bantochuc",
            full_name="Ban Tổ chức",
            password=PASSWORD,
            roles=["organiser"],
        )
        staff = sessions.open_session(
            db, staff_user_id=organiser.id, ip="127.0.0.1", user_agent="bench"
        )
        db.commit()
        # The sustained phase: people already in the middle of an attempt, as most are on a contest day.
        busy = []
        for pid, token in zip(ids[count:], tokens[count:], strict=True):
            attempt = taking.start_attempt(db, db.get(Participant, pid), rnd)
            busy.append((token, attempt.id))
    engine.dispose()
    return Prepared(tokens[:count], logins[:count], busy, staff)


def csrf_token(session_token: str) -> str:
    """The token the attempt page carries (contest.web.csrf: HMAC of the session with the key)."""
    import base64
    import hashlib
    import hmac

    digest = hmac.new(
        SECRET_KEY.encode(), b"csrf:s:" + session_token.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


SECRET_KEY = uuid.uuid4().hex * 2


class Server:
    """`contest serve --workers 2 --no-access-log` on 127.0.0.1: the production command and its
    settings (keep-alive 30 s for phones that pause between answers, proxy headers)."""

    def __init__(self, url: str, workers: int = 2, **settings: str) -> None:
        self.port = live_server.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            CONTEST_DATABASE_URL=url,
            CONTEST_SECRET_KEY=SECRET_KEY,
            CONTEST_COOKIE_SECURE="false",
            **settings,
        )
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("contest")),
                "serve",
                "--workers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            live_server.wait_until_up(self.proc, self.base, seconds=60)
        except RuntimeError:
            self.stop()
            raise
        time.sleep(1.0)  # the second worker answers a moment after the first

    def stop(self) -> None:
        live_server.stop(self.proc, seconds=15)


# ---------------------------------------------------------------------------- the simulated participants


@dataclass
class Stats:
    latencies: dict[tuple[str, str], list[float]] = field(
        default_factory=dict
    )  # (phase, kind) → ms
    done_at: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (phase, kind) → t
    errors: Counter = field(default_factory=Counter)  # (phase, kind, what)
    acked: dict[tuple[int, int], tuple[int, int]] = field(
        default_factory=dict
    )  # (attempt, pos) → (shown, seq)
    sent: dict[tuple[int, int], dict[int, int]] = field(
        default_factory=dict
    )  # (attempt, pos) → {seq: shown}
    attempts: int = 0
    submitted: int = 0
    live_builds: set[tuple[float, int]] = field(default_factory=set)  # (build ms, queries)
    drained: float = 0.0
    tapped: Counter = field(default_factory=Counter)  # phase → people who tapped Start
    papers: Counter = field(default_factory=Counter)  # phase → people who got their paper
    waited: Counter = field(default_factory=Counter)  # phase → of them, through the waiting room
    to_paper: dict[str, list[float]] = field(default_factory=dict)  # phase → tap → paper, ms
    shed: Counter = field(default_factory=Counter)  # (phase, kind) → busy pages answered

    def note(self, phase: str, kind: str, ms: float, at: float) -> None:
        self.latencies.setdefault((phase, kind), []).append(ms)
        self.done_at.setdefault((phase, kind), []).append(at)

    def count(self, phase: str, kind: str, since: float = 0.0, until: float = float("inf")) -> int:
        return sum(1 for t in self.done_at.get((phase, kind), []) if since <= t < until)


class Failed(Exception):
    pass


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Participant:
    def __init__(self, http, base: str, token: str, stats: Stats, rng: random.Random) -> None:
        self.http, self.base, self.stats, self.rng = http, base, stats, rng
        self.cookie = {"Cookie": f"contest_session={token}"}
        self.csrf = ""
        self.seq = 0
        self.page = 0
        self.give_up_at = float("inf")

    async def _call(
        self, phase: str, kind: str, method: str, path: str, expect: int | tuple[int, ...], **kw
    ):
        headers = dict(self.cookie)
        if method == "POST":
            headers["X-CSRF-Token"] = self.csrf
        headers.update(kw.pop("headers", {}))
        while True:
            t0 = time.perf_counter()
            try:
                async with self.http.request(
                    method, self.base + path, headers=headers, allow_redirects=False, **kw
                ) as r:
                    body = await r.read()
                    status, location, hx = (
                        r.status,
                        r.headers.get("Location", ""),
                        r.headers.get("HX-Redirect", ""),
                    )
                    busy = r.headers.get("Retry-After", "") if status == 200 else ""
            except Exception as exc:
                self.stats.errors[(phase, kind, type(exc).__name__)] += 1
                raise Failed from exc
            t1 = time.perf_counter()
            if not busy:
                break
            # The busy page: a phone asks again by itself after the seconds it says (a GET
            # through its refresh, the Start button by re-sending the same form). Not an error.
            self.stats.shed[(phase, kind)] += 1
            found = BUSY_RE.search(body.decode())
            await asyncio.sleep(int(found.group(1)) if found else int(busy))
            if time.perf_counter() > self.give_up_at:
                self.stats.errors[(phase, kind, "busy until the end of the phase")] += 1
                raise Failed
        if status not in (expect if isinstance(expect, tuple) else (expect,)):
            self.stats.errors[(phase, kind, str(status))] += 1
            raise Failed
        self.stats.note(phase, kind, (t1 - t0) * 1000, t1)
        return body, location, hx

    async def get_paper(self, phase: str, stop_at: float) -> tuple[int, bytes] | None:
        """Lobby, Start, the waiting room when the site is full (polled as the page's HTMX does,
        at the interval the page says), the attempt page. None: no paper by `stop_at`."""
        self.give_up_at = stop_at
        body, _, _ = await self._call(phase, "page", "GET", f"/c/{SLUG}/rounds", 200)
        self.csrf = CSRF_RE.search(body.decode()).group(1)
        tapped = time.perf_counter()
        self.stats.tapped[phase] += 1
        body, location, _ = await self._call(
            phase,
            "start",
            "POST",
            f"/c/{SLUG}/rounds/1/start",
            (200, 303),
            data={"csrf_token": self.csrf},
        )
        if not location:  # the waiting page itself: ask as it does
            self.stats.waited[phase] += 1
            paper = ""
            while not paper:
                text = body.decode()
                ask = ASK_RE.search(text)
                location = ask.group(1).replace("&amp;", "&") if ask else f"/c/{SLUG}/rounds/1/wait"
                found = DELAY_RE.search(text)
                delay = (
                    int(found.group(1)) / (1000 if found.group(2) == "ms" else 1) if found else 1
                )
                await asyncio.sleep(delay)
                if time.perf_counter() > stop_at:
                    self.stats.errors[(phase, "start", "no paper by the end of the phase")] += 1
                    return None
                body, _, hx = await self._call(
                    phase, "wait", "GET", location, 200, headers={"HX-Request": "true"}
                )
                paper = hx
            if "/wait" in paper:
                # Told the turn has come, the page opens that address as a page, which serves
                # the paper (counted as a start: the paper is drawn and the clock starts there).
                _, paper, _ = await self._call(phase, "start", "GET", paper, 303)
            location = paper
        if "/attempts/" not in location:
            self.stats.errors[(phase, "start", f"sent to {location}")] += 1
            return None
        attempt_id = int(location.rsplit("/", 1)[1])
        self.stats.attempts += 1
        body, _, _ = await self._call(phase, "page", "GET", f"/attempts/{attempt_id}", 200)
        self.stats.papers[phase] += 1
        self.stats.to_paper.setdefault(phase, []).append((time.perf_counter() - tapped) * 1000)
        return attempt_id, body

    async def take(self, phase: str, pause: tuple[float, float], stop_at: float) -> None:
        """Get the paper, every answer with a pause (some changed once), submit; stop at
        `stop_at` (the phase's end) wherever the person is."""
        got = await self.get_paper(phase, stop_at + SPIKE_PAPER_GRACE)
        if got is None:
            return
        attempt_id, body = got
        # The page number the server issued this rendering: every save from it carries it.
        self.page = int(PAGE_RE.search(body.decode()).group(1))
        self.seq = 0
        options: dict[int, int] = {}
        for pos, idx in OPTION_RE.findall(body.decode()):
            options[int(pos)] = max(options.get(int(pos), 0), int(idx) + 1)
        plan = [pos for pos in sorted(options)]
        plan += self.rng.sample(plan, k=len(plan) // 10)  # a tenth of the answers are changed later
        if time.perf_counter() > stop_at:  # a paper served in the grace: opened, not answered
            return
        for pos in plan:
            await asyncio.sleep(self.rng.uniform(*pause))
            if time.perf_counter() > stop_at:
                return
            await self.save(phase, attempt_id, pos, self.rng.randrange(options[pos]))
        await asyncio.sleep(self.rng.uniform(*pause))
        if time.perf_counter() > stop_at:
            return
        await self._call(
            phase,
            "submit",
            "POST",
            f"/attempts/{attempt_id}/submit",
            200,
            data={"prediction": str(self.rng.randrange(1000))},
            headers={"HX-Request": "true"},
        )
        self.stats.submitted += 1

    async def save(self, phase: str, attempt_id: int, pos: int, shown: int) -> None:
        self.seq += 1
        seq = (self.page << 20) | self.seq  # the order the server stores (domain.attempts)
        self.stats.sent.setdefault((attempt_id, pos), {})[seq] = shown
        await self._call(
            phase,
            "save",
            "POST",
            f"/attempts/{attempt_id}/answers/{pos}",
            200,
            data={f"q{pos}": str(shown), "page": str(self.page), "seq": str(self.seq)},
            headers={"HX-Request": "true"},
        )
        previous = self.stats.acked.get((attempt_id, pos))
        if previous is None or previous[1] < seq:
            self.stats.acked[(attempt_id, pos)] = (shown, seq)


def _session(limit: int = CONNECTIONS):
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, ttl_dns_cache=None),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


async def _guarded(coro) -> None:
    with contextlib.suppress(Failed, asyncio.CancelledError):
        await coro


async def spike(
    base: str, tokens: list[str], stats: Stats, phase: str, multiple: float, seconds: float
) -> float:
    """`len(tokens)` people tap Start evenly over `seconds` (`multiple` × the measured start
    capacity), then take the round; the phase ends when the site, serving at its capacity, has
    had time for everyone's paper (a quarter more for the saves it serves meanwhile) plus
    SPIKE_TAIL."""
    async with _session() as http:
        rng = random.Random(8)
        t0 = time.perf_counter()
        stop_at = t0 + seconds * multiple * 1.25 + SPIKE_TAIL

        async def one(token: str, delay: float) -> None:
            await asyncio.sleep(delay)
            await Participant(http, base, token, stats, random.Random(rng.random())).take(
                phase, SPIKE_PAUSE, stop_at
            )

        tasks = [
            asyncio.ensure_future(_guarded(one(t, i * seconds / max(1, len(tokens)))))
            for i, t in enumerate(tokens)
        ]
        # At the end everyone stops at their next step; one still waiting for the server a
        # request timeout later is an error.
        _, pending = await asyncio.wait(
            tasks,
            timeout=stop_at
            - time.perf_counter()
            + SPIKE_PAPER_GRACE
            + SPIKE_PAUSE[1]
            + REQUEST_TIMEOUT
            + 1,
        )
        for task in pending:
            task.cancel()
            stats.errors[(phase, "request", "unanswered at the time limit")] += 1
        return time.perf_counter() - t0


async def capacity(base: str, tokens: list[str], stats: Stats, seconds: float) -> tuple[float, int]:
    """Papers served per second by CAPACITY_LOOPS closed loops (a fresh person each time)."""
    async with _session() as http:
        stop = time.perf_counter() + seconds
        queue = tokens  # people are taken from its end, so the caller's list shrinks
        served = 0

        async def loop(i: int) -> None:
            nonlocal served
            rng = random.Random(i)
            while queue and time.perf_counter() < stop:
                person = Participant(http, base, queue.pop(), stats, rng)
                if await person.get_paper("capacity", stop + REQUEST_TIMEOUT) is not None:
                    served += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(_guarded(loop(i)) for i in range(CAPACITY_LOOPS)))
        return served / (time.perf_counter() - t0), served


def cpu_probe() -> tuple[float, float]:
    """(wall ms, CPU ms) of a fixed pure-Python loop in this process."""
    w0, c0 = time.perf_counter(), time.process_time()
    total = 0
    for i in range(CPU_PROBE_ITERATIONS):
        total += i * i % 7
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def _database_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving this bench's database (same machine)."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        pids = [
            int(p)
            for p in conn.execute(
                text(
                    "select pid from pg_stat_activity where datname = current_database()"
                    " and pid <> pg_backend_pid()"
                )
            ).scalars()
        ]
    engine.dispose()
    return pids


class MachineTime:
    """CPU seconds used by the server's processes and, on PostgreSQL, the database's backends
    serving it, between two readings (all on this machine)."""

    def __init__(self, server: Server, url: str) -> None:
        self.server, self.url = server, url
        # A closed loop's (requests answered, server s, database s, load client s).
        self.measured: tuple[int, float, float, float] = (0, 0.0, 0.0, 0.0)

    def read(self) -> tuple[dict[int, float], dict[int, float]]:
        return (
            _cpu_seconds(_descendants(self.server.proc.pid)),
            _cpu_seconds(_database_backends(self.url)),
        )

    @staticmethod
    def used(before: tuple, after: tuple) -> tuple[float, float]:
        """(server CPU s, database CPU s) between two readings; a process that started in
        between counts from zero."""
        return tuple(  # type: ignore[return-value]
            sum(cpu - b.get(pid, 0.0) for pid, cpu in a.items())
            for b, a in zip(before, after, strict=True)
        )


async def drain(base: str, token: str, limit: float = 45.0) -> float:
    """Wait until the server has worked off the spike's backlog (requests whose clients gave up
    are still served), so the sustained phase measures itself and not the spike's queue."""
    t0 = time.perf_counter()
    fast = 0
    async with _session(1) as http:
        while fast < 2 and time.perf_counter() - t0 < limit:
            t1 = time.perf_counter()
            with contextlib.suppress(Exception):
                async with http.get(
                    f"{base}/c/{SLUG}/rounds", headers={"Cookie": f"contest_session={token}"}
                ) as r:
                    await r.read()
            fast = fast + 1 if time.perf_counter() - t1 < 0.3 else 0
            await asyncio.sleep(0.5)
    return time.perf_counter() - t0


LIVE_POLL_SECONDS = 1.0  # ten organisers each polling every 10 s, as the page does
LIVE_RE = re.compile(r'data-build-ms="([0-9.]+)" data-queries="([0-9]+)"')


async def watch_live(http, base: str, staff: str, stats: Stats, stop_at: float) -> None:
    """An organiser's live page (its HTMX poll) while the participants answer: its latency, and
    what building it cost when it was built rather than served from the few-second cache."""
    headers = {"Cookie": f"contest_session={staff}", "HX-Request": "true"}
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        try:
            async with http.get(f"{base}/organiser/contests/{SLUG}/live", headers=headers) as r:
                body = await r.text()
                status = r.status
        except (TimeoutError, OSError):
            stats.errors[("sustained", "live", "no answer")] += 1
            status, body = 0, ""
        ms = (time.perf_counter() - t0) * 1000
        if status == 200:
            stats.latencies.setdefault(("sustained", "live"), []).append(ms)
            stats.done_at.setdefault(("sustained", "live"), []).append(time.perf_counter())
            built = LIVE_RE.search(body)
            if built:
                stats.live_builds.add((float(built.group(1)), int(built.group(2))))
        elif status:
            stats.errors[("sustained", "live", f"HTTP {status}")] += 1
        await asyncio.sleep(max(0.0, LIVE_POLL_SECONDS - ms / 1000))


async def sustained(
    base: str, answering: list[tuple[str, int]], stats: Stats, staff: str = ""
) -> tuple[float, float]:
    """People in the middle of their attempt (its page already open) answer with pauses,
    changing answers as people do, until the phase ends; an organiser watches the live page."""
    async with _session() as http:
        rng = random.Random(9)
        t0 = time.perf_counter()
        stop_at = t0 + SUSTAINED_SECONDS

        async def answer(token: str, attempt_id: int, delay: float) -> None:
            await asyncio.sleep(delay)
            person = Participant(http, base, token, stats, random.Random(rng.random()))
            # Their page is already open in the browser: the token is the one it holds, and the
            # page number the server issued it (a time in ms).
            person.csrf = csrf_token(token)
            person.page = int(time.time() * 1000) - 60_000
            positions = list(range(20))
            while True:
                await asyncio.sleep(person.rng.uniform(*SUSTAINED_PAUSE))
                if time.perf_counter() > stop_at:
                    return
                await person.save(
                    "sustained", attempt_id, person.rng.choice(positions), person.rng.randrange(4)
                )

        tasks = [
            asyncio.ensure_future(_guarded(answer(t, a, rng.uniform(0, SUSTAINED_PAUSE[1]))))
            for t, a in answering
        ]
        if staff:
            tasks.append(asyncio.ensure_future(watch_live(http, base, staff, stats, stop_at)))
        await asyncio.wait(tasks, timeout=SUSTAINED_SECONDS + REQUEST_TIMEOUT)
        for task in tasks:
            task.cancel()
        return t0 + SUSTAINED_WARMUP, stop_at


async def closed_loop(
    base: str, tokens: list[str], stats: Stats, kind: str, meter: MachineTime | None = None
) -> float:
    """Requests per second of CEILING_CONCURRENCY loops without pauses: GET /healthz, or saves
    (each loop a person of `tokens` with an attempt of their own, started first).

    Both kinds use the same client (bench.http_loop: one keep-alive connection per loop, requests
    prepared as bytes, every response read and parsed), so what the client spends per request is
    about the same for both and the ratio compares the server's two paths. A request that fails
    (no answer within REQUEST_TIMEOUT, an unreadable response, a status other than 200) is
    counted as an error of the "ceiling" phase and ends its loop. With `meter`, the CPU time of
    the server, the database and this client while the loops run (and only then) is left in
    `meter.measured` as (requests answered, server s, database s, client s). Every save
    acknowledged with 200
    is kept (appended to a list, folded into `stats` after the run) for the loss check.
    """
    from bench.http_loop import Connection

    host = base.split("//", 1)[1]
    port = int(host.rsplit(":", 1)[1])
    done = 0
    seconds = CEILING_SECONDS
    if kind == "healthz":
        request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        loops: list[tuple[Connection, list[bytes], int, int]] = [
            (Connection("127.0.0.1", port, REQUEST_TIMEOUT), [request], 0, 0)
            for _ in range(CEILING_CONCURRENCY)
        ]
    else:
        loops = []
        async with _session(CEILING_CONCURRENCY) as http:
            for i, token in enumerate(tokens[:CEILING_CONCURRENCY]):
                # One attempt each (through the lobby, Start and the attempt page), then saves as
                # fast as the server answers them.
                person = Participant(http, base, token, stats, random.Random(i))
                got = await person.get_paper("ceiling", time.perf_counter() + 120)
                if got is None:
                    raise Failed
                attempt_id = got[0]
                page = int(PAGE_RE.search(got[1].decode()).group(1))
                heads = [
                    (
                        f"POST /attempts/{attempt_id}/answers/{pos} HTTP/1.1\r\nHost: {host}\r\n"
                        f"Cookie: contest_session={token}\r\nX-CSRF-Token: {person.csrf}\r\n"
                        "HX-Request: true\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: "
                    ).encode()
                    for pos in range(20)
                ]
                loops.append(
                    (Connection("127.0.0.1", port, REQUEST_TIMEOUT), heads, attempt_id, page)
                )
    for conn, *_ in loops:
        await conn.connect()
    sent: list[tuple[int, int, int, int]] = []  # (attempt, position, order stored, shown)
    acked: list[tuple[int, int, int, int]] = []
    what = "healthz" if kind == "healthz" else "save"

    async def loop(conn: Connection, heads: list[bytes], attempt_id: int, page: int) -> None:
        nonlocal done
        n = 0
        while time.perf_counter() < stop:
            if kind == "healthz":
                request = heads[0]
            else:
                pos, shown = n % 20, n % 4
                n += 1
                body = b"q%d=%d&page=%d&seq=%d" % (pos, shown, page, n)
                request = heads[pos] + b"%d\r\n\r\n" % len(body) + body
                save = (attempt_id, pos, (page << 20) | n, shown)
                sent.append(save)
            try:
                status, _ = await conn.request(request)
            except Exception as exc:  # noqa: BLE001 - any failure is counted, and ends the loop
                stats.errors[("ceiling", what, type(exc).__name__ or "error")] += 1
                return
            if status != 200:
                stats.errors[("ceiling", what, str(status))] += 1
                return
            done += 1
            if kind != "healthz":
                acked.append(save)

    before = meter.read() if meter else None
    t0, c0 = time.perf_counter(), time.process_time()
    stop = t0 + seconds
    await asyncio.gather(*(loop(*each) for each in loops))
    elapsed, client = time.perf_counter() - t0, time.process_time() - c0
    if meter is not None:
        meter.measured = (done, *MachineTime.used(before, meter.read()), client)
    for conn, *_ in loops:
        conn.close()
    for a, pos, order, shown in sent:
        stats.sent.setdefault((a, pos), {})[order] = shown
    for a, pos, order, shown in acked:
        previous = stats.acked.get((a, pos))
        if previous is None or previous[1] < order:
            stats.acked[(a, pos)] = (shown, order)
    return done / elapsed


async def logins(base: str, prepared: Prepared, stats: Stats) -> float:
    """A sample signs in through POST /c/{slug}/login (argon2 verify included)."""
    async with _session(8) as http:
        async with http.get(f"{base}/c/{SLUG}/login") as r:
            body = await r.text()
            anon = r.cookies["contest_anon"].value
        csrf = CSRF_RE.search(body).group(1)
        sample = prepared.logins[:LOGIN_SAMPLE]
        sem = asyncio.Semaphore(8)

        async def one(login: str) -> None:
            async with sem:
                t0 = time.perf_counter()
                async with http.post(
                    f"{base}/c/{SLUG}/login",
                    data={"login": login, "password": PASSWORD, "csrf_token": csrf},
                    headers={"Cookie": f"contest_anon={anon}"},
                    allow_redirects=False,
                ) as r:
                    await r.read()
                    ok = r.status == 303 and "contest_session" in r.cookies
                t1 = time.perf_counter()
                if ok:
                    stats.note("login", "login", (t1 - t0) * 1000, t1)
                else:
                    stats.errors[("login", "login", str(r.status))] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(login) for login in sample))
        return len(sample) / (time.perf_counter() - t0)


def lost_answers(url: str, stats: Stats) -> tuple[int, int]:
    """(acknowledged saves checked, acknowledged saves missing or different in the database)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from contest.db import make_engine
    from contest.models import Answer, Attempt

    engine = make_engine(url, pool_size=1)
    attempt_ids = sorted({a for a, _ in stats.acked})
    stored: dict[tuple[int, int], tuple[list, int]] = {}
    papers: dict[int, list] = {}
    with Session(engine) as db:
        for i in range(0, len(attempt_ids), 5000):
            chunk = attempt_ids[i : i + 5000]
            for a, pos, chosen, seq in db.execute(
                select(Answer.attempt_id, Answer.position, Answer.chosen, Answer.client_seq).where(
                    Answer.attempt_id.in_(chunk)
                )
            ):
                stored[(a, pos)] = (chosen, seq)
            papers.update(
                db.execute(select(Attempt.id, Attempt.paper).where(Attempt.id.in_(chunk))).all()
            )
    engine.dispose()
    lost = 0
    for (a, pos), (_, seq) in stats.acked.items():
        row = stored.get((a, pos))
        # A newer save that was sent but not acknowledged (timed out) may rightly have replaced it.
        shown = stats.sent[(a, pos)].get(row[1]) if row is not None and row[1] >= seq else None
        if shown is None or row[0] != [papers[a][pos]["o"][shown]]:
            lost += 1
    return len(stats.acked), lost


# ---------------------------------------------------------------------------- one run, and the figures


@dataclass
class Outcome:
    label: str
    stats: Stats
    probe: tuple[float, float]  # CPU probe (wall ms, CPU ms)
    healthz_rps: float  # measured first
    healthz_after: float
    healthz_cpu_ms: float  # server CPU per /healthz request
    capacity: float  # papers/s
    start_cpu_ms: tuple[float, float]  # per paper: server, database
    spikes: list[tuple[int, int, float, float]]  # (multiple, people, seconds offered, phase s)
    windows: list[tuple[float, float]]
    save_ceiling: float
    save_cpu_ms: tuple[float, float]
    login_rate: float
    checked: int
    lost: int
    setup_seconds: float
    client_ms: tuple[float, float] = (0.0, 0.0)  # load client CPU per request: /healthz, save

    @property
    def healthz_ms(self) -> float:
        """A /healthz request's mean time in its closed loop of CEILING_CONCURRENCY (Little's law)."""
        return CEILING_CONCURRENCY / max(self.healthz_rps, 1e-6) * 1000


def _say(text: str) -> None:
    print(f"    {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def run_one(label: str, url: str, count: int) -> Outcome:
    probe = cpu_probe()
    if CEILING_ONLY:
        count = CEILING_CONCURRENCY
    _say(f"{label}: preparing {count:,} participants")
    t0 = time.perf_counter()
    prepared = prepare(url, count, 0 if CEILING_ONLY else SUSTAINED_USERS)
    setup = time.perf_counter() - t0
    stats = Stats()
    pool = list(prepared.tokens)

    def take(n: int) -> list[str]:
        taken = pool[:n]
        del pool[:n]
        return taken

    ceiling_people = take(CEILING_CONCURRENCY)
    # The client's own garbage collector, not the server, made the late runs' latencies: its heap
    # grows with every acknowledged save it keeps for the loss check (over 100,000 after the
    # spike), and a full collection of it stalls the event loop that times the responses. As
    # timeit does, collect between phases and not during them.
    gc.collect()
    gc.disable()
    spikes = []
    server: Server | None = None
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)

        def phase(coro):
            gc.collect()
            return runner.run(coro)

        def metered(coro):
            before = meter.read()
            result = phase(coro)
            return result, MachineTime.used(before, meter.read())

        with runner:
            # The machine, and what it can start, on a server without the waiting room: the
            # capacity is then the machine's own, not the rate the waiting room lets through.
            server = Server(url, CONTEST_ADMISSION_ENABLED="false")
            meter = MachineTime(server, url)
            try:
                _say(f"{label}: the machine first (GET /healthz)")
                healthz = phase(closed_loop(server.base, [], stats, "healthz", meter))
                answered, h_server, _, h_client = meter.measured
                healthz_cpu = h_server * 1000 / max(1, answered)
                client_ms = [h_client * 1000 / max(1, answered), 0.0]
                cap, start_cpu, login_rate, windows = 0.0, (0.0, 0.0), 0.0, []
                if not CEILING_ONLY:
                    _say(f"{label}: start capacity ({CAPACITY_LOOPS} loops, no waiting room)")
                    (cap, served), (s_server, s_db) = metered(
                        capacity(server.base, pool, stats, CAPACITY_SECONDS)
                    )
                    start_cpu = (s_server * 1000 / max(1, served), s_db * 1000 / max(1, served))
            finally:
                server.stop()
            _say(
                f"{label}: {cap:.1f} starts/s, {sum(start_cpu):.1f} ms of CPU a start; "
                f"/healthz {healthz:,.0f} req/s"
            )
            server = Server(url)
            meter = MachineTime(server, url)
            if not CEILING_ONLY:
                _say(f"{label}: sign-ins")
                login_rate = phase(logins(server.base, prepared, stats))
                # Each spike lasts SPIKE_SECONDS, or less when the people prepared would not fill
                # all three at the measured capacity.
                spike_seconds = max(
                    5.0, min(SPIKE_SECONDS, len(pool) / max(1e-6, sum(SPIKE_MULTIPLES) * cap))
                )
                for k in SPIKE_MULTIPLES:
                    people = take(max(1, round(k * cap * spike_seconds)))
                    _say(f"{label}: spike {k}× ({len(people):,} people in {spike_seconds:.0f} s)")
                    seconds = phase(
                        spike(server.base, people, stats, f"spike{k}x", k, spike_seconds)
                    )
                    spikes.append((k, len(people), spike_seconds, seconds))
                    phase(drain(server.base, ceiling_people[0]))
                _say(f"{label}: sustained")
                windows = [
                    phase(sustained(server.base, prepared.answering, stats, prepared.staff))
                    for _ in range(SUSTAINED_RUNS)
                ]
            _say(f"{label}: save ceiling")
            ceiling = phase(closed_loop(server.base, ceiling_people, stats, "save", meter))
            saved, v_server, v_db, v_client = meter.measured
            save_cpu = (v_server * 1000 / max(1, saved), v_db * 1000 / max(1, saved))
            client_ms[1] = v_client * 1000 / max(1, saved)
            healthz_after = phase(closed_loop(server.base, [], stats, "healthz"))
    finally:
        gc.enable()
        if server is not None:
            server.stop()
    _say(f"{label}: comparing acknowledged saves with the database")
    checked, lost = lost_answers(url, stats)
    return Outcome(
        label,
        stats,
        probe,
        healthz,
        healthz_after,
        healthz_cpu,
        cap,
        start_cpu,
        spikes,
        windows,
        ceiling,
        save_cpu,
        login_rate,
        checked,
        lost,
        setup,
        (client_ms[0], client_ms[1]),
    )


def _latency_note(stats: Stats, phase: str) -> str:
    parts = []
    for kind in ("start", "wait", "save", "submit", "page"):
        values = stats.latencies.get((phase, kind), [])
        if values:
            parts.append(
                f"{kind} p50/p95/p99 {pct(values, 0.5):.0f}/{pct(values, 0.95):.0f}/{pct(values, 0.99):.0f} ms"
            )
    return "; ".join(parts)


def _shed_note(stats: Stats, phase: str) -> str:
    """Busy pages answered (each retried by the person after the seconds it said)."""
    mine = {kind: n for (p, kind), n in stats.shed.items() if p == phase}
    shown = ", ".join(f"{kind} {n:,}" for kind, n in sorted(mine.items())) or "none"
    return f"busy pages (retried, not errors): {shown}"


def _errors_of(s: Stats, phase: str) -> tuple[int, str]:
    mine = Counter({key: n for key, n in s.errors.items() if key[0] == phase})
    text = ", ".join(f"{k}: {w} ×{n}" for (_, k, w), n in mine.most_common(4)) or "none"
    return sum(mine.values()), text


def figures(o: Outcome, with_bars: bool) -> list[Figure]:
    s = o.stats
    tag = o.label
    h = o.healthz_rps
    out = [
        Figure(
            f"load [{tag}] machine: GET /healthz, {CEILING_CONCURRENCY} loops, measured first",
            h,
            "req/s",
            "",
            None,
            f"the ceiling every ratio below is taken against; {o.healthz_after:,.0f} req/s at the end; "
            f"{o.healthz_cpu_ms:.2f} ms of server CPU a request; CPU probe ({CPU_PROBE_ITERATIONS:,} "
            f"Python loop steps in the client): {o.probe[0]:,.0f} ms wall, {o.probe[1]:,.0f} ms CPU",
        ),
        Figure(
            f"load [{tag}] start capacity of the machine (lobby → start → attempt page, "
            f"{CAPACITY_LOOPS} loops, waiting room off)",
            o.capacity,
            "starts/s",
            "",
            None,
            f"{o.capacity / h * 100:.2f} % of /healthz; the spikes below offer multiples of it; "
            + _latency_note(s, "capacity"),
        ),
        Figure(
            f"load [{tag}] machine time per start (CPU, not wall)",
            sum(o.start_cpu_ms),
            "ms",
            f"≤ {BAR_START_CPU_MS:.0f} ms" if with_bars else "",
            (sum(o.start_cpu_ms) <= BAR_START_CPU_MS) if with_bars else None,
            f"server processes {o.start_cpu_ms[0]:.1f} ms + database {o.start_cpu_ms[1]:.1f} ms per paper "
            f"served in the capacity phase (the machine busy with starts); "
            f"= {sum(o.start_cpu_ms) / max(o.healthz_cpu_ms, 1e-6):.0f}× "
            f"the server CPU of one /healthz request",
        ),
    ]
    if CEILING_ONLY:
        return [out[0], *_ceiling_only_figures(o)]
    for k, people, seconds, took in o.spikes:
        phase = f"spike{k}x"
        tapped, papers, waited = s.tapped[phase], s.papers[phase], s.waited[phase]
        errors, error_text = _errors_of(s, phase)
        waits = s.latencies.get((phase, "wait"), [])
        saves = s.latencies.get((phase, "save"), [])
        to_paper = s.to_paper.get(phase, [])
        run_s = max(1e-6, took)
        out += [
            Figure(
                f"load [{tag}] spike {k}×: {people:,} people tap Start within {seconds:.0f} s",
                papers / max(1, tapped) * 100,
                "% got their paper",
                "100 %",
                papers == tapped and tapped == people,
                f"offered {people / seconds:,.1f} starts/s = {people / seconds / max(o.capacity, 1e-6):.1f}× the "
                f"capacity = {people / seconds / h * 100:.2f} % of /healthz; {papers:,} of {tapped:,} got "
                f"their paper, {waited:,} through the waiting room; tap → paper p50/p99 "
                f"{pct(to_paper, 0.5):,.0f}/{pct(to_paper, 0.99):,.0f} ms; phase {took:.0f} s; "
                + _shed_note(s, phase)
                + "; "
                + _latency_note(s, phase),
            ),
            Figure(
                f"load [{tag}] spike {k}×: waiting page p99",
                pct(waits, 0.99) if waits else 0.0,
                "ms",
                f"≤ {BAR_WAIT_P99_MS:.0f} ms",
                (pct(waits, 0.99) <= BAR_WAIT_P99_MS) if waits else True,
                (
                    f"{len(waits):,} waiting-page requests ({len(waits) / run_s:,.0f}/s over the "
                    f"phase = {len(waits) / run_s / h * 100:.1f} % of /healthz), p50 "
                    f"{pct(waits, 0.5):.0f} ms; p99 = {pct(waits, 0.99) / o.healthz_ms:.1f}× a "
                    f"/healthz request's time in its closed loop"
                )
                if waits
                else "nobody waited",
            ),
            Figure(
                f"load [{tag}] spike {k}×: save p99 of people answering",
                pct(saves, 0.99),
                "ms",
                f"≤ {BAR_P99_MS:.0f} ms",
                pct(saves, 0.99) <= BAR_P99_MS,
                f"{len(saves):,} saves ({len(saves) / run_s:,.0f}/s = {len(saves) / run_s / h * 100:.1f} % "
                f"of /healthz), p50 {pct(saves, 0.5):.0f} ms; p99 = "
                f"{pct(saves, 0.99) / o.healthz_ms:.1f}× a /healthz request's time in its closed loop",
            ),
            Figure(
                f"load [{tag}] spike {k}×: errors and client timeouts ({REQUEST_TIMEOUT:.0f} s)",
                errors,
                "",
                "0",
                errors == 0,
                error_text,
            ),
        ]
    saves = list(
        zip(
            s.latencies.get(("sustained", "save"), []),
            s.done_at.get(("sustained", "save"), []),
            strict=True,
        )
    )
    runs = []  # (p99, saves/s, latencies) of each sustained run's steady window
    for since, until in o.windows:
        window_lat = [ms for ms, t in saves if since <= t < until]
        runs.append((pct(window_lat, 0.99), len(window_lat) / (until - since), window_lat))
    p99, saves_per_s, window_lat = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    since, until = o.windows[0]
    each_run = "; ".join(f"{rate:,.0f} saves/s, p99 {q:,.0f} ms" for q, rate, _ in runs)
    errors, error_text = _errors_of(s, "sustained")
    c_errors, c_text = _errors_of(s, "ceiling")
    k_errors, k_text = _errors_of(s, "capacity")
    l_errors, l_text = _errors_of(s, "login")
    k_errors += l_errors
    k_text = "; ".join(t for t in (k_text, l_text) if t != "none") or "none"
    logins = s.latencies.get(("login", "login"), [])
    offered = SUSTAINED_USERS / ((SUSTAINED_PAUSE[0] + SUSTAINED_PAUSE[1]) / 2)
    out += [
        Figure(
            f"load [{tag}] sustained saves ({SUSTAINED_USERS:,} participants mid-attempt, pauses "
            f"{SUSTAINED_PAUSE[0]:g}–{SUSTAINED_PAUSE[1]:g} s)",
            saves_per_s,
            "saves/s",
            f"≥ {BAR_SAVES:,.0f} saves/s" if with_bars else "",
            (saves_per_s >= BAR_SAVES) if with_bars else None,
            f"{saves_per_s / h * 100:.0f} % of /healthz; offered ≈ {offered:,.0f} saves/s; median of "
            f"{len(runs)} runs ({each_run}), each over {until - since:.0f} s after a "
            f"{SUSTAINED_WARMUP:.0f} s warm-up",
        ),
        Figure(
            f"load [{tag}] sustained save latency p99",
            p99,
            "ms",
            f"≤ {BAR_P99_MS:.0f} ms",
            p99 <= BAR_P99_MS if with_bars else None,
            f"the median run: p50 {pct(window_lat, 0.5):.0f} ms, p95 {pct(window_lat, 0.95):.0f} ms over "
            f"{len(window_lat):,} saves",
        ),
        *_live_page_figure(s, tag, h),
        _ceiling_figure(o),
        Figure(
            f"load [{tag}] errors outside the spikes (capacity, sign-ins, sustained, ceiling)",
            errors + c_errors + k_errors,
            "",
            "0",
            errors + c_errors + k_errors == 0,
            "; ".join(t for t in (k_text, error_text, c_text) if t != "none") or "none",
        ),
        Figure(
            f"load [{tag}] acknowledged answers lost",
            o.lost,
            "",
            "0",
            o.lost == 0,
            f"{o.checked:,} acknowledged (attempt, question) answers compared with the database",
        ),
        Figure(
            f"load [{tag}] sign-in through the login endpoint",
            o.login_rate,
            "logins/s",
            "",
            None,
            f"{len(logins)} sign-ins, p50 {pct(logins, 0.5):.0f} ms, p99 {pct(logins, 0.99):.0f} ms "
            f"(argon2id verify, 8 at a time); {o.login_rate / h * 100:.1f} % of /healthz",
        ),
    ]
    return out


def _ceiling_figure(o: Outcome) -> Figure:
    h = o.healthz_rps
    return Figure(
        f"load [{o.label}] save ceiling as a fraction of /healthz",
        o.save_ceiling / h * 100,
        "%",
        f"≥ {BAR_SAVE_CEILING:.0f} %",
        o.save_ceiling / h * 100 >= BAR_SAVE_CEILING,
        f"saves without pauses: {o.save_ceiling:,.0f}/s, {CEILING_CONCURRENCY} loops (the same client "
        f"as /healthz's); {o.save_ceiling / max(o.healthz_after, 1e-6) * 100:.0f} % of the /healthz "
        f"measured right after it on the same server ({o.healthz_after:,.0f} req/s: the machine's speed "
        f"moves between phases); machine time per save while they ran: server {o.save_cpu_ms[0]:.3f} ms + "
        f"database {o.save_cpu_ms[1]:.3f} ms (/healthz: server {o.healthz_cpu_ms:.3f} ms); the load "
        f"client's CPU per request: save {o.client_ms[1]:.3f} ms, /healthz {o.client_ms[0]:.3f} ms",
    )


def _ceiling_only_figures(o: Outcome) -> list[Figure]:
    """BENCH_LOAD_CEILING_ONLY: the machine, the save ceiling, its errors, the loss check."""
    errors, text = _errors_of(o.stats, "ceiling")
    return [
        _ceiling_figure(o),
        Figure(f"load [{o.label}] errors in the closed loops", errors, "", "0", errors == 0, text),
        Figure(
            f"load [{o.label}] acknowledged answers lost",
            o.lost,
            "",
            "0",
            o.lost == 0,
            f"{o.checked:,} acknowledged (attempt, question) answers compared with the database",
        ),
    ]


def _live_page_figure(s: Stats, tag: str, healthz: float) -> list[Figure]:
    polls = s.latencies.get(("sustained", "live"), [])
    if not polls:
        return []
    builds = sorted(ms for ms, _ in s.live_builds)
    queries = max((q for _, q in s.live_builds), default=0)
    return [
        Figure(
            f"load [{tag}] organisers' live page p99 while the sustained saves run",
            pct(polls, 0.99),
            "ms",
            "",
            None,
            f"HTMX poll every {LIVE_POLL_SECONDS:g} s: p50 {pct(polls, 0.5):.0f} ms over {len(polls)} "
            f"polls; built {len(builds)} times (else from the {5:g} s cache of each process), "
            f"{queries} queries a build, build p50 {pct(builds, 0.5):.0f} ms, max "
            f"{max(builds, default=0):.0f} ms; the machine: GET /healthz {healthz:,.0f} req/s",
        )
    ]


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


LIMITS = (
    "What limits it: (1) the cores: the load client (aiohttp; the closed loops bench.http_loop), two uvicorn workers, their job worker and PostgreSQL share "
    "them (and, on a shared machine, whatever else runs: compare every figure with the /healthz ceiling and "
    "the CPU probe of the same run); (2) a save served by the answer lane is written with the saves that arrive with it, one statement and one commit on PostgreSQL (services/save_batches.py); "
    "(3) a start (lobby, Start, attempt page) costs tens of times a save (the machine time per start above); "
    "beyond the rate each process measures it can serve, people wait in the waiting room "
    "(services/admission.py), whose asks are answered from each process's snapshot of the queue without a "
    "query (web/wait_lane.py); the pages (lobby, Start, attempt page) run a few at a time per process, as "
    "many as the saves' latency allows (web/gate.py), but every arrival still costs a lobby and a Start: "
    "when arrivals alone cost more than the machine has, a lobby or Start that would wait over 2.5 s gets "
    "the busy page, which asks again after 2-10 s (counted in the spikes' notes): tap → paper grows, "
    "nobody times out."
)


def _reported(found: list[Figure]) -> list[Figure]:
    from bench.__main__ import table

    print(table(found), file=sys.stderr, flush=True)
    return found


def run() -> list[Figure]:
    out: list[Figure] = []
    which = os.environ.get("BENCH_LOAD_DATABASES", "postgresql,sqlite")
    reason = _postgres_reason() if "postgresql" in which else "left out by BENCH_LOAD_DATABASES"
    before = _load_average()
    if reason:
        left_out = "postgresql" not in which
        out.append(
            Figure(
                "load [PostgreSQL]",
                0,
                "",
                "" if left_out else f"≥ {BAR_SAVES:,.0f} saves/s",
                None if left_out else False,
                f"not run: {reason}",
            )
        )
    else:
        with postgres_database() as url:
            out.extend(_reported(figures(run_one("PostgreSQL", url, PARTICIPANTS), with_bars=True)))
    if "sqlite" in which:
        with sqlite_database() as url:
            out.extend(_reported(figures(run_one("SQLite", url, PARTICIPANTS), with_bars=False)))
    out.append(
        Figure(
            "load: machine load average (1/5/15 min) before → after",
            os.getloadavg()[0],
            "",
            "",
            None,
            f"{before} → {_load_average()}; the client, both server workers and the database share "
            f"{os.cpu_count()} cores. {LIMITS}",
        )
    )
    return out


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
