"""Admission to start a round when the machine is busy: how many starts to let through (a rate
that adapts to measured latency, additive increase and multiplicative decrease), which people in
the waiting room are called (always the head of the queue), and what they are told about their
wait.

Pure: the caller passes the time (monotonic seconds) and the measurements; the service layer
keeps one controller per process and the queue itself in the database.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AdmissionSettings:
    # Starts a second one process lets through before it has measured anything.
    initial_rate: float = 20.0
    min_rate: float = 1.0
    max_rate: float = 400.0
    # AIMD: when the latencies are within their targets and people are waiting (or starts were
    # refused a token), add `increase` starts/s each adjustment; when a p95 is over its target,
    # multiply the rate by `decrease`.
    increase: float = 2.0
    decrease: float = 0.7
    adjust_every: float = 1.0  # seconds
    min_samples: int = 5
    # Start latency (the start request's own service time) and answer-save latency, p95, ms.
    # Saves are watched too: they must never be slowed by starts, so a slow save backs off starts.
    start_target_ms: float = 250.0
    save_target_ms: float = 60.0
    # Starts running at once in one process: the rest of its threads stay free for saves.
    max_concurrent: int = 3
    # A token bucket holds at most this many seconds of the rate (a short burst is fine).
    burst_seconds: float = 0.5
    # The waiting page asks again after `poll_share` of the estimated wait, at least `poll_min`
    # and at most `poll_max` seconds: near the head often (a called person's paper is served on
    # the next ask, so a long interval there is time lost), far back rarely (every ask costs the
    # machine; halving the interval each time, a person asks about log2(wait / poll_min) times).
    poll_min: float = 0.25
    poll_max: float = 15.0
    poll_share: float = 0.5
    # A ticket whose page has not asked for this long is given up (the person left): three
    # missed asks at the longest interval.
    ticket_ttl: float = 45.0


def next_rate(
    rate: float, start_p95: float | None, save_p95: float | None, demand: bool, s: AdmissionSettings
) -> float:
    """One AIMD step. `demand` is True when more people wanted to start than were let through
    (a refused token or somebody waiting): without demand a good latency says nothing about
    whether the machine could take more, so the rate stays."""
    over = (start_p95 is not None and start_p95 > s.start_target_ms) or (
        save_p95 is not None and save_p95 > s.save_target_ms
    )
    if over:
        return max(s.min_rate, rate * s.decrease)
    if demand:
        return min(s.max_rate, rate + s.increase)
    return rate


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class StartController:
    """One process's admission of starts: a token bucket filled at the adaptive rate, a cap on
    starts running at once, and the latency samples that move the rate. Not thread-safe by
    itself: the service holds a lock around each call (each call is a few microseconds)."""

    settings: AdmissionSettings = field(default_factory=AdmissionSettings)
    rate: float = 0.0
    tokens: float = 0.0
    running: int = 0
    refused: int = 0
    last_fill: float | None = None
    last_adjust: float | None = None
    start_ms: list[float] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    served: int = 0

    def __post_init__(self) -> None:
        if not self.rate:
            self.rate = self.settings.initial_rate
        self.tokens = min(1.0, self.rate * self.settings.burst_seconds)

    def _fill(self, now: float) -> None:
        if self.last_fill is not None:
            cap = max(1.0, self.rate * self.settings.burst_seconds)
            self.tokens = min(cap, self.tokens + (now - self.last_fill) * self.rate)
        self.last_fill = now

    def try_admit(self, now: float) -> bool:
        """True: start now (call `finished` afterwards). False: the person waits."""
        self._fill(now)
        self._adjust(now, waiting=False)
        if self.running >= self.settings.max_concurrent or self.tokens < 1.0 - 1e-9:
            self.refused += 1
            return False
        self.tokens -= 1.0
        self.running += 1
        return True

    def grant(self, now: float, wanted: int) -> int:
        """Whole tokens handed to the people at the head of the queue (at most `wanted`); each
        of them is then served on their page's next ask, whichever process it reaches."""
        self._fill(now)
        self._adjust(now, waiting=True)
        given = max(0, min(int(self.tokens + 1e-9), wanted))
        self.tokens -= given
        return given

    def give_back(self, tokens: int) -> None:
        """Tokens granted to nobody (fewer were waiting, or another process called them)."""
        self.tokens += tokens

    def begin_granted(self) -> None:
        """A called person's start begins (its token was taken when they were called)."""
        self.running += 1

    def finished(self, now: float, elapsed_ms: float) -> None:
        self.running = max(0, self.running - 1)
        self.served += 1
        self.start_ms.append(elapsed_ms)
        self._adjust(now, waiting=False)

    def note_save(self, elapsed_ms: float) -> None:
        if len(self.save_ms) < 10_000:  # a bound: adjustments empty it every second or so
            self.save_ms.append(elapsed_ms)

    def note_waiting(self, now: float) -> None:
        """Somebody is in the waiting room: demand exceeds what is let through."""
        self._adjust(now, waiting=True)

    def _adjust(self, now: float, waiting: bool) -> None:
        if self.last_adjust is None:
            self.last_adjust = now
            return
        if waiting:
            self.refused += 1
        if now - self.last_adjust < self.settings.adjust_every:
            return
        enough = self.settings.min_samples
        start = p95(self.start_ms) if len(self.start_ms) >= enough else None
        save = p95(self.save_ms) if len(self.save_ms) >= enough else None
        self.rate = next_rate(self.rate, start, save, self.refused > 0, self.settings)
        self.start_ms.clear()
        self.save_ms.clear()
        self.refused = 0
        self.last_adjust = now


