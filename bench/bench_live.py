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


def run() -> list[Figure]:
    out = [observability_cost()]
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
