"""The organisers' live page and the operator metrics under contest-day load.

1. A real server (`contest serve --workers 2`) on PostgreSQL and on SQLite; 2,000 participants
   mid-attempt save an answer every 1.4-2.2 s (about 1,100 saves/s, the sustained phase of
   bench_load) while an organiser's live page polls once a second (ten organisers at the page's
   10 s). Reported: the page's p99, what a build costs (it is cached a few seconds per process),
   the saves' p99 in the same window, beside the machine's own GET /healthz ceiling.
2. In one process: what the per-request observability adds to every request (request id, the
   Prometheus counter and histogram, the live page's counters) and to every save.

`make bench` runs the load phase of bench_load too; this module measures only what the live
page and the metrics add, in a few minutes (BENCH_LIVE_DATABASES=postgresql,sqlite).
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time

from sqlalchemy import text

from bench import Figure
from bench import bench_load as load

SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "30"))
USERS = int(os.environ.get("BENCH_LIVE_USERS", str(load.SUSTAINED_USERS)))
BAR_SAVE_P99_MS = load.BAR_P99_MS
OBSERVED_REQUESTS = 200_000


def _one(label: str, url: str) -> list[Figure]:
    load._say(f"live [{label}]: preparing {USERS:,} participants mid-attempt")
    prepared = load.prepare(url, load.CEILING_CONCURRENCY, USERS)
    stats = load.Stats()
    server = load.Server(url)
    gc.collect()
    gc.disable()
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            healthz = runner.run(load.closed_loop(server.base, [], stats, "healthz"))
            load._say(f"live [{label}]: {SECONDS:.0f} s of saves with the live page watched")
            old = load.SUSTAINED_SECONDS
            load.SUSTAINED_SECONDS = load.SUSTAINED_WARMUP + SECONDS
            try:
                since, until = runner.run(
                    load.sustained(server.base, prepared.answering, stats, prepared.staff)
                )
            finally:
                load.SUSTAINED_SECONDS = old
    finally:
        gc.enable()
        server.stop()
    saves = [
        ms
        for ms, t in zip(
            stats.latencies.get(("sustained", "save"), []),
            stats.done_at.get(("sustained", "save"), []),
            strict=True,
        )
        if since <= t < until
    ]
    polls = [
        ms
        for ms, t in zip(
            stats.latencies.get(("sustained", "live"), []),
            stats.done_at.get(("sustained", "live"), []),
            strict=True,
        )
        if since <= t < until
    ]
    builds = sorted(ms for ms, _ in stats.live_builds)
    queries = max((q for _, q in stats.live_builds), default=0)
    errors = sum(stats.errors.values())
    save_p99 = load.pct(saves, 0.99)
    return [
        Figure(
            f"live [{label}] organisers' live page p99 while participants save",
            load.pct(polls, 0.99),
            "ms",
            "",
            None,
            f"{len(polls)} polls (1 a second) over {until - since:.0f} s after a "
            f"{load.SUSTAINED_WARMUP:.0f} s warm-up, p50 {load.pct(polls, 0.5):.0f} ms; built "
            f"{len(builds)} times in the whole run (else from each process's 5 s cache), "
            f"{queries} queries a build, build p50 {load.pct(builds, 0.5):.0f} ms, max "
            f"{max(builds, default=0):.0f} ms; the machine: GET /healthz {healthz:,.0f} req/s",
        ),
        Figure(
            f"live [{label}] save latency p99 in the same window",
            save_p99,
            "ms",
            f"≤ {BAR_SAVE_P99_MS:.0f} ms",
            save_p99 <= BAR_SAVE_P99_MS if label == "PostgreSQL" else None,
            f"{len(saves) / max(until - since, 1):,.0f} saves/s from {USERS:,} participants, "
            f"p50 {load.pct(saves, 0.5):.0f} ms; {errors} errors "
            f"({', '.join(f'{k[1]} {k[2]}' for k in stats.errors) or 'none'})",
        ),
    ]


def _per_save_us(n: int = OBSERVED_REQUESTS) -> float:
    """Microseconds the observability adds to a save: what the outer middleware does for every
    request plus the save's own counters, timed in a loop in this process."""
    from contest import metrics
    from contest.services import live

    path = "/attempts/123456/answers/7"
    t0 = time.perf_counter()
    for _ in range(n):
        kind = metrics.kind_of("POST", path)
        metrics.observe_request(kind, 200, 0.004)
        live.count_request(200)
        metrics.SAVES.inc(1)
        live.count(17, "save", 1)
    took = (time.perf_counter() - t0) / n * 1e6
    live.reset()
    return took