# ---------------------------------------------------------------------------- the waiting room


def estimated_wait(place: int, rate: float) -> float:
    """Seconds until this person's turn at the measured rate of starts."""
    return (place + 1) / max(rate, 0.1)


def poll_after(wait: float, s: AdmissionSettings) -> float:
    """When the waiting page asks again: often near the head, rarely far back (each ask costs)."""
    return min(s.poll_max, max(s.poll_min, wait * s.poll_share))


def poll_ms(wait: float, s: AdmissionSettings) -> int:
    """The same, in whole milliseconds (what the page's HTMX trigger says)."""
    return int(round(poll_after(wait, s) * 1000))


def refresh_seconds(poll_milliseconds: int) -> int:
    """A page without JavaScript refreshes itself in whole seconds (at least one)."""
    return max(1, math.ceil(poll_milliseconds / 1000))


def place_in(waiting: Sequence[int], ticket_id: int) -> int | None:
    """0-based place of a ticket in a snapshot of the queue (waiting ticket ids, ascending), or
    None when it is not waiting in it (called, served, left, or newer than the snapshot)."""
    i = bisect_left(waiting, ticket_id)
    return i if i < len(waiting) and waiting[i] == ticket_id else None


def is_live(seen_age: float, s: AdmissionSettings) -> bool:
    """A ticket counts in the queue while its page keeps asking."""
    return seen_age <= s.ticket_ttl


def rounded_wait(seconds: float) -> tuple[int, str]:
    """A wait as people read it: (number, unit) with unit "seconds" under a minute (by 5 s),
    else "minutes" (rounded up)."""
    by_five = max(5, int(math.ceil(seconds / 5) * 5))
    if by_five < 60:
        return by_five, "seconds"
    return int(math.ceil(seconds / 60)), "minutes"


# ---------------------------------------------------------------------------- saves first


@dataclass(frozen=True)
class PageGateSettings:
    # Pages (the lobby, the Start button, the attempt page, the full path of the waiting page,
    # everything but saves, submissions and the asks answered from memory) running at once in
    # one process: the limit starts here and moves between the bounds.
    initial: int = 4
    minimum: int = 1
    maximum: int = 8
    # When the saves' p95 in this process is over the target, halve the limit; when it is under
    # and pages are queued, add one. Every `adjust_every` seconds, once `min_samples` saves
    # were measured (no saves: nothing to protect, the limit may grow).
    save_target_ms: float = 40.0
    adjust_every: float = 0.5
    min_samples: int = 5


