"""Reading contests and their rounds."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager

from contest.models import Contest, Participant, Round, RoundResult


def contest(db: Session, contest_id: int) -> Contest | None:
    return db.get(Contest, contest_id)


def by_slug(db: Session, slug: str) -> Contest | None:
    return db.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none()


def all_contests(db: Session) -> list[Contest]:
    """Newest first."""
    return list(db.execute(select(Contest).order_by(Contest.created_at.desc())).scalars())


def rounds_of(db: Session, contest_id: int) -> list[Round]:
    """In round-number order."""
    return list(
        db.execute(
            select(Round).where(Round.contest_id == contest_id).order_by(Round.number)
        ).scalars()
    )


# The two statements below run on every start: built once, so is their cache key.
_WITH_ROUNDS = (
    select(Contest)
    .outerjoin(Contest.rounds)
    .options(contains_eager(Contest.rounds))
    .where(Contest.slug == bindparam("slug"))
    .order_by(Round.number)
)
_ROUND_BY_SLUG = (
    select(Round)
    .join(Round.contest)
    .options(contains_eager(Round.contest))
    .where(Contest.slug == bindparam("slug"), Round.number == bindparam("number"))
)


def with_rounds(db: Session, slug: str) -> Contest | None:
    """A contest and its rounds in one statement (the lobby: a page every start begins with)."""
    return db.execute(_WITH_ROUNDS, {"slug": slug}).unique().scalar_one_or_none()


def round_by_slug(db: Session, slug: str, number: int) -> Round | None:
    """A round with its contest loaded too, in one statement (the Start button)."""
    return db.execute(_ROUND_BY_SLUG, {"slug": slug, "number": number}).scalar_one_or_none()


def round_by_number(db: Session, contest_id: int, number: int) -> Round | None:
    return db.execute(
        select(Round).where(Round.contest_id == contest_id, Round.number == number)
    ).scalar_one_or_none()


def round_result(db: Session, round_id: int) -> RoundResult | None:
    """What closing the round fixed (None while it is not closed)."""
    return db.get(RoundResult, round_id)


def participant_count(db: Session, contest_id: int) -> int:
    return db.execute(
        select(func.count()).select_from(Participant).where(Participant.contest_id == contest_id)
    ).scalar_one()