def observability_cost() -> Figure:
    single = _per_save_us()
    # Several workers write their values to files (prometheus-client's multiprocess mode), set
    # up before the client is imported: measured in a fresh interpreter.
    with tempfile.TemporaryDirectory(prefix="contest-bench-metrics-") as folder:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from bench.bench_live import _per_save_us; print(_per_save_us())",
            ],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder},
            cwd=load.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    multi = float(done.stdout.strip().splitlines()[-1])
    return Figure(
        "metrics and live counters added to each answer save",
        multi,
        "µs",
        "≤ 40 µs (5 % of a save)",
        multi <= 40,
        f"several workers (multiprocess mode, values in files); one process: {single:.1f} µs. "
        f"Route kind, request counter and latency histogram, live counters, save counter, "
        f"{OBSERVED_REQUESTS:,} in a loop; a save costs the server about 800 µs of CPU "
        f"(bench_load), so this is {multi / 800 * 100:.1f} % of it",
    )


# Hà Giang 2024: 133,281 people, 303,133 attempts in 4 weeks.
SCALE_PEOPLE = int(os.environ.get("BENCH_LIVE_SCALE_PEOPLE", "133281"))
SCALE_ATTEMPTS = int(os.environ.get("BENCH_LIVE_SCALE_ATTEMPTS", "303133"))


def _fill(url: str):
    """A four-week contest of SCALE_PEOPLE in 11 districts of 10 communes, SCALE_ATTEMPTS
    attempts spread over the rounds, the last round open with a few hundred under way."""
    import random
    from datetime import date, timedelta

    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from contest import clock
    from contest.db import make_engine
    from contest.migrate import upgrade
    from contest.models import Attempt, Participant, Round, Unit
    from contest.services import contests
    from contest.services.context import SYSTEM

    upgrade(url)
    engine = make_engine(url, pool_size=2)
    now = clock.now()
    rng = random.Random(2024)
    week = timedelta(days=7)
    first_open = now - 3 * week - timedelta(days=3)
    with Session(engine, expire_on_commit=False) as db:
        contest = contests.create_contest(
            db,
            SYSTEM,
            contests.ContestSpec(
                status="published",
                slug="ha-giang-2024",
                title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Hà Giang năm 2024",
                title_en="Hà Giang digital transformation contest 2024",
                organiser_vi="BAN TỔ CHỨC",
                place_vi="Hà Giang",
                rules_vi="Thể lệ.",
                rules_en="Rules.",
                min_age=12,
                age_cutoff=date(2024, 7, 1),
                rounds=tuple(
                    contests.RoundSpec(
                        r + 1,
                        f"Tuần {r + 1}",
                        f"Week {r + 1}",
                        first_open + r * week,
                        first_open + (r + 1) * week - timedelta(hours=1),
                        max_attempts=0,
                    )
                    for r in range(4)
                ),
            ),
        )
        rounds = list(
            db.execute(
                select(Round).where(Round.contest_id == contest.id).order_by(Round.number)
            ).scalars()
        )
        province = Unit(contest_id=contest.id, code="HG", name="Tỉnh Hà Giang", position=0)
        db.add(province)
        db.flush()
        communes = []
        for d in range(11):
            district = Unit(
                contest_id=contest.id,
                code=f"HG-{d}",
                name=f"Huyện {d + 1}",
                parent_id=province.id,
                headcount=rng.randint(2_000, 20_000),
                position=d + 1,
            )
            db.add(district)
            db.flush()
            for c in range(10):
                commune = Unit(
                    contest_id=contest.id,
                    code=f"HG-{d}-{c}",
                    name=f"Xã {d + 1}.{c + 1}",
                    parent_id=district.id,
                    headcount=rng.randint(100, 2_000),
                    position=100 + d * 10 + c,
                    selectable=True,
                )
                db.add(commune)
                communes.append(commune)
        db.flush()
        unit_ids = [u.id for u in communes]
        for start in range(0, SCALE_PEOPLE, 10_000):
            db.execute(
                insert(Participant),
                [
                    {
                        "contest_id": contest.id,
                        "full_name": f"Thí sinh {i}",
                        "date_of_birth": date(1990, 1, 1),
                        "gender": "male",
                        "citizen_id": f"002090{i:06d}",
                        "phone": f"09{i:08d}",
                        "unit_id": unit_ids[i % len(unit_ids)],
                        "participant_group": "other",
                        "password_hash": "x",
                        "consent_version": "2024-07",
                        "consent_at": now,
                        "registered_at": now,
                    }
                    for i in range(start, min(start + 10_000, SCALE_PEOPLE))
                ],
            )
        ids = list(
            db.execute(
                select(Participant.id)
                .where(Participant.contest_id == contest.id)
                .order_by(Participant.id)
            ).scalars()
        )
        batch = []
        for i in range(SCALE_ATTEMPTS):
            person, k = i % len(ids), i // len(ids)
            rnd = rounds[(k + person) % 4]
            latest = min(now, rnd.closes_at)
            started = rnd.opens_at + (latest - rnd.opens_at) * rng.random()
            done = started + timedelta(minutes=rng.uniform(4, 15))
            live_now = done > now
            batch.append(
                {
                    "round_id": rnd.id,
                    "participant_id": ids[person],
                    "number": 1,
                    "started_at": started,
                    "deadline_at": started + timedelta(minutes=20),
                    "grace_seconds": 30,
                    "submitted_at": None if live_now else done,
                    "finalised_at": None if live_now else done,
                    "paper": [],
                    "question_count": 20,
                }
            )
            if len(batch) == 10_000:
                db.execute(insert(Attempt), batch)
                batch = []
        if batch:
            db.execute(insert(Attempt), batch)
        db.commit()
        if url.startswith("postgresql"):
            db.execute(text("ANALYZE"))
            db.commit()
    return engine, contest.id


