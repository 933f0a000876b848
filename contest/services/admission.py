"""The waiting room for starts: let a start through at once while the machine keeps up, else give
the person a ticket and a place in one queue shared by every process and host (the database), and
serve their paper when their turn comes. Saves never come here: they have their own lane.

Each process keeps one `StartController` (domain/admission.py); the queue's order is the ticket
id. A process with room calls the people at the head of the queue (state "called"), whoever's
page asked, and each called person is served on their page's next ask at any process: strictly
first come, first served. The site's rate, for the estimate, is measured from the tickets served
in the last seconds.

Asking costs little: each process keeps a snapshot of the queue (the waiting tickets' ids,
re-read every VIEW_EVERY seconds) and calls the head every CALL_EVERY seconds with the tokens it
has (`maintain`), so the waiting page's asks are answered from memory (`peek`, served ahead of
the router by contest/web/wait_lane.py) and only a called person's ask reaches the database.
The snapshot also lists the sessions that ended while their owner held a ticket: an ask signed
for one of them goes to the full path, which checks the session (so signing out stops the
ticket's asks within a snapshot's age, VIEW_STALE at most).
The asks are remembered and written as each ticket's last ask in one statement now and then.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.domain.admission import (
    AdmissionSettings,
    PageGate,
    StartController,
    estimated_wait,
    is_live,
    place_in,
    poll_ms,
)
from contest.models import Attempt, Participant, Round, StartTicket
from contest.repositories import admission as tickets
from contest.services import audit, taking
from contest.services.context import SYSTEM, Actor


@dataclass(frozen=True)
class Waiting:
    """What the waiting page shows: the person's place (1 = next), the estimated wait, and
    when the page should ask again."""

    round_id: int
    place: int
    wait_seconds: float
    poll_ms: int
    rate: float
    ticket_id: int


def _settings() -> AdmissionSettings:
    cfg = get_settings()
    return AdmissionSettings(
        initial_rate=cfg.admission_initial_rate,
        max_rate=cfg.admission_max_rate,
        start_target_ms=cfg.admission_start_target_ms,
        save_target_ms=cfg.admission_save_target_ms,
        max_concurrent=cfg.admission_max_concurrent,
        ticket_ttl=cfg.admission_ticket_ttl_seconds,
    )


@dataclass
class _View:
    """This process's snapshot of the queue: the live waiting tickets' ids (ascending), when it
    was read (monotonic), the site's measured rate then, and the tickets whose page asked since
    their last ask was written."""

    waiting: list[int] = field(default_factory=list)
    taken_at: float = float("-inf")
    round_ids: dict[int, int] = field(default_factory=dict)
    # Called and not yet served, and the newest ticket in the table when the snapshot was read.
    called: set[int] = field(default_factory=set)
    newest: int = 0
    rate: float = 0.0
    seen: set[int] = field(default_factory=set)
    seen_written: float = 0.0
    called_at: float = float("-inf")
    # Token hashes of sessions that ended while their owner held a ticket: asks signed for
    # them go to the full path, which sends the person to sign in.
    ended_sessions: frozenset[str] = frozenset()


# The snapshot of the queue is re-read this often; the head is called this often (each call
# hands out the tokens gathered since: a small, steady trickle of starts rather than bursts);
# a snapshot older than VIEW_STALE is not answered from (the ask goes to the full path).
VIEW_EVERY = 0.5
CALL_EVERY = 0.1
VIEW_STALE = 2.0
_view = _View()
_maintaining = threading.Lock()
# Saves first: this process's limit on pages running at once (web/gate.py), moved by its saves.
_gate = PageGate()


def page_gate() -> PageGate:
    return _gate


_lock = threading.Lock()
_controller: StartController | None = None
# Per-process memory of two site-wide facts, each re-read at most every REFRESH seconds: whether
# anyone is waiting (a newcomer then queues behind them) and the site's measured rate.
REFRESH = 0.25
_seen: dict[str, tuple[float, object]] = {}
_last_tidy = 0.0
TIDY_EVERY = 10.0


def controller() -> StartController:
    global _controller
    if _controller is None:
        with _lock:
            if _controller is None:
                _controller = StartController(_settings())
    return _controller


def reset() -> None:
    """Forget this process's controller and memory (tests; a settings change)."""
    global _controller, _last_tidy, _view, _gate
    with _lock:
        _controller = None
        _seen.clear()
        _last_tidy = 0.0
        _view = _View()
        _gate = PageGate()


def note_save(elapsed_ms: float) -> None:
    """A save's service time in this process: slow saves make starts back off, and lower the
    number of pages the process runs at once."""
    c = controller()
    with _lock:
        c.note_save(elapsed_ms)
    _gate.note_save(elapsed_ms)


