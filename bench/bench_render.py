"""CPU time of the attempt page: a 20-question paper rendered again and again (the part of a start
that grows with the paper), beside a fixed CPU probe measured in the same run.

CPU time (``time.process_time``, every thread of this process: the test client's and the app's)
rather than wall time, so a loaded machine slows the figure less; it still varies with the
machine, which is why the probe is printed beside it."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench import Figure

PAGES = 200
PEOPLE = 20
BAR_MS = 8.0  # the whole start (lobby + start + attempt page) must fit in this


def run() -> list[Figure]:
    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bench.bench_load import BANK_CSV, cpu_probe
    from contest import clock
    from contest import db as database
    from contest.migrate import upgrade
    from contest.models import Participant, Round, RoundBank
    from contest.services import banks, contests, sessions, taking
    from contest.services.context import SYSTEM
    from contest.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'render.db'}"
        upgrade(url)
        engine = database.make_engine(url)
        database.use_engine(engine)
        now = clock.now()
        people: list[tuple[int, str]] = []
        with Session(engine, expire_on_commit=False) as db:
            contest = contests.create_contest(
                db,
                SYSTEM,
                contests.ContestSpec(
                    status="published",
                    slug="ve-trang",
                    title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
                    title_en="Contest",
                    organiser_vi="BAN TỔ CHỨC",
                    place_vi="Lạng Sơn",
                    rules_vi="Thể lệ.",
                    rules_en="Rules.",
                    min_age=12,
                    age_cutoff=date(2023, 7, 3),
                    rounds=(
                        contests.RoundSpec(
                            1,
                            "Tuần 4",
                            "Week 4",
                            now - timedelta(hours=1),
                            now + timedelta(days=1),
                            questions_per_attempt=20,
                            time_limit_seconds=30 * 60,
                        ),
                    ),
                ),
            )
            banks.import_questions(db, SYSTEM, "tuan-4", [(BANK_CSV.name, BANK_CSV.read_bytes())])
            rnd = db.execute(select(Round).where(Round.contest_id == contest.id)).scalar_one()
            db.add(RoundBank(round_id=rnd.id, bank_id=banks.get_bank(db, "tuan-4").id))
            db.commit()
            for i in range(PEOPLE):
                participant = Participant(
                    contest_id=contest.id,
                    full_name="Nguyễn Thị Hoà Bình",
                    date_of_birth=date(1990, 8, 15),
                    gender="female",
                    citizen_id=f"0201900{i:05d}",
                    phone=f"09123{i:05d}",
                    password_hash="-",
                    consent_version="2023-07",
                    consent_at=now,
                    registered_at=now,
                )
                db.add(participant)
                db.flush()
                attempt = taking.start_attempt(db, participant, rnd)
                people.append(
                    (attempt.id, sessions.open_session(db, participant_id=participant.id))
                )
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
