"""The organisers' live page: who is taking part now, how fast, and from which units.

Cheap at contest-day load by construction:
- saves and requests are counted in each web process's memory (a dictionary step under a lock,
  no database work on the hot path) and added to `live_counts` in 10-second buckets every few
  seconds by a background thread (`start_flusher`), so every process and host adds up;
- the figures that come from the attempts themselves are a handful of indexed aggregates,
  built at most once per `TTL_SECONDS` per contest and process however many organisers watch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction
from contest.domain.collectives import Unit as UnitNode
from contest.domain.errors import ContestError
from contest.domain.live import UnitParticipation, error_rate, participation_by_unit
from contest.models import Contest
from contest.repositories import live as rows
from contest.repositories import units as unit_rows

log = logging.getLogger("contest.live")

BUCKET_SECONDS = 10
SITE = 0  # the scope of site-wide counters (requests, errors, refusals)
TTL_SECONDS = 5.0
SLOW_TTL_SECONDS = 60.0
KEEP_COUNTS = timedelta(days=2)
RATE_WINDOW = timedelta(minutes=5)  # saves per second and error rates are over this
MINUTES_SHOWN = 60
SAVE_BUCKETS_SHOWN = 90  # 15 minutes of 10-second buckets

_lock = threading.Lock()
_pending: dict[tuple[int, str, int], int] = {}


def _bucket(at: datetime) -> int:
    return int(at.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS


def _bucket_now() -> int:
    return int(clock.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS


def count(scope: int, kind: str, n: int = 1, at: datetime | None = None) -> None:
    """Add n events of a kind (save, request, error, refused) to this process's counters."""
    key = (scope, kind, _bucket(at) if at is not None else _bucket_now())
    with _lock:
        _pending[key] = _pending.get(key, 0) + n


def count_request(status: int) -> None:
    """A request answered (static files and operator endpoints are not counted)."""
    bucket = _bucket_now()
    with _lock:
        key = (SITE, "request", bucket)
        _pending[key] = _pending.get(key, 0) + 1
        if status >= 500:
            key = (SITE, "error", bucket)
            _pending[key] = _pending.get(key, 0) + 1
        elif status >= 400:
            key = (SITE, "refused", bucket)
            _pending[key] = _pending.get(key, 0) + 1


def flush(db: Session) -> int:
    """Add this process's counters to the database; they stay pending if that fails."""
    global _pending
    with _lock:
        taken, _pending = _pending, {}
    if not taken:
        return 0
    try:
        with transaction(db):
            rows.add_counts(
                db,
                [
                    {"scope": s, "kind": k, "bucket": b, "count": n}
                    for (s, k, b), n in sorted(taken.items())
                ],
            )
    except Exception:
        with _lock:
            for key, n in taken.items():
                _pending[key] = _pending.get(key, 0) + n
        raise
    return len(taken)


def purge(db: Session) -> int:
    """Forget counters older than two days (run by the job workers' housekeeping)."""
    with transaction(db):
        return rows.purge_counts(db, _bucket(clock.now() - KEEP_COUNTS))


_flusher: threading.Thread | None = None
_stop = threading.Event()


def start_flusher(interval: float) -> None:
    """Flush this process's counters every `interval` seconds on a daemon thread."""
    global _flusher
    if interval <= 0 or (_flusher is not None and _flusher.is_alive()):
        return
    from contest.db import session_scope

    def run() -> None:
        while not _stop.wait(interval):
            try:
                with session_scope() as db:
                    flush(db)
            except Exception:  # noqa: BLE001 - kept pending; the next round tries again
                log.warning("live counters: could not write them; kept for the next try")

    _stop.clear()
    _flusher = threading.Thread(target=run, name="live-counters", daemon=True)
    _flusher.start()


def stop_flusher() -> None:
    global _flusher
    _stop.set()
    if _flusher is not None:
        _flusher.join(timeout=5)
        _flusher = None
    try:
        from contest.db import session_scope

        with session_scope() as db:
            flush(db)
    except Exception:  # noqa: BLE001 - the process is ending; a few seconds of counts are lost
        log.warning("live counters: the last ones could not be written")


