"""Operator metrics in the Prometheus exposition format (prometheus-client).

Labels are few and fixed (a route *kind*, a status class, a refusal reason), never a path, a
contest or a user, so the series stay a few hundred however large the contest is.

With several worker processes each writes its values to files in `PROMETHEUS_MULTIPROC_DIR`
and `/metrics` sums them (`contest serve --workers N` makes a fresh folder when none is set);
the variable must be set before this module is first imported, which `contest serve` does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Route kinds: the answer save is its own, because its latency is the one people feel.
KINDS = ("save", "start", "submit", "page", "staff", "api", "static", "ops")

REQUESTS = Counter(
    "contest_http_requests_total",
    "HTTP requests answered, by route kind and status class (2xx, 3xx, 4xx, 5xx).",
    ["kind", "status"],
)
LATENCY = Histogram(
    "contest_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route kind.",
    ["kind"],
    # Around the save bar (p99 <= 150 ms) finely, then the slow pages.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SAVES = Counter("contest_answer_saves_total", "Answers stored (one per question saved).")
BATCH_SECONDS = Histogram(
    "contest_answer_batch_seconds",
    "Time to write one batch of answer saves (PostgreSQL: one statement and its commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
BATCH_SAVES = Histogram(
    "contest_answer_batch_saves",
    "Answer saves written together in one batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 500),
)
STARTS = Counter("contest_attempts_started_total", "Attempts started (a new paper drawn).")
FINISHED = Counter(
    "contest_attempts_finished_total",
    "Attempts made final: submitted by the participant or expired (scored by the sweeper).",
    ["how"],
)
REFUSALS = Counter(
    "contest_refusals_total",
    "Requests refused, by reason (csrf, signed_out, forbidden, not_found, rate_limited, "
    "attempt_closed, invalid, too_large, other).",
    ["reason"],
)
PAGES_SHED = Counter(
    "contest_pages_shed_total",
    "Pages answered at once with the light busy page that retries by itself, rather than kept "
    "waiting in a full process's queue (kind: page for a GET, start for the Start button). Also "
    "counted in contest_http_requests_total as answered 2xx.",
    ["kind"],
)
POOL_CHECKED_OUT = Gauge(
    "contest_db_pool_checked_out",
    "Database connections in use (all processes).",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "contest_db_pool_capacity",
    "Database connections the pools may open: size plus overflow (all processes).",
    multiprocess_mode="livesum",
)

for _kind in KINDS:  # every series exists from the start, so rate() has a zero to begin from
    LATENCY.labels(_kind)
    for _status in ("2xx", "4xx", "5xx"):
        REQUESTS.labels(_kind, _status)
for _how in ("submitted", "expired"):
    FINISHED.labels(_how)
for _kind in ("page", "start"):
    PAGES_SHED.labels(_kind)


def kind_of(method: str, path: str) -> str:
    """The route kind of a request, from string tests only (it runs on every request)."""
    if path.startswith("/static/"):
        return "static"
    if method == "POST":
        if path.startswith("/attempts/"):
            if "/answers/" in path or path.endswith("/save"):
                return "save"
            if path.endswith("/submit"):
                return "submit"
        elif path.startswith("/c/") and path.endswith("/start"):
            return "start"
    if path.startswith(("/admin", "/organiser", "/committee", "/jury")):
        return "staff"
    if path.startswith("/api/"):
        return "api"
    if path in ("/healthz", "/readyz", "/metrics"):
        return "ops"
    return "page"


# Label children resolved once: .labels() hashes and looks up on every call.
_REQUEST_CHILDREN = {
    (kind, status): REQUESTS.labels(kind, status)
    for kind in KINDS
    for status in ("1xx", "2xx", "3xx", "4xx", "5xx")
}
_LATENCY_CHILDREN = {kind: LATENCY.labels(kind) for kind in KINDS}


def observe_request(kind: str, status: int, seconds: float) -> None:
    _REQUEST_CHILDREN[(kind, f"{min(max(status // 100, 1), 5)}xx")].inc()
    _LATENCY_CHILDREN[kind].observe(seconds)


def shed(kind: str) -> None:
    PAGES_SHED.labels(kind).inc()


def refused(reason: str) -> None:
    REFUSALS.labels(reason).inc()


class _ScrapeTimeGauges(Collector):
    """Figures read when Prometheus scrapes (job queue depth and job states), not kept."""

    def __init__(self, read: Callable[[], dict[str, float]]) -> None:
        self.read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        started = time.perf_counter()
        try:
            figures = self.read()
            up = 1.0
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database does not
            figures, up = {}, 0.0
        pending = GaugeMetricFamily(
            "contest_queue_pending", "Messages waiting in the job queue (Huey)."
        )
        jobs = GaugeMetricFamily(
            "contest_jobs", "Jobs by state (failed: gave up after their retries).", labels=["state"]
        )
        for key, value in sorted(figures.items()):
            if key == "queue_pending":
                pending.add_metric([], value)
            elif key.startswith("jobs_"):
                jobs.add_metric([key.removeprefix("jobs_")], value)
        yield pending
        yield jobs
        yield GaugeMetricFamily(
            "contest_scrape_database_up",
            "1 when the scrape-time figures could be read from the database and queue.",
            value=up,
        )
        yield GaugeMetricFamily(
            "contest_scrape_seconds",
            "Time taken to read the scrape-time figures.",
            value=time.perf_counter() - started,
        )


def exposition(read_scrape_time: Callable[[], dict[str, float]]) -> tuple[bytes, str]:
    """The text Prometheus scrapes, and its content type."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        kept = CollectorRegistry()
        multiprocess.MultiProcessCollector(kept)
    else:
        from prometheus_client import REGISTRY as kept
    read_now = CollectorRegistry()
    read_now.register(_ScrapeTimeGauges(read_scrape_time))
    return generate_latest(kept) + generate_latest(read_now), CONTENT_TYPE_LATEST


def watch_pool(engine) -> None:
    """Keep the pool-use gauges with the engine's connection checkouts (two gauge steps a
    request)."""
    from sqlalchemy import event

    pool = engine.pool
    if not hasattr(pool, "size"):
        return
    POOL_SIZE.inc(pool.size() + max(getattr(pool, "_max_overflow", 0), 0))
    event.listen(pool, "checkout", lambda *_: POOL_CHECKED_OUT.inc())
    event.listen(pool, "checkin", lambda *_: POOL_CHECKED_OUT.dec())


def process_exited(pid: int) -> None:
    """Drop a finished worker's live gauges (pool use) from the multiprocess sums."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
