"""Queries of the live page: counts over a contest's attempts and the live counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, distinct, exists, func, literal_column, select, text
from sqlalchemy.orm import Session

from contest.models import Attempt, LiveCount, Participant, Round

VIETNAM_OFFSET_HOURS = 7  # Asia/Ho_Chi_Minh has kept UTC+7 all year since 1975

_FORMATS = {  # granularity -> (SQLite strftime, PostgreSQL to_char)
    "minute": ("%Y-%m-%d %H:%M", "YYYY-MM-DD HH24:MI"),
    "hour": ("%Y-%m-%d %H", "YYYY-MM-DD HH24"),
    "day": ("%Y-%m-%d", "YYYY-MM-DD"),
}


def _local_label(db: Session, column, granularity: str) -> ColumnElement[str]:
    """The column's time in Vietnam, cut to the granularity, as text ('2026-11-27 15')."""
    sqlite_format, pg_format = _FORMATS[granularity]
    if db.get_bind().dialect.name == "sqlite":
        return func.strftime(sqlite_format, column, f"+{VIETNAM_OFFSET_HOURS} hours")
    shifted = column + literal_column(f"interval '{VIETNAM_OFFSET_HOURS} hours'")
    return func.to_char(shifted, pg_format)


def round_ids(db: Session, contest_id: int) -> list[int]:
    return list(
        db.execute(
            select(Round.id).where(Round.contest_id == contest_id).order_by(Round.number)
        ).scalars()
    )


def registered(db: Session, contest_id: int) -> int:
    return db.execute(
        select(func.count()).select_from(Participant).where(Participant.contest_id == contest_id)
    ).scalar_one()


def active(db: Session, rounds: list[int], now: datetime) -> tuple[int, int]:
    """(participants, attempts) with an attempt under way: not submitted, not scored, in time."""
    row = db.execute(
        select(func.count(distinct(Attempt.participant_id)), func.count()).where(
            Attempt.round_id.in_(rounds),
            Attempt.finalised_at.is_(None),
            Attempt.submitted_at.is_(None),
            Attempt.deadline_at > now,
        )
    ).one()
    return int(row[0]), int(row[1])


def started_by(
    db: Session, rounds: list[int], granularity: str, since: datetime | None = None
) -> dict[str, int]:
    label = _local_label(db, Attempt.started_at, granularity)
    query = select(label, func.count()).where(Attempt.round_id.in_(rounds))
    if since is not None:
        query = query.where(Attempt.started_at >= since)
    return {k: int(n) for k, n in db.execute(query.group_by(label)).all()}


def finished_by(
    db: Session, rounds: list[int], granularity: str, since: datetime
) -> dict[str, int]:
    """Attempts made final (submitted or expired and scored) per interval since `since`."""
    label = _local_label(db, Attempt.finalised_at, granularity)
    query = (
        select(label, func.count())
        .where(Attempt.round_id.in_(rounds), Attempt.finalised_at >= since)
        .group_by(label)
    )
    return {k: int(n) for k, n in db.execute(query).all()}


def attempts_before(db: Session, rounds: list[int], when: datetime) -> tuple[int, int]:
    """(attempts started, attempts made final) over the rounds before `when`: a scan."""
    row = db.execute(
        select(
            func.count().filter(Attempt.started_at < when),
            func.count().filter(Attempt.finalised_at < when),
        ).where(Attempt.round_id.in_(rounds))
    ).one()
    return int(row[0]), int(row[1])


def attempts_since(db: Session, rounds: list[int], when: datetime) -> tuple[int, int]:
    """(attempts started, attempts made final) over the rounds since `when`: two index ranges."""
    started = db.execute(
        select(func.count()).where(Attempt.round_id.in_(rounds), Attempt.started_at >= when)
    ).scalar_one()
    final = db.execute(
        select(func.count()).where(Attempt.round_id.in_(rounds), Attempt.finalised_at >= when)
    ).scalar_one()
    return int(started), int(final)


def participants_by_unit(db: Session, contest_id: int, rounds: list[int]) -> dict[int | None, int]:
    """People with at least one attempt in the rounds, per unit they registered in."""
    took_part = exists().where(
        Attempt.participant_id == Participant.id, Attempt.round_id.in_(rounds)
    )
    query = (
        select(Participant.unit_id, func.count())
        .where(Participant.contest_id == contest_id, took_part)
        .group_by(Participant.unit_id)
    )
    return {unit: int(n) for unit, n in db.execute(query).all()}


def counts_since(db: Session, scopes: list[int], since_bucket: int) -> dict[tuple[str, int], int]:
    """Live counters summed over the scopes: (kind, bucket) -> count."""
    query = (
        select(LiveCount.kind, LiveCount.bucket, func.sum(LiveCount.count))
        .where(LiveCount.scope.in_(scopes), LiveCount.bucket >= since_bucket)
        .group_by(LiveCount.kind, LiveCount.bucket)
    )
    return {(kind, int(bucket)): int(n) for kind, bucket, n in db.execute(query).all()}


_ADD_SQL = (
    "INSERT INTO live_counts (scope, kind, bucket, count) VALUES (:scope, :kind, :bucket, :count) "
    "ON CONFLICT (scope, kind, bucket) DO UPDATE SET count = live_counts.count + excluded.count"
)


def add_counts(db: Session, rows: list[dict]) -> None:
    """Add to the counters (one statement per row, executed as one batch)."""
    if rows:
        db.execute(text(_ADD_SQL), rows)


def purge_counts(db: Session, before_bucket: int) -> int:
    result = db.execute(delete(LiveCount).where(LiveCount.bucket < before_bucket))
    return int(getattr(result, "rowcount", 0) or 0)
