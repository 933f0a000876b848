"""Queries on the waiting room for starts (start_tickets)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from contest.models import StartTicket, WebSession

# In the queue: waiting to be called, or called (served on their page's next ask).
QUEUED = ("waiting", "called")


# Asked by a Start button whenever the process's memory of it is older than a moment: built
# once, so is its cache key.
_ANYONE_WAITING = (
    select(StartTicket.id)
    .where(StartTicket.state.in_(QUEUED), StartTicket.seen_at >= bindparam("live_since"))
    .limit(1)
)


def anyone_waiting(db: Session, live_since: datetime) -> bool:
    return db.execute(_ANYONE_WAITING, {"live_since": live_since}).first() is not None


def latest_ticket(
    db: Session, participant_id: int, round_id: int, state: str | None = None
) -> StartTicket | None:
    """This person's newest ticket for this round (in `state`, when given)."""
    query = select(StartTicket).where(
        StartTicket.participant_id == participant_id, StartTicket.round_id == round_id
    )
    if state is not None:
        query = query.where(StartTicket.state == state)
    return db.execute(query.order_by(StartTicket.id.desc()).limit(1)).scalar_one_or_none()


def ahead_of(db: Session, ticket_id: int, live_since: datetime) -> int:
    """Live tickets waiting ahead of this one, across every round and contest: the machine is
    one queue."""
    return db.execute(
        select(func.count())
        .select_from(StartTicket)
        .where(
            StartTicket.state.in_(QUEUED),
            StartTicket.id < ticket_id,
            StartTicket.seen_at >= live_since,
        )
    ).scalar_one()


def head_of_queue(db: Session, live_since: datetime, count: int) -> list[int]:
    """The first `count` live tickets still waiting to be called, oldest first, locked for this
    transaction (PostgreSQL). A ticket another process is calling or updating at this moment is
    passed over rather than waited for: two processes calling heads whose rows they each hold
    in another order would otherwise deadlock, and the one passed over is called a moment later
    by whoever holds it or by the next call."""
    return list(
        db.execute(
            select(StartTicket.id)
            .where(StartTicket.state == "waiting", StartTicket.seen_at >= live_since)
            .order_by(StartTicket.id)
            .limit(count)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def free_of(ticket_ids: list[int]) -> Select:
    """Of `ticket_ids`, the queued ones no other transaction holds, locked for this one: a
    best-effort write (the last ask's time) takes these and leaves the others for its next turn
    instead of waiting on them (and, holding some, deadlocking with a call that holds others)."""
    return (
        select(StartTicket.id)
        .where(StartTicket.id.in_(ticket_ids), StartTicket.state.in_(QUEUED))
        .order_by(StartTicket.id)
        .with_for_update(skip_locked=True)
    )


def queued(db: Session, live_since: datetime) -> list[tuple[int, int, str]]:
    """(ticket id, round id, state) of every live ticket waiting or called, oldest first: a
    process's snapshot of the queue."""
    return [
        (ticket_id, round_id, state)
        for ticket_id, round_id, state in db.execute(
            select(StartTicket.id, StartTicket.round_id, StartTicket.state)
            .where(StartTicket.state.in_(QUEUED), StartTicket.seen_at >= live_since)
            .order_by(StartTicket.id)
        )
    ]


def sessions_ended_in_queue(
    db: Session, oldest_ticket_id: int, live_since: datetime, now: datetime
) -> set[str]:
    """Token hashes of the sessions that stopped (signed out, ended by an administrator or a
    password change, or expired) after their owner took a live ticket: a waiting page's ask
    signed for one of them is no longer answered from a snapshot. A session that stopped before
    the ticket was taken never had it signed. `oldest_ticket_id` is the oldest live ticket in
    the queue. An ended session expires when it ends (services/sessions.py), so the indexed
    `expires_at` finds the few that stopped since then without reading every session, and most
    of the time there are none and no ticket is read."""
    since = db.execute(
        select(StartTicket.created_at).where(StartTicket.id == oldest_ticket_id)
    ).scalar_one_or_none()
    if since is None:
        return set()
    stopped = db.execute(
        select(WebSession.token_hash, WebSession.participant_id, WebSession.expires_at).where(
            WebSession.expires_at >= since,
            WebSession.expires_at <= now,
            WebSession.participant_id.is_not(None),
        )
    ).all()
    if not stopped:
        return set()
    taken = dict(
        db.execute(
            select(StartTicket.participant_id, func.min(StartTicket.created_at))
            .where(
                StartTicket.participant_id.in_({p for _, p, _ in stopped}),
                StartTicket.state.in_(QUEUED),
                StartTicket.seen_at >= live_since,
            )
            .group_by(StartTicket.participant_id)
        )
        .tuples()
        .all()
    )
    return {h for h, p, ended in stopped if p in taken and taken[p] <= ended}


def newest(db: Session) -> int:
    """The newest ticket's id (0 when there is none)."""
    return db.execute(select(func.max(StartTicket.id))).scalar_one() or 0


def served_since(db: Session, since: datetime) -> tuple[int, datetime | None]:
    """(tickets served since `since`, the first of those times): the site's measured rate."""
    count, first = db.execute(
        select(func.count(), func.min(StartTicket.served_at)).where(StartTicket.served_at >= since)
    ).one()
    return count, first