def _admit() -> bool:
    c = controller()
    with _lock:
        return c.try_admit(time.monotonic())


def _finished(t0: float) -> None:
    c = controller()
    now = time.monotonic()
    with _lock:
        c.finished(now, (now - t0) * 1000)


def _live_since(now: datetime) -> datetime:
    return now - timedelta(seconds=controller().settings.ticket_ttl)


def _remembered(key: str, fresh):
    now = time.monotonic()
    hit = _seen.get(key)
    if hit is not None and now - hit[0] < REFRESH:
        return hit[1]
    value = fresh()
    _seen[key] = (now, value)
    return value


def _anyone_waiting(db: Session, now: datetime) -> bool:
    return bool(_remembered("waiting", lambda: tickets.anyone_waiting(db, _live_since(now))))


def site_rate(db: Session, now: datetime) -> float:
    """Starts a second the site serves from its queue (the last 10 s), or this process's own
    rate before anyone has been served from it. An estimate from what is served, not from
    what the controllers hope: an honest wait, and people far back ask rarely."""

    def measure() -> float:
        count, first = tickets.served_since(db, now - timedelta(seconds=10))
        if not count or first is None:
            return 0.0
        return count / max(1.0, (now - first).total_seconds())

    measured = float(_remembered("rate", measure))  # type: ignore[arg-type]
    return measured if measured > 0 else controller().rate


def start_or_wait(
    db: Session, participant: Participant, rnd: Round, ip: str = "", device: str = ""
) -> Attempt | Waiting:
    """The Start button: the open attempt, a new one when the machine has room and nobody is
    waiting, or a place in the queue (the same place when they tap again). Refusals (round
    closed, no attempts left) come first, so nobody waits only to be refused."""
    now = clock.now()
    found = taking.open_or_next(db, participant, rnd, now)
    if isinstance(found, Attempt):
        return found
    if not get_settings().admission_enabled:
        return taking.begin_attempt(db, participant, rnd, found, now, ip, device)
    # Nobody waiting (the usual case, remembered for a moment) means this person holds no
    # live ticket either: no query for it.
    if not _anyone_waiting(db, now) and _admit():
        t0 = time.monotonic()
        try:
            return taking.begin_attempt(db, participant, rnd, found, now, ip, device)
        finally:
            _finished(t0)
    ticket = tickets.latest_ticket(db, participant.id, rnd.id)
    if ticket is None or ticket.state not in tickets.QUEUED or not _live(ticket, now):
        ticket = _join(db, participant, rnd, ip, ticket)
    if ticket.state == "called":
        return _serve_called(db, participant, rnd, ticket, now, ip, device)
    return _waiting(db, ticket, now)


def wait_turn(
    db: Session, participant: Participant, rnd: Round, ip: str = "", device: str = ""
) -> Attempt | Waiting | None:
    """The waiting page asks: the attempt when this person has been called (the paper is drawn
    and the clock starts now), else their place. Each ask hands the tokens this process has to
    the head of the queue, whoever asks: first come, first served across processes. None: no
    ticket and no open attempt (back to the lobby). A ticket whose page stopped asking for longer
    than its lifetime goes to the back."""
    now = clock.now()
    ticket = tickets.latest_ticket(db, participant.id, rnd.id)
    if ticket is None or ticket.state == "served":
        found = taking.open_or_next(db, participant, rnd, now)
        return found if isinstance(found, Attempt) else None
    _tidy(db, now)
    if ticket.state not in tickets.QUEUED or not _live(ticket, now):
        ticket = _join(db, participant, rnd, ip, ticket)
    if ticket.state == "waiting" and ticket.id in _call_heads(db, now):
        ticket.state = "called"
    if ticket.state == "called":
        return _serve_called(db, participant, rnd, ticket, now, ip, device)
    if (now - ticket.seen_at).total_seconds() >= SEEN_EVERY:
        ticket.seen_at = now
        db.commit()
    return _waiting(db, ticket, now)


GRANT_MAX = 100
# A ticket's last ask is written at most this often (a write per ask would cost more than the ask).
SEEN_EVERY = 10.0


