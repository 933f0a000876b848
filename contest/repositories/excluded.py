"""Queries on a contest's excluded list (the people who may not enter)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest.models import ExcludedPerson


def excluded_citizen_ids(db: Session, contest_id: int) -> frozenset[str]:
    """The CCCDs screening flags as excluded staff."""
    return frozenset(
        db.execute(
            select(ExcludedPerson.citizen_id).where(ExcludedPerson.contest_id == contest_id)
        ).scalars()
    )


def excluded_people(db: Session, contest_id: int) -> list[ExcludedPerson]:
    """The list in the order of the file it came from."""
    return list(
        db.execute(
            select(ExcludedPerson)
            .where(ExcludedPerson.contest_id == contest_id)
            .order_by(ExcludedPerson.row, ExcludedPerson.id)
        ).scalars()
    )