def scale(label: str, url: str) -> Figure:
    """What building the live page costs on a contest of Hà Giang 2024's size."""
    from sqlalchemy.orm import Session

    from contest.models import Contest
    from contest.services import live

    load._say(f"live [{label}]: {SCALE_PEOPLE:,} people, {SCALE_ATTEMPTS:,} attempts")
    t0 = time.perf_counter()
    engine, contest_id = _fill(url)
    filled = time.perf_counter() - t0
    try:
        with Session(engine, expire_on_commit=False) as db:
            contest = db.get(Contest, contest_id)
            cold = [live.build(db, contest) for _ in range(3)]
            warm = [live.build(db, contest, cold[-1].slow) for _ in range(5)]
    finally:
        engine.dispose()
    cold_ms = sorted(v.build_ms for v in cold)[1]
    warm_ms = sorted(v.build_ms for v in warm)[2]
    # Each process rebuilds the live figures at most every 5 s and the whole-contest ones every
    # minute, however many organisers watch.
    per_process = (warm_ms * (live.SLOW_TTL_SECONDS / live.TTL_SECONDS - 1) + cold_ms) / (
        live.SLOW_TTL_SECONDS * 1000
    )
    return Figure(
        f"live [{label}] live page build on a contest of {SCALE_PEOPLE:,} people and "
        f"{SCALE_ATTEMPTS:,} attempts",
        warm_ms,
        "ms",
        "",
        None,
        f"every 5 s: {warm[0].queries} queries; every minute, with the whole-contest figures (by "
        f"day, by unit, registered): {cold_ms:.0f} ms, {cold[0].queries} queries; so at most "
        f"{per_process * 100:.1f} % of a database core per app process while anyone watches; "
        f"{cold[0].active_participants:,} taking a round then; filling the database took "
        f"{filled:.0f} s",
    )


def run() -> list[Figure]:
    out = [observability_cost()]
    which = os.environ.get("BENCH_LIVE_DATABASES", "postgresql,sqlite")
    if "postgresql" in which and not load._postgres_reason():
        with load.postgres_database() as url:
            out.append(scale("PostgreSQL", url))
    if "sqlite" in which:
        with load.sqlite_database() as url:
            out.append(scale("SQLite", url))
    which = os.environ.get("BENCH_LIVE_DATABASES", "postgresql,sqlite")
    if "postgresql" in which:
        reason = load._postgres_reason()
        if reason:
            out.append(Figure("live [PostgreSQL]", 0, "", "", None, f"not run: {reason}"))
        else:
            with load.postgres_database() as url:
                out.extend(_one("PostgreSQL", url))
    if "sqlite" in which:
        with load.sqlite_database() as url:
            out.extend(_one("SQLite", url))
    return out
