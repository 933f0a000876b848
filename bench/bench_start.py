"""Machine time of one start, on PostgreSQL: lobby, Start, attempt page, one person after another.

A start is what a phone does when a round opens: GET the lobby, POST Start (the paper is drawn, the
attempt created), GET the attempt page. ``contest serve --workers 1`` serves STARTS people one after
another (each a different signed-in person, as on a contest day); the figure is the CPU time the
server's processes and the database's backends used, divided by the starts (``/proc``: user +
system, every thread). One request at a time keeps the figure about the code, not the scheduler:
a loaded machine makes each start slower in wall time but costs it about the same CPU. What the
processes use while idle (the background threads, the job worker's polls) is measured in the same
run over the same length of time and printed beside it.

The SQL statements of one start are counted in this process (a TestClient on the same database,
SQLAlchemy's ``before_cursor_execute``), request by request.

The waiting room lets a process's starts through at a rate it learns, beginning at 20 a second;
people starting one after another faster than that would be sent to it, so this bench begins at
its ceiling (``CONTEST_ADMISSION_INITIAL_RATE``): the admission check is still made on every
start, and nobody waits.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import sys
import time
from dataclasses import dataclass

from bench import Figure

STARTS = int(os.environ.get("BENCH_START_STARTS", "300"))
WARMUP = 20
COUNTED = 5  # starts whose statements are counted in this process
BAR_CPU_MS = 8.0
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _say(text: str) -> None:
    print(f"    {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


class Phone:
    """One keep-alive connection, asking for gzip as phones do; each start carries its own
    person's session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, token: str, body: str = "", csrf: str = ""):
        headers = {"Cookie": f"contest_session={token}", "Accept-Encoding": "gzip"}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRF-Token"] = csrf
        self.conn.request(method, path, body=body or None, headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        if r.getheader("Content-Encoding") == "gzip":  # as phones ask for it
            body = gzip.decompress(body)
        return r.status, r.getheader("Location", ""), body

    def start(self, token: str) -> str:
        """The three requests of a start; what went wrong, or ""."""
        from bench.bench_load import SLUG

        status, _, body = self.call("GET", f"/c/{SLUG}/rounds", token)
        found = CSRF_RE.search(body.decode())
        if status != 200 or not found:
            return f"lobby {status}"
        csrf = found.group(1)
        status, location, _ = self.call(
            "POST", f"/c/{SLUG}/rounds/1/start", token, f"csrf_token={csrf}", csrf
        )
        if status == 200:
            return "waiting room"
        if status != 303 or "/attempts/" not in location:
            return f"start {status} {location}"
        status, _, body = self.call("GET", location, token)
        if status != 200 or b'name="q0"' not in body:
            return f"attempt page {status}"
        return ""


@dataclass
class Measured:
    starts: int
    seconds: float
    server_ms: float  # CPU per start
    db_ms: float
    idle_server_ms: float  # CPU the same processes use idle over the same time, per start
    idle_db_ms: float
    failures: dict[str, int]
    statements: dict[str, float]  # request → SQL statements (mean of COUNTED starts)


def _statements(url: str, tokens: list[str]) -> dict[str, float]:
    """SQL statements per request of a start, counted in this process on the same database."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from bench.bench_load import SECRET_KEY, SLUG
    from contest import db as database
    from contest.config import get_settings
    from contest.services import admission
    from contest.web.app import create_app

    admission.reset()
    os.environ.update(
        CONTEST_DATABASE_URL=url, CONTEST_SECRET_KEY=SECRET_KEY, CONTEST_COOKIE_SECURE="false"
    )
    get_settings.cache_clear()
    engine = database.make_engine(url)
    database.use_engine(engine)
    counts: dict[str, int] = {}
    current = [""]

    def count(*_args) -> None:
        counts[current[0]] = counts.get(current[0], 0) + 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        with TestClient(create_app()) as client:
            for i, token in enumerate(tokens):
                client.cookies.set("contest_session", token)
                current[0] = "lobby" if i else "warm-up"
                body = client.get(f"/c/{SLUG}/rounds").text
                csrf = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
                current[0] = "start" if i else "warm-up"
                r = client.post(
                    f"/c/{SLUG}/rounds/1/start",
                    data={"csrf_token": csrf},
                    headers={"X-CSRF-Token": csrf},
                    follow_redirects=False,
                )
                assert r.status_code == 303, r.status_code
                current[0] = "attempt page" if i else "warm-up"
                assert client.get(r.headers["location"]).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
        get_settings.cache_clear()
    n = max(1, len(tokens) - 1)
    return {k: v / n for k, v in counts.items() if k != "warm-up"}


def measure(url: str, starts: int = STARTS) -> Measured:
    from bench.bench_load import MachineTime, Server, prepare

    _say(f"start: preparing {WARMUP + starts + COUNTED:,} signed-in people")
    prepared = prepare(url, WARMUP + starts + COUNTED)
    tokens = prepared.tokens
    counted, tokens = tokens[:COUNTED], tokens[COUNTED:]
    statements = _statements(url, counted)
    server = Server(url, workers=1)
    meter = MachineTime(server, url)
    failures: dict[str, int] = {}
    try:
        phone = Phone(server.port)
        for token in tokens[:WARMUP]:  # each process's caches, the connection pool
            phone.start(token)
        _say(f"start: {starts} starts, one after another")
        before = meter.read()
        t0 = time.perf_counter()
        for token in tokens[WARMUP : WARMUP + starts]:
            what = phone.start(token)
            if what:
                failures[what] = failures.get(what, 0) + 1
        seconds = time.perf_counter() - t0
        server_s, db_s = MachineTime.used(before, meter.read())
        # The same processes idle for as long (sealing the queued audit entries included).
        before = meter.read()
        time.sleep(seconds)
        idle_server_s, idle_db_s = MachineTime.used(before, meter.read())
    finally:
        server.stop()
    return Measured(
        starts,
        seconds,
        server_s * 1000 / starts,
        db_s * 1000 / starts,
        idle_server_s * 1000 / starts,
        idle_db_s * 1000 / starts,
        failures,
        statements,
    )


def figures(m: Measured, probe: tuple[float, float]) -> list[Figure]:
    total = m.server_ms + m.db_ms
    failed = sum(m.failures.values())
    return [
        Figure(
            "start: machine CPU per start (lobby + Start + attempt page), server + database",
            total,
            "ms",
            f"≤ {BAR_CPU_MS:g} ms",
            total <= BAR_CPU_MS and not failed,
            f"server {m.server_ms:.2f} + database {m.db_ms:.2f} ms; {m.starts} starts one after "
            f"another in {m.seconds:.1f} s ({m.seconds * 1000 / m.starts:.1f} ms wall each), "
            f"`contest serve --workers 1` on PostgreSQL; the same processes idle for as long: "
            f"server {m.idle_server_ms:.2f} + database {m.idle_db_ms:.2f} ms per start's share; "
            f"failures: {m.failures or 'none'}; CPU probe of this run {probe[1]:.0f} ms",
        ),
        Figure(
            "start: SQL statements per start",
            sum(m.statements.values()),
            "",
            "",
            None,
            ", ".join(f"{k} {v:g}" for k, v in m.statements.items())
            + f" (mean of {COUNTED - 1} starts after one warm-up, in-process)",
        ),
    ]


def run() -> list[Figure]:
    from bench.bench_load import _postgres_reason, cpu_probe, postgres_database

    reason = _postgres_reason()
    os.environ["CONTEST_ADMISSION_INITIAL_RATE"] = "400"
    if reason:
        return [
            Figure(
                "start: machine CPU per start",
                0,
                "ms",
                f"≤ {BAR_CPU_MS:g} ms",
                False,
                f"not run: {reason}",
            )
        ]
    probe = cpu_probe()
    with postgres_database() as url:
        return figures(measure(url), probe)


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
