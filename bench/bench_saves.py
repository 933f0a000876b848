"""Answer saves against the stack's own ceiling: `contest serve --workers 2` on PostgreSQL, closed
loops of saves and of GET /healthz taken in turns within the same minute, the CPU time the server
processes and the database's backends spend per save, and an open loop at the contest-day rate.

The load run (bench_load.py) measures the same save ceiling once, at the end of a 12-minute run;
this one takes a minute or two, so a change to the save path can be measured before and after,
back to back, on a machine whose speed moves from one minute to the next. It imports the load
run's contest, server and simulated participants, so both measure the same thing.

    python -m bench saves                          # the closed loops, then the open loop
    BENCH_SAVES_OPEN_USERS=0 python -m bench saves # the closed loops only
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import re
import statistics
import time
import urllib.request
from unittest import mock

from bench import Figure
from bench import bench_load as load

ROUNDS = int(os.environ.get("BENCH_SAVES_ROUNDS", "3"))  # healthz, saves; healthz, saves; …
LOOP_SECONDS = float(os.environ.get("BENCH_SAVES_SECONDS", "5"))
LOOPS = load.CEILING_CONCURRENCY
# The open loop: people mid-attempt answering with the load run's pauses (≈ 1,100 saves/s at
# 2,000 people), over the load run's sustained window, with or without the organisers' live page.
OPEN_USERS = int(os.environ.get("BENCH_SAVES_OPEN_USERS", "2000"))
OPEN_LIVE = os.environ.get("BENCH_SAVES_OPEN_LIVE", "1") == "1"
PORT = int(os.environ.get("BENCH_SAVES_PORT", "0"))  # 0: any free port


async def _healthz(base: str) -> float:
    done = 0
    async with load._session(LOOPS) as http:
        stop = time.perf_counter() + LOOP_SECONDS

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                async with http.get(base + "/healthz") as r:
                    await r.read()
                    done += r.status == 200

        await asyncio.gather(*(loop() for _ in range(LOOPS)))
    return done


async def _saves(base: str, people: list[tuple[str, int]], stats, seconds: float) -> float:
    """Closed loops of saves from attempt pages already open (as the sustained phase's people)."""
    done = 0
    async with load._session(LOOPS) as http:
        stop = time.perf_counter() + seconds

        async def loop(i: int, token: str, attempt_id: int) -> None:
            nonlocal done
            person = load.Participant(http, base, token, stats, random.Random(i))
            person.csrf = load.csrf_token(token)
            person.page = int(time.time() * 1000) - 60_000
            pos = i
            while time.perf_counter() < stop:
                await person.save("saves", attempt_id, pos % 20, pos % 4)
                done += 1
                pos += 1

        await asyncio.gather(
            *(load._guarded(loop(i, t, a)) for i, (t, a) in enumerate(people[:LOOPS]))
        )
    return done


_BUCKET = re.compile(
    r'contest_http_request_duration_seconds_bucket\{kind="save",le="([^"]+)"\} ([0-9.e+]+)'
)


def _metrics(base: str) -> str:
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        return r.read().decode()


def _save_buckets(base: str) -> dict[float, float]:
    """The servers' own histogram of save latencies (all workers), cumulative by bucket."""
    return {float(le): float(n) for le, n in _BUCKET.findall(_metrics(base))}


def _batches(base: str) -> tuple[float, float, float]:
    """(batches, saves in them, seconds writing them) so far, all workers."""
    text = _metrics(base)

    def value(name: str) -> float:
        found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    return (
        value("contest_answer_batch_saves_count"),
        value("contest_answer_batch_saves_sum"),
        value("contest_answer_batch_seconds_sum"),
    )


def _batch_note(before: tuple[float, float, float], after: tuple[float, float, float]) -> str:
    n, saves, seconds = (a - b for a, b in zip(after, before, strict=True))
    if n <= 0:
        return "no batches written"
    return (
        f"{n:,.0f} batches of {saves / n:.1f} saves on average, each written in "
        f"{seconds / n * 1000:.1f} ms on average"
    )


def _served_within(before: dict[float, float], after: dict[float, float]) -> str:
    total = after.get(float("inf"), 0) - before.get(float("inf"), 0)
    if total <= 0:
        return "no saves in the servers' histogram"
    parts = [
        f"≤ {le * 1000:g} ms {(after[le] - before.get(le, 0)) / total * 100:.1f} %"
        for le in (0.005, 0.025, 0.05, 0.15)
        if le in after
    ]
    return "as the servers timed them (request in to response out): " + ", ".join(parts)


def run() -> list[Figure]:
    reason = load._postgres_reason()
    if reason:
        return [Figure("saves [PostgreSQL]", 0, "", "", None, f"not run: {reason}")]
    before_load = load._load_average()
    probe = load.cpu_probe()
    with load.postgres_database() as url:
        prepared = load.prepare(url, 0, LOOPS + OPEN_USERS)
        closed_people, open_people = prepared.answering[:LOOPS], prepared.answering[LOOPS:]
        stats = load.Stats()
        patch = mock.patch.object(load.live_server, "free_port", lambda: PORT) if PORT else None
        with patch or contextlib.nullcontext():
            server = load.Server(url)
        meter = load.MachineTime(server, url)
        rates: dict[str, list[float]] = {"healthz": [], "saves": []}
        cpu: dict[str, list[tuple[float, float, float]]] = {"healthz": [], "saves": []}
        gc.collect()
        gc.disable()
        try:
            import uvloop

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                # Every attempt's first save on each process takes the full path: not measured.
                runner.run(_saves(server.base, closed_people, stats, 2.0))
                for _ in range(ROUNDS):
                    for kind in ("healthz", "saves"):
                        gc.collect()
                        m0, t0, c0 = meter.read(), time.perf_counter(), time.process_time()
                        if kind == "healthz":
                            n = runner.run(_healthz(server.base))
                        else:
                            n = runner.run(_saves(server.base, closed_people, stats, LOOP_SECONDS))
                        wall = time.perf_counter() - t0
                        client = time.process_time() - c0
                        s_cpu, d_cpu = load.MachineTime.used(m0, meter.read())
                        rates[kind].append(n / wall)
                        cpu[kind].append(
                            (
                                s_cpu * 1000 / max(1, n),
                                d_cpu * 1000 / max(1, n),
                                client * 1000 / max(1, n),
                            )
                        )
                open_window = None
                served = ""
                if OPEN_USERS:
                    gc.collect()
                    buckets, batches = _save_buckets(server.base), _batches(server.base)
                    open_window = runner.run(
                        load.sustained(
                            server.base, open_people, stats, prepared.staff if OPEN_LIVE else ""
                        )
                    )
                    served = _served_within(buckets, _save_buckets(server.base))
                    served += "; " + _batch_note(batches, _batches(server.base))
        finally:
            gc.enable()
            server.stop()
        checked, lost = load.lost_answers(url, stats)
    errors = sum(stats.errors.values())
    ratios = [s / h * 100 for s, h in zip(rates["saves"], rates["healthz"], strict=True)]
    save_server = statistics.median(c[0] for c in cpu["saves"])
    save_db = statistics.median(c[1] for c in cpu["saves"])
    save_client = statistics.median(c[2] for c in cpu["saves"])
    h_server = statistics.median(c[0] for c in cpu["healthz"])
    h_client = statistics.median(c[2] for c in cpu["healthz"])
    out = [
        Figure(
            f"saves [PostgreSQL] closed loops: saves ÷ GET /healthz ({LOOPS} loops, {ROUNDS} rounds "
            f"of {LOOP_SECONDS:g} s each, taken in turns)",
            statistics.median(ratios),
            "%",
            f"≥ {load.BAR_SAVE_CEILING:.0f} %",
            statistics.median(ratios) >= load.BAR_SAVE_CEILING,
            "saves/s "
            + ", ".join(f"{r:,.0f}" for r in rates["saves"])
            + "; /healthz req/s "
            + ", ".join(f"{r:,.0f}" for r in rates["healthz"])
            + "; ratios "
            + ", ".join(f"{r:.1f} %" for r in ratios),
        ),
        Figure(
            "saves [PostgreSQL] machine time per save (CPU, median of the rounds)",
            save_server + save_db,
            "ms",
            "",
            None,
            f"server processes {save_server:.3f} ms + database {save_db:.3f} ms a save, the "
            f"client (aiohttp, the load run's participants) {save_client:.3f} ms; /healthz: "
            f"server {h_server:.3f} ms, client {h_client:.3f} ms a request; CPU probe "
            f"({load.CPU_PROBE_ITERATIONS:,} loop steps): {probe[0]:,.0f} ms wall, "
            f"{probe[1]:,.0f} ms CPU",
        ),
    ]
    if open_window is not None:
        steady_from, stop_at = open_window
        values = [
            ms
            for ms, at in zip(
                stats.latencies.get(("sustained", "save"), []),
                stats.done_at.get(("sustained", "save"), []),
                strict=True,
            )
            if steady_from <= at <= stop_at
        ]
        rate = len(values) / max(1e-6, stop_at - steady_from)
        out.append(
            Figure(
                f"saves [PostgreSQL] open loop: {len(open_people):,} people answering every "
                f"{load.SUSTAINED_PAUSE[0]:g}–{load.SUSTAINED_PAUSE[1]:g} s"
                + (", the live page polled" if OPEN_LIVE else ""),
                load.pct(values, 0.99) if values else 0,
                "ms p99",
                f"≤ {load.BAR_P99_MS:.0f} ms",
                bool(values) and load.pct(values, 0.99) <= load.BAR_P99_MS,
                f"{rate:,.0f} saves/s after a {load.SUSTAINED_WARMUP:g} s warm-up; p50/p95 "
                f"{load.pct(values, 0.5) if values else 0:.0f}/"
                f"{load.pct(values, 0.95) if values else 0:.0f} ms over {len(values):,} saves as "
                f"the client timed them; the whole phase, warm-up included, {served}",
            )
        )
    out.append(
        Figure(
            "saves [PostgreSQL] errors; acknowledged answers lost",
            errors + lost,
            "",
            "0",
            errors + lost == 0,
            f"{errors} errors ({dict(stats.errors) if errors else 'none'}); {lost} of {checked:,} "
            f"acknowledged answers missing or different in the database; load average "
            f"{before_load} → {load._load_average()}",
        )
    )
    return out


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