def next_page_limit(limit: int, save_p95: float | None, queued: bool, s: PageGateSettings) -> int:
    """One step of the pages' limit: saves first (multiplicative decrease when they are slow),
    pages as many as the saves allow (additive increase while pages wait)."""
    if save_p95 is not None and save_p95 > s.save_target_ms:
        return max(s.minimum, limit // 2)
    if queued:
        return min(s.maximum, limit + 1)
    return limit


@dataclass
class PageGate:
    """One process's limit on pages running at once, moved by its saves' latency. Not
    thread-safe: the web layer calls it from its event loop only."""

    settings: PageGateSettings = field(default_factory=PageGateSettings)
    limit: int = 0
    save_ms: list[float] = field(default_factory=list)
    last_adjust: float | None = None
    waiting: int = 0  # pages waiting their turn (the web layer keeps it)

    def __post_init__(self) -> None:
        if not self.limit:
            self.limit = self.settings.initial

    def note_save(self, elapsed_ms: float) -> None:
        if len(self.save_ms) < 10_000:
            self.save_ms.append(elapsed_ms)

    def busy(self) -> bool:
        """More pages wait than run at once: the people already let in (the lobby and Start of
        everyone arriving, the papers of those called) come before calling more."""
        return self.waiting > self.limit

    def adjust(self, now: float, queued: bool) -> int:
        if self.last_adjust is None:
            self.last_adjust = now
        elif now - self.last_adjust >= self.settings.adjust_every:
            enough = len(self.save_ms) >= self.settings.min_samples
            self.limit = next_page_limit(
                self.limit, p95(self.save_ms) if enough else None, queued, self.settings
            )
            self.save_ms.clear()
            self.last_adjust = now
        return self.limit


@dataclass(frozen=True)
class ShedSettings:
    # A page that would wait longer than this in the gate's queue is answered at once with a
    # light "busy" page that retries by itself. Why 2.5 s: a page waits in the queue using no
    # CPU, but past a few seconds the queue only grows at a spike (arrivals alone outrun the
    # machine) until pages are served after the phone gave up at 30 s, work done for nobody.
    # A few seconds of queue still absorbs an ordinary burst (a page takes tens of ms, a
    # process runs 4-8 at once: 2.5 s is a queue of hundreds).
    budget_seconds: float = 2.5
    # The busy page asks again after this many seconds: more the longer the queue, jittered so
    # the retries of a crowd spread out rather than return together.
    retry_min: int = 2
    retry_max: int = 10
    # The mean wall time of a page run through the gate, smoothed over the last few dozen.
    page_smoothing: float = 0.1


def expected_wait(ahead: int, limit: int, page_seconds: float | None) -> float:
    """Seconds a page that has to wait, behind `ahead` others, waits for its turn when `limit`
    run at once, each taking `page_seconds` (0 until a page has been measured)."""
    if page_seconds is None:
        return 0.0
    return (ahead // max(1, limit) + 1) * page_seconds


def should_shed(
    waited: float, ahead: int, limit: int, page_seconds: float | None, s: ShedSettings
) -> bool:
    """Answer busy rather than keep a page waiting: it has waited its budget already, or the
    queue ahead of it means it would."""
    return (
        waited >= s.budget_seconds or expected_wait(ahead, limit, page_seconds) > s.budget_seconds
    )


def retry_seconds(
    queued: int, limit: int, page_seconds: float | None, jitter: float, s: ShedSettings
) -> int:
    """When the busy page asks again: the time the queue now needs to drain, within the bounds,
    times `jitter` (drawn by the caller, e.g. uniform 0.75..1.25)."""
    drain = expected_wait(queued, limit, page_seconds)
    base = min(float(s.retry_max), max(float(s.retry_min), drain))
    return int(min(s.retry_max, max(s.retry_min, round(base * jitter))))
