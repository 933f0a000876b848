"""Queries for the operators' endpoints: the database answers, jobs by state."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from contest.models import Job


def ping(db: Session) -> None:
    db.execute(text("SELECT 1")).scalar_one()


def jobs_by_state(db: Session, states: tuple[str, ...]) -> dict[str, int]:
    counted = dict.fromkeys(states, 0)
    query = select(Job.status, func.count()).where(Job.status.in_(states)).group_by(Job.status)
    counted.update({status: int(n) for status, n in db.execute(query).all()})
    return counted
