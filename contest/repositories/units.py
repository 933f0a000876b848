"""Reading a contest's units (its own tree: province, agencies, districts, communes...)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest.models import Unit


def units_of(db: Session, contest_id: int) -> list[Unit]:
    """Every unit of the contest, in the order of its tree as imported (position, then id)."""
    return list(
        db.execute(
            select(Unit).where(Unit.contest_id == contest_id).order_by(Unit.position, Unit.id)
        ).scalars()
    )


def units_by_id(db: Session, contest_id: int) -> dict[int, Unit]:
    return {u.id: u for u in units_of(db, contest_id)}


def unit_count(db: Session, contest_id: int) -> int:
    return db.execute(
        select(func.count()).select_from(Unit).where(Unit.contest_id == contest_id)
    ).scalar_one()


def unit(db: Session, unit_id: int | None) -> Unit | None:
    return db.get(Unit, unit_id) if unit_id is not None else None


def unit_ids(db: Session, contest_id: int) -> list[int]:
    return list(db.execute(select(Unit.id).where(Unit.contest_id == contest_id)).scalars())


def by_code(db: Session, contest_id: int, code: str) -> Unit | None:
    return db.execute(
        select(Unit).where(Unit.contest_id == contest_id, Unit.code == code)
    ).scalar_one_or_none()


def has_children(db: Session, contest_id: int, unit_id: int) -> bool:
    return (
        db.execute(
            select(Unit.id).where(Unit.contest_id == contest_id, Unit.parent_id == unit_id).limit(1)
        ).first()
        is not None
    )