# ---------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class Series:
    """Values per interval, oldest first, with the labels shown under the chart."""

    labels: tuple[str, ...]
    values: tuple[float, ...]

    @property
    def peak(self) -> float:
        return max(self.values, default=0.0)

    @property
    def total(self) -> float:
        return sum(self.values)


@dataclass(frozen=True)
class LiveView:
    built_at: datetime
    registered: int
    active_participants: int
    active_attempts: int
    attempts_started: int
    attempts_final: int
    saves_per_second: float
    requests: int
    errors: int
    refused: int
    error_rate: float | None
    refusal_rate: float | None
    started_per_minute: Series
    finished_per_minute: Series
    saves_per_second_series: Series
    by_day: Series
    by_hour: Series
    units: list[UnitParticipation] = field(default_factory=list)
    unit_criterion: str = "participation_rate"
    build_ms: float = 0.0
    queries: int = 0
    slow: Any = None  # the _Slow figures this view was built with


_cache_lock = threading.Lock()
_cache: dict[Hashable, tuple[float, Any]] = {}


def reset() -> None:
    """Forget the cached views and the counters not yet written (tests)."""
    with _cache_lock:
        _cache.clear()
    with _lock:
        _pending.clear()


@dataclass(frozen=True)
class _Slow:
    """The figures that scan the whole contest (every attempt, every participant) and move
    slowly: rebuilt at most every SLOW_TTL_SECONDS."""

    as_of: datetime
    registered: int
    started_before: int  # attempts started before as_of (the page adds those since)
    final_before: int
    by_day: dict[str, int]
    units: list[UnitParticipation]
    criterion: str


def live_view(db: Session, contest: Contest) -> LiveView:
    """The page's figures: the live ones at most TTL_SECONDS old, the whole-contest ones (by
    day, by unit, registered) at most SLOW_TTL_SECONDS."""
    key = (contest.id, db.get_bind().dialect.name)
    now_mono = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        slow_hit = _cache.get(("slow", *key))
    if hit is not None and now_mono - hit[0] < TTL_SECONDS:
        return hit[1]
    slow = None
    if slow_hit is not None and now_mono - slow_hit[0] < SLOW_TTL_SECONDS:
        slow = slow_hit[1]
    view = build(db, contest, slow)
    with _cache_lock:
        _cache[key] = (now_mono, view)
        if slow is None:
            _cache[("slow", *key)] = (now_mono, view.slow)
    return view


def _minutes(now: datetime, n: int, step: timedelta, fmt: str) -> list[str]:
    local = clock.to_local(now)
    return [(local - step * i).strftime(fmt) for i in range(n - 1, -1, -1)]


@contextmanager
def _counting_statements(db: Session) -> Iterator[list[int]]:
    """Count the statements sent on the session's connection (shown on the page, for the bench)."""
    sent = [0]

    def one(*_args) -> None:
        sent[0] += 1

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", one)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", one)


def build(db: Session, contest: Contest, slow: _Slow | None = None) -> LiveView:
    """Every figure, fresh (or the whole-contest ones from `slow`)."""
    flush(db)  # this process's own counts, so the page is never behind what it served
    started = time.perf_counter()
    with _counting_statements(db) as sent:
        view = _build(db, contest, slow)
    return replace(view, build_ms=(time.perf_counter() - started) * 1000, queries=sent[0])


def _slow_figures(db: Session, contest: Contest, rounds: list[int], now: datetime) -> _Slow:
    units, criterion = _units(db, contest, rounds)
    started, final = rows.attempts_before(db, rounds, now)
    return _Slow(
        as_of=now,
        started_before=started,
        final_before=final,
        registered=rows.registered(db, contest.id),
        by_day=rows.started_by(db, rounds, "day"),
        units=units,
        criterion=criterion,
    )


