"""Contests and rounds: lookup, creation from a specification, listing for pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError, NotFound
from contest.models import Contest, Participant, Round, Unit
from contest.services import audit
from contest.services.context import Actor


@dataclass(frozen=True)
class RoundSpec:
    number: int
    title_vi: str
    title_en: str
    opens_at: datetime
    closes_at: datetime
    questions_per_attempt: int = 20
    time_limit_seconds: int = 20 * 60
    max_attempts: int = 1
    counting: str = "best"
    prediction_vi: str = ""
    prediction_en: str = ""
    prediction_target: str = "all_correct"


@dataclass(frozen=True)
class ContestSpec:
    slug: str
    title_vi: str
    title_en: str
    organiser_vi: str = ""
    place_vi: str = ""
    rules_vi: str = ""
    rules_en: str = ""
    time_zone: str = "Asia/Ho_Chi_Minh"
    min_age: int = 0
    age_cutoff: date | None = None
    rounds: tuple[RoundSpec, ...] = ()


def get_by_slug(db: Session, slug: str) -> Contest:
    contest = db.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none()
    if contest is None:
        raise NotFound(f"Không có cuộc thi '{slug}'.", f"There is no contest '{slug}'.")
    return contest


def find_by_slug(db: Session, slug: str) -> Contest | None:
    return db.execute(select(Contest).where(Contest.slug == slug)).scalar_one_or_none()


def list_contests(db: Session) -> list[Contest]:
    return list(db.execute(select(Contest).order_by(Contest.created_at.desc())).scalars())


def create_contest(db: Session, actor: Actor, spec: ContestSpec) -> Contest:
    if find_by_slug(db, spec.slug):
        raise ContestError(
            f"Đã có cuộc thi mã '{spec.slug}'.",
            f"A contest with slug '{spec.slug}' exists.",
            field="slug",
        )
    for r in spec.rounds:
        if r.closes_at <= r.opens_at:
            raise ContestError(
                f"Đợt {r.number}: thời điểm đóng phải sau thời điểm mở.",
                f"Round {r.number}: it must close after it opens.",
                field="closes_at",
            )
    contest = Contest(
        slug=spec.slug,
        title_vi=spec.title_vi,
        title_en=spec.title_en,
        organiser_vi=spec.organiser_vi,
        place_vi=spec.place_vi,
        rules_vi=spec.rules_vi,
        rules_en=spec.rules_en,
        time_zone=spec.time_zone,
        min_age=spec.min_age,
        age_cutoff=spec.age_cutoff,
        created_at=clock.now(),
        rounds=[
            Round(
                number=r.number,
                title_vi=r.title_vi,
                title_en=r.title_en,
                opens_at=r.opens_at,
                closes_at=r.closes_at,
                questions_per_attempt=r.questions_per_attempt,
                time_limit_seconds=r.time_limit_seconds,
                max_attempts=r.max_attempts,
                counting=r.counting,
                prediction_vi=r.prediction_vi,
                prediction_en=r.prediction_en,
                prediction_target=r.prediction_target,
            )
            for r in spec.rounds
        ],
    )
    db.add(contest)
    db.flush()
    audit.record(
        db,
        actor,
        "contest.create",
        "contest",
        contest.id,
        {"slug": spec.slug, "rounds": len(spec.rounds)},
    )
    db.commit()
    return contest


@dataclass(frozen=True)
class ContestOverview:
    contest: Contest
    rounds: list[Round]
    participants: int
    units: int

    def round_state(self, r: Round, now: datetime) -> str:
        if now < r.opens_at:
            return "upcoming"
        return "open" if now < r.closes_at else "closed"


def overview(db: Session, contest: Contest) -> ContestOverview:
    participants = db.execute(
        select(func.count()).select_from(Participant).where(Participant.contest_id == contest.id)
    ).scalar_one()
    units = db.execute(
        select(func.count()).select_from(Unit).where(Unit.contest_id == contest.id)
    ).scalar_one()
    rounds = list(
        db.execute(
            select(Round).where(Round.contest_id == contest.id).order_by(Round.number)
        ).scalars()
    )
    return ContestOverview(contest, rounds, participants, units)