def _call_heads(db: Session, now: datetime) -> set[int]:
    """Call as many people at the head of the queue as this process has tokens for, unless the
    process's pages are queued (web/gate.py): those already let in come first, so the papers of
    the people called do not wait behind a crowd of arrivals (the tokens keep, up to a burst)."""
    if _gate.busy():
        return set()
    c = controller()
    with _lock:
        granted = c.grant(time.monotonic(), GRANT_MAX)
    if not granted:
        return set()
    heads = tickets.head_of_queue(db, _live_since(now), granted)
    called: set[int] = set()
    if heads:
        # Guarded: another process may call some of the same people at the same moment; only
        # those this statement moved are this process's (their tokens are spent, the rest kept).
        called = set(
            db.execute(
                update(StartTicket)
                .where(StartTicket.id.in_(heads), StartTicket.state == "waiting")
                .values(state="called", seen_at=now)
                .returning(StartTicket.id)
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        db.commit()
    if granted > len(called):
        with _lock:
            c.give_back(granted - len(called))
    return called


def _serve_called(
    db: Session,
    participant: Participant,
    rnd: Round,
    ticket: StartTicket,
    now: datetime,
    ip: str,
    device: str,
) -> Attempt:
    c = controller()
    with _lock:
        c.begin_granted()
    t0 = time.monotonic()
    try:
        return _serve(db, participant, rnd, ticket, now, ip, device)
    finally:
        _finished(t0)


def _live(ticket: StartTicket, now: datetime) -> bool:
    return is_live((now - ticket.seen_at).total_seconds(), controller().settings)


def _join(
    db: Session, participant: Participant, rnd: Round, ip: str, old: StartTicket | None
) -> StartTicket:
    """A new ticket at the back of the queue (and the old one, given up, marked so)."""
    now = clock.now()
    if old is not None:
        old.state = "left"
    ticket = StartTicket(
        round_id=rnd.id, participant_id=participant.id, state="waiting", created_at=now, seen_at=now
    )
    db.add(ticket)
    db.flush()
    audit.queue(
        db,
        Actor("participant", participant.id, "", ip),
        "attempt.wait",
        "round",
        rnd.id,
        {"ticket": ticket.id, **({"rejoined": old.id} if old is not None else {})},
    )
    # Nothing read in this transaction changes by committing it: keep the loaded values (the
    # ticket, the person, the round and its contest for the page) rather than read them again.
    keep = db.expire_on_commit
    db.expire_on_commit = False
    try:
        db.commit()
    finally:
        db.expire_on_commit = keep
    return ticket


def _serve(
    db: Session,
    participant: Participant,
    rnd: Round,
    ticket: StartTicket,
    now: datetime,
    ip: str,
    device: str,
) -> Attempt:
    """The paper, the attempt and the ticket marked served: one transaction. A second tab that
    served the same ticket first wins; this one answers its attempt."""
    ticket_id = ticket.id
    try:
        found = taking.open_or_next(db, participant, rnd, now)
    except Exception:
        db.rollback()
        db.execute(update(StartTicket).where(StartTicket.id == ticket_id).values(state="left"))
        db.commit()
        raise
    if isinstance(found, Attempt):
        attempt = found
    else:
        attempt = taking.begin_attempt(
            db,
            participant,
            rnd,
            found,
            now,
            ip,
            device,
            details={"ticket": ticket_id},
            commit=False,
        )
    won = _count(
        db,
        update(StartTicket)
        .where(StartTicket.id == ticket_id, StartTicket.state.in_(tickets.QUEUED))
        .values(state="served", served_at=now, attempt_id=attempt.id)
        .execution_options(synchronize_session=False),
    )
    if not won:
        db.rollback()
        found = taking.open_or_next(db, participant, rnd, clock.now())
        if isinstance(found, Attempt):
            return found
        raise RuntimeError("a served ticket without an open attempt")
    db.commit()
    return attempt


def _waiting(db: Session, ticket: StartTicket, now: datetime) -> Waiting:
    """The place from this process's snapshot when it is fresh (everyone waiting in it with a
    smaller ticket is ahead: a newcomer is behind all of them), else counted in the database."""
    s = controller().settings
    with _lock:
        fresh = time.monotonic() - _view.taken_at <= VIEW_STALE
        ahead = bisect_left(_view.waiting, ticket.id) if fresh else None
    place = ahead if ahead is not None else tickets.ahead_of(db, ticket.id, _live_since(now))
    rate = site_rate(db, now)
    wait = estimated_wait(place, rate)
    return Waiting(ticket.round_id, place + 1, wait, poll_ms(wait, s), rate, ticket.id)


# ---------------------------------------------------------------------------- asks from memory


@dataclass(frozen=True)
class Called:
    """The person's turn has come: their next request (the full path) serves the paper."""

    ticket_id: int


def peek(
    ticket_id: int, round_id: int | None = None, session_hash: str = ""
) -> Waiting | Called | None:
    """A waiting person's place from this process's snapshot, with no query, or Called when the
    snapshot has them called. A ticket newer than the snapshot (it joined since) is behind
    everyone in it. None when the snapshot is stale, or holds the ticket neither waiting nor
    called (served, left), or holds it for another round than `round_id`, or lists the session
    the ask was signed for (`session_hash`, sessions.token_hash of its cookie) as ended: the
    full path (`wait_turn`, behind the session check) answers then."""
    c = controller()
    with _lock:
        view = _view
        if time.monotonic() - view.taken_at > VIEW_STALE:
            return None
        if session_hash in view.ended_sessions:
            return None
        if ticket_id in view.called:
            return Called(ticket_id) if round_id in (None, view.round_ids.get(ticket_id)) else None
        place = place_in(view.waiting, ticket_id)
        if place is None:
            if ticket_id <= view.newest:
                return None
            place = len(view.waiting)
        ticket_round = view.round_ids.get(ticket_id, -1)
        if round_id is not None and ticket_round != round_id:
            return None
        view.seen.add(ticket_id)
        rate = view.rate or c.rate
    wait = estimated_wait(place, rate)
    return Waiting(ticket_round, place + 1, wait, poll_ms(wait, c.settings), rate, ticket_id)


def snapshot_usable() -> bool:
    """Whether asks can be answered from this process's snapshot (it is recent enough)."""
    return time.monotonic() - _view.taken_at <= VIEW_STALE


def maintenance_due() -> bool:
    """Whether the snapshot is old or the head is due a call (nothing to do while nobody waits:
    only a waiting page's ask calls `maintain`)."""
    if _maintaining.locked():  # another ask is at it: answer from the snapshot meanwhile
        return False
    now = time.monotonic()
    return now - _view.taken_at >= VIEW_EVERY or (
        bool(_view.waiting) and now - _view.called_at >= CALL_EVERY
    )


def maintain(db: Session) -> None:
    """Call the head of the queue with this process's tokens; when the snapshot is old, write
    the asks remembered since the last write, mark tickets nobody asks for as left, and re-read
    the queue. One thread at a time per process; the others answer from the snapshot meanwhile."""
    if not _maintaining.acquire(blocking=False):
        return
    try:
        now = clock.now()
        mono = time.monotonic()
        view = _view
        if view.waiting and mono - view.called_at >= CALL_EVERY:
            view.called_at = mono
            called = _call_heads(db, now)
            if called:
                with _lock:
                    view.waiting = [i for i in view.waiting if i not in called]
                    view.called |= called
        if mono - view.taken_at < VIEW_EVERY:
            return
        with _lock:
            seen = view.seen if mono - view.seen_written >= SEEN_EVERY / 2 else set()
            if seen:
                view.seen = set()
                view.seen_written = mono
        if seen:
            db.execute(
                update(StartTicket)
                .where(StartTicket.id.in_(tickets.free_of(sorted(seen)).scalar_subquery()))
                .values(seen_at=now)
                .execution_options(synchronize_session=False)
            )
            db.commit()
        _tidy(db, now)
        rows = tickets.queued(db, _live_since(now))
        ended = (
            frozenset(tickets.sessions_ended_in_queue(db, rows[0][0], _live_since(now), now))
            if rows
            else frozenset()
        )
        newest = tickets.newest(db)
        rate = site_rate(db, now)
        db.rollback()  # end the read-only transaction: the connection goes back to the pool
        with _lock:
            view.waiting = [ticket_id for ticket_id, _, state in rows if state == "waiting"]
            view.called = {ticket_id for ticket_id, _, state in rows if state == "called"}
            view.round_ids = {ticket_id: round_id for ticket_id, round_id, _ in rows}
            view.ended_sessions = ended
            view.newest = newest
            view.rate = rate
            view.taken_at = time.monotonic()
    finally:
        _maintaining.release()


def _tidy(db: Session, now: datetime) -> None:
    """Mark tickets whose page stopped asking as left (at most every TIDY_EVERY s per process),
    so the queue's queries do not walk them; one audit entry says how many."""
    global _last_tidy
    mono = time.monotonic()
    if mono - _last_tidy < TIDY_EVERY:
        return
    _last_tidy = mono
    gone = _count(
        db,
        update(StartTicket)
        .where(StartTicket.state.in_(tickets.QUEUED), StartTicket.seen_at < _live_since(now))
        .values(state="left")
        .execution_options(synchronize_session=False),
    )
    if gone:
        audit.queue(db, SYSTEM, "attempt.wait_expired", "start_tickets", "", {"tickets": gone})
    db.commit()


def _count(db: Session, statement) -> int:
    """Rows an UPDATE changed."""
    return cast(CursorResult, db.execute(statement)).rowcount or 0
