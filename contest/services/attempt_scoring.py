"""Scoring attempts against their papers: one implementation for submit, expiry, the sweeper,
round close, regrade and statistics. Joins the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from contest.db import writes_ahead
from contest.domain.attempts import AttemptClock
from contest.domain.paper import Paper, bank_key, version_ids
from contest.domain.scoring import AttemptScore, QuestionKey, score_attempt
from contest.models import Answer, Attempt, QuestionVersion, Round
from contest.models.results import KeyCorrection


def attempt_clock(attempt: Attempt | Row) -> AttemptClock:
    limit = attempt.deadline_at - attempt.started_at
    return AttemptClock(
        started_at=attempt.started_at,
        # An attempt started in the last instant of a round still needs a positive limit.
        time_limit=limit if limit > timedelta(0) else timedelta(microseconds=1),
        round_closes_at=attempt.deadline_at,
        grace=timedelta(seconds=attempt.grace_seconds or 0),
    )


def version_keys(
    db: Session, version_ids: Iterable[int], round_id: int
) -> dict[int, frozenset[str]]:
    """The correct option ids of each question version in one round, a key correction made
    under that round taking precedence (a correction never reaches another round's papers)."""
    ids = set(version_ids)
    if not ids:
        return {}
    bank_keys = {
        vid: bank_key(options)
        for vid, options in db.execute(
            select(QuestionVersion.id, QuestionVersion.options).where(QuestionVersion.id.in_(ids))
        )
    }
    return effective_keys(db, bank_keys, round_id)


# Built once: every attempt page asks it.
_CORRECTIONS = (
    select(KeyCorrection.question_version_id, KeyCorrection.correct_options)
    .where(
        KeyCorrection.question_version_id.in_(bindparam("versions", expanding=True)),
        KeyCorrection.round_id == bindparam("round_id"),
    )
    .order_by(KeyCorrection.id)
)


def effective_keys(
    db: Session, bank_keys: dict[int, frozenset[str]], round_id: int
) -> dict[int, frozenset[str]]:
    """The bank's keys with the round's key corrections applied (the latest one wins)."""
    keys = dict(bank_keys)
    if not keys:
        return keys
    for vid, correct in db.execute(_CORRECTIONS, {"versions": list(keys), "round_id": round_id}):
        keys[vid] = frozenset(str(o) for o in correct)
    return keys


def paper_keys(paper: Paper, keys: dict[int, frozenset[str]]) -> list[QuestionKey]:
    # Keyed by position on the paper, as answers are stored.
    return [QuestionKey(str(pos), keys[item.version_id]) for pos, item in enumerate(paper)]


def answers_by_question(paper: Sequence[object], answers: Iterable[Answer]) -> dict[str, list[str]]:
    return {
        str(a.position): [str(o) for o in (a.chosen or [])]
        for a in answers
        if 0 <= a.position < len(paper)
    }


def score_of(
    attempt: Attempt, answers: Iterable[Answer], keys: dict[int, frozenset[str]]
) -> AttemptScore:
    return score_attempt(
        paper_keys(attempt.items, keys), answers_by_question(attempt.paper, answers)
    )


def answers_of(db: Session, attempt_ids: Sequence[int]) -> dict[int, list[Answer]]:
    out: dict[int, list[Answer]] = {}
    for ans in db.execute(select(Answer).where(Answer.attempt_id.in_(attempt_ids))).scalars():
        out.setdefault(ans.attempt_id, []).append(ans)
    return out


def materialise(db: Session, attempts: Sequence[Attempt], now: datetime) -> int:
    """Score final attempts that have no score yet; returns how many this call scored.

    The guarded UPDATE makes a concurrent scorer (another process, the sweeper) a no-op
    rather than a second write, so it is safe on every host at once.
    """
    due = [
        a
        for a in attempts
        if a.finalised_at is None and attempt_clock(a).is_final(now, a.submitted_at)
    ]
    if not due:
        return 0
    writes_ahead(db)  # a page that read without a transaction writes in one
    # Lock the rows before reading answers (PostgreSQL; SQLite has one writer at a time): a save
    # in flight commits first and is scored, a later one finds the attempt final and is refused
    # (the guarded upsert in services.taking), so no acknowledged answer is left out of a score.
    locked = set(
        db.execute(
            select(Attempt.id)
            .where(Attempt.id.in_([a.id for a in due]), Attempt.finalised_at.is_(None))
            .order_by(Attempt.id)
            .with_for_update()
        ).scalars()
    )
    due = [a for a in due if a.id in locked]
    if not due:
        return 0
    keys = {
        round_id: version_keys(
            db, version_ids(a.paper for a in due if a.round_id == round_id), round_id
        )
        for round_id in {a.round_id for a in due}
    }
    answers = answers_of(db, [a.id for a in due])
    scored = 0
    for a in due:
        result = score_of(a, answers.get(a.id, []), keys[a.round_id])
        finished = attempt_clock(a).finished_at(now, a.submitted_at) or now
        scored += (
            db.execute(
                update(Attempt)
                .where(Attempt.id == a.id, Attempt.finalised_at.is_(None))
                .values(
                    correct=result.correct,
                    answered=result.answered,
                    score=result.score,
                    duration_ms=int((finished - a.started_at).total_seconds() * 1000),
                    finalised_at=now,
                    finish_reason="submitted" if a.submitted_at else "expired",
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
        db.expire(a)
    db.flush()
    return scored


def settled_at(db: Session, rnd: Round) -> datetime:
    """When no attempt of the round can change any more: the close, or the latest deadline of
    an attempt still running (an organiser may move the close earlier; started attempts keep
    their deadlines), plus the longest grace in use.

    Keys and "after close" scores wait for this, or a participant still able to save could
    read the key someone else was shown.
    """
    longest, running_until = db.execute(
        select(
            func.max(Attempt.grace_seconds),
            select(func.max(Attempt.deadline_at))
            .where(
                Attempt.round_id == rnd.id,
                Attempt.finalised_at.is_(None),
                Attempt.submitted_at.is_(None),
            )
            .scalar_subquery(),
        ).where(Attempt.round_id == rnd.id)
    ).one()
    latest = max(rnd.closes_at, running_until) if running_until else rnd.closes_at
    return latest + timedelta(seconds=max(rnd.grace_seconds or 0, longest or 0))


def is_settled(db: Session, rnd: Round, now: datetime) -> bool:
    """Whether `now` is at or after `settled_at`. Never settled before the close: an open round
    (every lobby and attempt page while a contest runs) does not ask for the aggregate, which
    reads every attempt of the round."""
    return now >= rnd.closes_at and now >= settled_at(db, rnd)
