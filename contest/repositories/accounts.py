"""Reading staff accounts, participants and web sessions."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from contest.models import Participant, StaffUser, Unit, WebSession


def staff_by_id(db: Session) -> dict[int, StaffUser]:
    return {u.id: u for u in db.execute(select(StaffUser)).scalars()}


def web_session(db: Session, session_id: int) -> WebSession | None:
    return db.get(WebSession, session_id)


def newest_participants(
    db: Session, contest_id: int, limit: int
) -> list[Row[tuple[Participant, str | None]]]:
    """(participant, unit name) pairs, the latest registrations first."""
    return list(
        db.execute(
            select(Participant, Unit.name)
            .outerjoin(Unit, Unit.id == Participant.unit_id)
            .where(Participant.contest_id == contest_id)
            .order_by(Participant.registered_at.desc())
            .limit(limit)
        ).all()
    )
