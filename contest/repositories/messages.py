"""Reading the outbox: messages due to send, the admins' list, each message's attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from contest.models import (
    Attempt,
    Certificate,
    Contest,
    Notice,
    NoticeAttempt,
    Participant,
    PrizeList,
    Round,
)


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


def rounds_opened_between(db: Session, since: datetime, now: datetime) -> list[Round]:
    """Rounds of published contests that opened in the window and are still open."""
    return list(
        db.execute(
            select(Round)
            .join(Contest, Contest.id == Round.contest_id)
            .where(
                Contest.status == "published",
                Round.opens_at > since,
                Round.opens_at <= now,
                Round.closes_at > now,
            )
            .order_by(Round.opens_at)
        ).scalars()
    )


def rounds_closing_between(db: Session, now: datetime, until: datetime) -> list[Round]:
    return list(
        db.execute(
            select(Round)
            .join(Contest, Contest.id == Round.contest_id)
            .where(
                Contest.status == "published",
                Round.opens_at <= now,
                Round.closes_at > now,
                Round.closes_at <= until,
            )
            .order_by(Round.closes_at)
        ).scalars()
    )


def consenting_without_key(
    db: Session,
    contest_id: int,
    key_prefix: str,
    *,
    unfinished_round_id: int | None = None,
    only_ids: list[int] | None = None,
) -> list[Participant]:
    """Participants of a contest who agreed to news and have no message keyed
    `key_prefix<participant id>` yet; with `unfinished_round_id`, only those without a finished
    attempt in that round."""
    key = literal(key_prefix) + cast(Participant.id, String)
    query = select(Participant).where(
        Participant.contest_id == contest_id,
        Participant.messages_consent.is_(True),
        ~exists().where(Notice.dedupe_key == key),
    )
    if unfinished_round_id is not None:
        query = query.where(
            ~exists().where(
                Attempt.round_id == unfinished_round_id,
                Attempt.participant_id == Participant.id,
                Attempt.finalised_at.is_not(None),
            )
        )
    if only_ids is not None:
        query = query.where(Participant.id.in_(only_ids))
    return list(db.execute(query.order_by(Participant.id)).scalars())


def published_result_scopes(db: Session, since: datetime) -> list[tuple[int, int | None]]:
    """(contest, round or None) of prize lists published since `since`, in published contests."""
    return list(
        db.execute(
            select(PrizeList.contest_id, PrizeList.round_id)
            .join(Contest, Contest.id == PrizeList.contest_id)
            .where(PrizeList.published_at.is_not(None), PrizeList.published_at > since)
            .where(Contest.status == "published")
            .distinct()
        ).tuples()
    )


def certificates_to_announce(db: Session, since: datetime) -> list[Certificate]:
    """Live certificates of participants issued since `since` with no message about them yet."""
    key = literal("certificate_ready:") + cast(Certificate.id, String)
    return list(
        db.execute(
            select(Certificate)
            .where(
                Certificate.participant_id.is_not(None),
                Certificate.revoked_at.is_(None),
                Certificate.replaced_at.is_(None),
                Certificate.issued_at > since,
                ~exists().where(Notice.dedupe_key == key),
            )
            .order_by(Certificate.id)
        ).scalars()
    )
