"""Reading the outbox: messages due to send, the admins' list, each message's attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest.models import Notice, NoticeAttempt


def due_ids(db: Session, now: datetime, channels: set[str], limit: int) -> list[int]:
    """Pending messages whose time has come, on the channels a sender is configured for."""
    if not channels:
        return []
    return list(
        db.execute(
            select(Notice.id)
            .where(
                Notice.status == "pending",
                Notice.next_attempt_at <= now,
                Notice.channel.in_(sorted(channels)),
            )
            .order_by(Notice.next_attempt_at, Notice.id)
            .limit(limit)
        ).scalars()
    )


def notices(db: Session, *, status: str | None, kind: str | None, limit: int) -> list[Notice]:
    """Newest first."""
    query = select(Notice).order_by(Notice.id.desc()).limit(limit)
    if status:
        query = query.where(Notice.status == status)
    if kind:
        query = query.where(Notice.kind == kind)
    return list(db.execute(query).scalars())


def attempts_of(db: Session, notice_ids: list[int]) -> dict[int, list[NoticeAttempt]]:
    found: dict[int, list[NoticeAttempt]] = {i: [] for i in notice_ids}
    if notice_ids:
        for attempt in db.execute(
            select(NoticeAttempt)
            .where(NoticeAttempt.notice_id.in_(notice_ids))
            .order_by(NoticeAttempt.id)
        ).scalars():
            found[attempt.notice_id].append(attempt)
    return found


def counts_by_status(db: Session) -> dict[str, int]:
    return dict(
        db.execute(select(Notice.status, func.count()).group_by(Notice.status)).tuples().all()
    )


def dedupe_key_taken(db: Session, key: str) -> bool:
    return db.execute(select(Notice.id).where(Notice.dedupe_key == key)).first() is not None
