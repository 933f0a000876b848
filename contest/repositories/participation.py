"""Participation counts (people and attempts per unit and per round), counted by the database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest.models import Attempt, Participant, Round


def registered_by_unit(db: Session, contest_id: int) -> dict[int | None, int]:
    """Participants registered in each unit (their own unit, not rolled up)."""
    rows = db.execute(
        select(Participant.unit_id, func.count())
        .where(Participant.contest_id == contest_id)
        .group_by(Participant.unit_id)
    ).all()
    return {unit_id: n for unit_id, n in rows}


def attempts_by_unit(
    db: Session, contest_id: int, round_id: int | None = None
) -> dict[int | None, tuple[int, int]]:
    """(people who started an attempt, attempts started) per unit, in one round or all."""
    q = (
        select(
            Participant.unit_id,
            func.count(func.distinct(Attempt.participant_id)),
            func.count(Attempt.id),
        )
        .join(Attempt, Attempt.participant_id == Participant.id)
        .where(Participant.contest_id == contest_id)
    )
    if round_id is not None:
        q = q.where(Attempt.round_id == round_id)
    rows = db.execute(q.group_by(Participant.unit_id)).all()
    return {unit_id: (people, attempts) for unit_id, people, attempts in rows}


def attempts_by_round(db: Session, contest_id: int) -> dict[int, tuple[int, int, int]]:
    """(people who started, attempts started, attempts finished) per round id."""
    rows = db.execute(
        select(
            Attempt.round_id,
            func.count(func.distinct(Attempt.participant_id)),
            func.count(Attempt.id),
            func.count(Attempt.finalised_at),
        )
        .join(Round, Round.id == Attempt.round_id)
        .where(Round.contest_id == contest_id)
        .group_by(Attempt.round_id)
    ).all()
    return {round_id: (people, started, finished) for round_id, people, started, finished in rows}
