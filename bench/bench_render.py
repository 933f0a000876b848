"""CPU time of the attempt page: a 20-question paper rendered again and again (the part of a start
that grows with the paper), beside a fixed CPU probe measured in the same run.

CPU time (``time.process_time``, every thread of this process: the test client's and the app's)
rather than wall time, so a loaded machine slows the figure less; it still varies with the
machine, which is why the probe is printed beside it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench import Figure

PAGES = 200
PEOPLE = 20
BAR_MS = 8.0  # the whole start (lobby + start + attempt page) must fit in this


def run() -> list[Figure]:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from bench.bench_load import cpu_probe
    from bench.contest_day import open_round, start_attempt
    from contest import clock
    from contest import db as database
    from contest.migrate import upgrade
    from contest.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'render.db'}"
        upgrade(url)
        engine = database.make_engine(url)
        database.use_engine(engine)
        now = clock.now()
        people: list[tuple[int, str]] = []
        with Session(engine, expire_on_commit=False) as db:
            rnd = open_round(db, "ve-trang", now)
            for i in range(PEOPLE):
                people.append(start_attempt(db, rnd, now, f"0201900{i:05d}", f"09123{i:05d}"))
            db.commit()
        try:
            with TestClient(create_app(), base_url="https://testserver") as client:
                for attempt_id, token in people:  # warm: each process renders a version once
                    client.cookies.set("contest_session", token)
                    assert client.get(f"/attempts/{attempt_id}").status_code == 200
                probe = cpu_probe()
                c0, w0 = time.process_time(), time.perf_counter()
                for n in range(PAGES):
                    attempt_id, token = people[n % PEOPLE]
                    client.cookies.set("contest_session", token)
                    response = client.get(f"/attempts/{attempt_id}")
                    assert response.status_code == 200
                cpu = (time.process_time() - c0) * 1000 / PAGES
                wall = (time.perf_counter() - w0) * 1000 / PAGES
                probe_after = cpu_probe()
        finally:
            database.use_engine(None)
            engine.dispose()
    return [
        Figure(
            "attempt page (20 questions, SQLite, through the test client): CPU per page",
            cpu,
            "ms",
            f"part of ≤ {BAR_MS:g} ms a start",
            None,
            f"{PAGES} pages of {PEOPLE} people, warm process; {wall:.1f} ms wall a page; CPU probe "
            f"(3,000,000 Python loop steps) {probe[1]:,.0f} ms CPU before and "
            f"{probe_after[1]:,.0f} ms after, in the same run",
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