def _build(db: Session, contest: Contest, slow: _Slow | None) -> LiveView:
    now = clock.now()
    rounds = rows.round_ids(db, contest.id)
    active_people, active_attempts = rows.active(db, rounds, now)
    slow = slow or _slow_figures(db, contest, rounds, now)
    # The totals are the whole-contest count up to a minute ago plus the attempts since then
    # (an index range), so they are exact without scanning every attempt every few seconds.
    started_since, final_since = rows.attempts_since(db, rounds, slow.as_of)
    total, final = slow.started_before + started_since, slow.final_before + final_since

    since = now - timedelta(minutes=MINUTES_SHOWN - 1)
    since = since.replace(second=0, microsecond=0)
    minute_labels = _minutes(now, MINUTES_SHOWN, timedelta(minutes=1), "%Y-%m-%d %H:%M")
    starts = rows.started_by(db, rounds, "minute", since)
    finished = rows.finished_by(db, rounds, "minute", since)

    first_bucket = _bucket(now) - BUCKET_SECONDS * (SAVE_BUCKETS_SHOWN - 1)
    counts = rows.counts_since(db, rounds, first_bucket)
    site = rows.counts_since(db, [SITE], _bucket(now - RATE_WINDOW) + BUCKET_SECONDS)
    buckets = [first_bucket + BUCKET_SECONDS * i for i in range(SAVE_BUCKETS_SHOWN)]
    saves = [counts.get(("save", b), 0) / BUCKET_SECONDS for b in buckets]
    window_start = _bucket(now - RATE_WINDOW) + BUCKET_SECONDS
    saved_in_window = sum(n for (k, b), n in counts.items() if k == "save" and b >= window_start)
    # The window's seconds so far: the current bucket is not over yet.
    window_seconds = (now.timestamp() - window_start) or 1.0
    requests = sum(n for (k, _), n in site.items() if k == "request")
    errors = sum(n for (k, _), n in site.items() if k == "error")
    refused = sum(n for (k, _), n in site.items() if k == "refused")

    by_day = slow.by_day
    day_labels = sorted(by_day)
    hours = _minutes(now, 24, timedelta(hours=1), "%Y-%m-%d %H")
    by_hour = rows.started_by(db, rounds, "hour", now - timedelta(hours=24))

    return LiveView(
        built_at=now,
        registered=slow.registered,
        active_participants=active_people,
        active_attempts=active_attempts,
        attempts_started=total,
        attempts_final=final,
        saves_per_second=saved_in_window / window_seconds,
        requests=requests,
        errors=errors,
        refused=refused,
        error_rate=error_rate(errors, requests),
        refusal_rate=error_rate(refused, requests),
        started_per_minute=Series(
            tuple(m[-5:] for m in minute_labels), tuple(starts.get(m, 0) for m in minute_labels)
        ),
        finished_per_minute=Series(
            tuple(m[-5:] for m in minute_labels),
            tuple(finished.get(m, 0) for m in minute_labels),
        ),
        saves_per_second_series=Series(
            tuple(
                clock.to_local(datetime.fromtimestamp(b, UTC)).strftime("%H:%M:%S") for b in buckets
            ),
            tuple(saves),
        ),
        by_day=Series(
            tuple(f"{d[8:10]}/{d[5:7]}" for d in day_labels),
            tuple(by_day[d] for d in day_labels),
        ),
        by_hour=Series(tuple(h[-2:] + "h" for h in hours), tuple(by_hour.get(h, 0) for h in hours)),
        units=slow.units,
        unit_criterion=slow.criterion,
        slow=slow,
    )


def _units(db: Session, contest: Contest, rounds: list[int]) -> tuple[list[UnitParticipation], str]:
    """Participation by unit as the collective plan counts it (its pools, its roll-up), or by
    the top of the unit tree, rolled up, where the contest has no collective plan yet."""
    from contest.services.prize_plans import collective_plan_spec

    try:
        spec = collective_plan_spec(db, contest.id)
    except ContestError:
        spec = {}
    pools = spec.get("unit_pools") or {}
    units = unit_rows.units_of(db, contest.id)
    nodes = [
        UnitNode(str(u.id), u.name, str(u.parent_id) if u.parent_id else None, u.headcount)
        for u in units
    ]
    pooled = {str(u.id) for u in units if u.code in pools}
    counts = {str(k): n for k, n in rows.participants_by_unit(db, contest.id, rounds).items() if k}
    return (
        participation_by_unit(
            nodes, counts, pooled=pooled, roll_up=bool(spec.get("roll_up", True)) if spec else True
        ),
        str(spec.get("criterion") or "participation_rate"),
    )
