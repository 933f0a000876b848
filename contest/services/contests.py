"""Contests and rounds: lookup, creation from a specification, listing for pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.models import Contest, Round, RoundResult
from contest.repositories import contests as contest_rows
from contest.repositories import units as unit_rows
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
    registration_open: bool = True
    cheating_voids_all: bool = False


def get_by_slug(db: Session, slug: str) -> Contest:
    contest = contest_rows.by_slug(db, slug)
    if contest is None:
        raise NotFound(f"Không có cuộc thi '{slug}'.", f"There is no contest '{slug}'.")
    return contest


def find_by_slug(db: Session, slug: str) -> Contest | None:
    return contest_rows.by_slug(db, slug)


def find(db: Session, contest_id: int) -> Contest | None:
    return contest_rows.contest(db, contest_id)


def get(db: Session, contest_id: int) -> Contest:
    contest = contest_rows.contest(db, contest_id)
    if contest is None:
        raise NotFound("Không có cuộc thi này.", "There is no such contest.")
    return contest


def list_contests(db: Session) -> list[Contest]:
    return contest_rows.all_contests(db)


def get_round(db: Session, contest: Contest | str, number: int) -> Round:
    """A round addressed the way people say it: the contest (or its slug) and the round number."""
    if isinstance(contest, str):
        contest = get_by_slug(db, contest)
    rnd = contest_rows.round_by_number(db, contest.id, number)
    if rnd is None:
        raise NotFound(
            f"Cuộc thi '{contest.slug}' không có đợt {number}.",
            f"Contest '{contest.slug}' has no round {number}.",
        )
    return rnd


def rounds_of(db: Session, contest: Contest) -> list[Round]:
    return contest_rows.rounds_of(db, contest.id)


def round_result(db: Session, rnd: Round) -> RoundResult | None:
    """What closing the round fixed; None while it is open."""
    return contest_rows.round_result(db, rnd.id)


def participant_count(db: Session, contest: Contest) -> int:
    return contest_rows.participant_count(db, contest.id)


_SLUG = re.compile(r"[a-z0-9][a-z0-9\-]{1,78}[a-z0-9]")
_TITLES = (
    ("title_vi", "Tên cuộc thi (tiếng Việt)", "Title (Vietnamese)"),
    ("title_en", "Tên cuộc thi (tiếng Anh)", "Title (English)"),
)


def slug_problems(db: Session, slug: str) -> list[ContestError]:
    """A contest's slug is 3–80 lower-case letters, digits and hyphens, and not taken."""
    if not _SLUG.fullmatch(slug):
        return [
            ContestError(
                "Mã cuộc thi gồm 3–80 ký tự: chữ thường không dấu, số, gạch ngang.",
                "A contest slug is 3–80 characters: lower-case letters, digits, hyphens.",
                field="slug",
            )
        ]
    if find_by_slug(db, slug):
        return [
            ContestError(
                f"Đã có cuộc thi mã '{slug}'.",
                f"A contest with slug '{slug}' exists.",
                field="slug",
            )
        ]
    return []


def title_problems(title_vi: str, title_en: str) -> list[ContestError]:
    """Both titles are needed (certificates and pages show one or the other)."""
    return [
        ContestError(f"{vi} không được để trống.", f"{en} is required.", field=name)
        for (name, vi, en), value in zip(_TITLES, (title_vi, title_en))
        if not value
    ]


@transactional
def create_contest(db: Session, actor: Actor, spec: ContestSpec) -> Contest:
    """The one way a contest is made: from the organisers' form (rounds.contest_spec), the demo,
    the test factories and the benchmarks alike. Every problem is reported at once."""
    problems = [*slug_problems(db, spec.slug), *title_problems(spec.title_vi, spec.title_en)]
    problems += [
        ContestError(
            f"Đợt {r.number}: thời điểm đóng phải sau thời điểm mở.",
            f"Round {r.number}: it must close after it opens.",
            field="closes_at",
        )
        for r in spec.rounds
        if r.closes_at <= r.opens_at
    ]
    if problems:
        raise InvalidInput(problems)
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
        registration_open=spec.registration_open,
        cheating_voids_all=spec.cheating_voids_all,
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
    participants = contest_rows.participant_count(db, contest.id)
    units = unit_rows.unit_count(db, contest.id)
    rounds = contest_rows.rounds_of(db, contest.id)
    return ContestOverview(contest, rounds, participants, units)
