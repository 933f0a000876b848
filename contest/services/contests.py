"""Contests and rounds: lookup, creation from a specification, listing for pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.models import (
    CertificateTemplateRow,
    Contest,
    ExcludedPerson,
    PrizePlanRecord,
    Round,
    RoundBank,
    RoundResult,
    Unit,
    WorksSettings,
)
from contest.repositories import contests as contest_rows
from contest.repositories import units as unit_rows
from contest.services import audit
from contest.services.context import Actor

DRAFT, PUBLISHED = "draft", "published"
_SLUG = re.compile(r"[a-z0-9][a-z0-9\-]{2,79}")


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
    status: str = DRAFT  # a new contest is a draft until an organiser publishes it


def get_by_slug(db: Session, slug: str) -> Contest:
    contest = contest_rows.by_slug(db, slug)
    if contest is None:
        raise NotFound(f"Không có cuộc thi '{slug}'.", f"There is no contest '{slug}'.")
    return contest


def get_with_rounds(db: Session, slug: str) -> Contest:
    """The contest and its rounds (``contest.rounds``, by number) in one statement."""
    contest = contest_rows.with_rounds(db, slug)
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


def list_contests(db: Session, *, public: bool = False) -> list[Contest]:
    """Every contest, newest first; ``public``: only those published (what anyone may see)."""
    found = contest_rows.all_contests(db)
    return [c for c in found if c.status == PUBLISHED] if public else found


def is_visible(contest: Contest, *, staff: bool, participant_contest_id: int | None = None) -> bool:
    """A published contest is public; a draft is seen by staff (a preview) and by the people
    registered in it during a rehearsal."""
    return contest.status != DRAFT or staff or participant_contest_id == contest.id


@transactional
def publish(db: Session, actor: Actor, contest: Contest) -> Contest:
    """Make a draft contest public: its pages, registration and rounds open to everyone."""
    if contest.status != DRAFT:
        raise ContestError(
            "Cuộc thi đã được công bố.", "The contest is already published.", field="status"
        )
    contest.status = PUBLISHED
    contest.published_at = clock.now()
    audit.record(db, actor, "contest.publish", "contest", contest.id, {"slug": contest.slug})
    return contest


def _values(row: Any, *skip: str) -> dict:
    return {
        c.key: getattr(row, c.key)
        for c in row.__table__.columns
        if c.key not in skip and not c.primary_key
    }


@dataclass
class CopyReport:
    source: str
    slug: str
    shift_days: int
    rounds: int = 0
    units: int = 0
    bank_links: int = 0
    plans: int = 0
    excluded: int = 0
    extras: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@transactional
def copy_contest(
    db: Session,
    actor: Actor,
    source: Contest,
    slug: str,
    *,
    shift_days: int = 0,
    title_vi: str | None = None,
    title_en: str | None = None,
) -> tuple[Contest, CopyReport]:
    """A new draft contest with the source's settings, unit tree, rounds moved by
    ``shift_days``, their question banks, prize and collective plans, screening thresholds,
    excluded list, works settings and certificate template; no participant, attempt, decision
    or prize list is copied. For a rehearsal, or next year's edition of the same contest."""
    slug = (slug or "").strip().lower()
    if not _SLUG.fullmatch(slug):
        raise ContestError(
            "Mã cuộc thi gồm 3–80 ký tự: chữ thường không dấu, số, gạch ngang.",
            "A contest slug is 3–80 characters: lower-case letters, digits, hyphens.",
            field="slug",
        )
    if find_by_slug(db, slug):
        raise ContestError(
            f"Đã có cuộc thi mã '{slug}'.", f"A contest with slug '{slug}' exists.", field="slug"
        )
    if abs(shift_days) > 3660:
        raise ContestError(
            "Số ngày dời lịch phải trong khoảng ±3660.",
            "The shift must be within ±3660 days.",
            field="shift_days",
        )
    shift = timedelta(days=shift_days)
    report = CopyReport(source.slug, slug, shift_days)
    values = _values(source, "slug", "status", "published_at", "created_at")
    values.update(slug=slug, status=DRAFT, published_at=None, created_at=clock.now())
    if title_vi:
        values["title_vi"] = title_vi.strip()
    if title_en:
        values["title_en"] = title_en.strip()
    if source.age_cutoff is not None and shift_days:
        values["age_cutoff"] = source.age_cutoff + shift
    target = Contest(**values)
    db.add(target)
    db.flush()

    units = list(
        db.execute(
            select(Unit)
            .where(Unit.contest_id == source.id)
            .order_by(Unit.parent_id.is_not(None), Unit.id)
        ).scalars()
    )
    unit_ids: dict[int, int] = {}
    pending = list(units)
    while pending:  # parents before children, whatever the ids
        rest = []
        for u in pending:
            if u.parent_id is not None and u.parent_id not in unit_ids:
                rest.append(u)
                continue
            copy = Unit(
                **_values(u, "contest_id", "parent_id"),
                contest_id=target.id,
                parent_id=unit_ids.get(u.parent_id) if u.parent_id else None,
            )
            db.add(copy)
            db.flush()
            unit_ids[u.id] = copy.id
        if len(rest) == len(pending):
            break  # a cycle cannot be copied; the import never makes one
        pending = rest
    report.units = len(unit_ids)

    round_ids: dict[int, int] = {}
    for r in db.execute(select(Round).where(Round.contest_id == source.id)).scalars():
        round_copy = Round(
            **_values(r, "contest_id", "opens_at", "closes_at"),
            contest_id=target.id,
            opens_at=r.opens_at + shift,
            closes_at=r.closes_at + shift,
        )
        db.add(round_copy)
        db.flush()
        round_ids[r.id] = round_copy.id
    report.rounds = len(round_ids)
    if round_ids:
        for link in db.execute(
            select(RoundBank).where(RoundBank.round_id.in_(list(round_ids)))
        ).scalars():
            db.add(RoundBank(round_id=round_ids[link.round_id], bank_id=link.bank_id))
            report.bank_links += 1

    for plan in db.execute(
        select(PrizePlanRecord).where(PrizePlanRecord.contest_id == source.id)
    ).scalars():
        db.add(
            PrizePlanRecord(
                **_values(plan, "contest_id", "round_id", "updated_at", "updated_by"),
                contest_id=target.id,
                round_id=round_ids.get(plan.round_id) if plan.round_id else None,
                updated_at=clock.now(),
                updated_by=actor.audit_name[:120],
            )
        )
        report.plans += 1
    for person in db.execute(
        select(ExcludedPerson).where(ExcludedPerson.contest_id == source.id)
    ).scalars():
        db.add(ExcludedPerson(**_values(person, "contest_id"), contest_id=target.id))
        report.excluded += 1
    works = db.get(WorksSettings, source.id)
    if works is not None:
        db.add(
            WorksSettings(
                **_values(works, "contest_id", "round_id", "opens_at", "deadline"),
                contest_id=target.id,
                round_id=round_ids.get(works.round_id) if works.round_id else None,
                opens_at=works.opens_at + shift if works.opens_at else None,
                deadline=works.deadline + shift,
            )
        )
        report.extras.append("works_settings")
    template = db.execute(
        select(CertificateTemplateRow).where(CertificateTemplateRow.contest_id == source.id)
    ).scalar_one_or_none()
    if template is not None:
        db.add(CertificateTemplateRow(**_values(template, "contest_id"), contest_id=target.id))
        report.extras.append("certificate_template")
    db.flush()
    audit.record(db, actor, "contest.copy", "contest", target.id, report.as_dict())
    return target, report


def get_round(db: Session, contest: Contest | str, number: int) -> Round:
    """A round addressed the way people say it: the contest (or its slug) and the round number.
    Given a slug, the round and its contest (``rnd.contest``) come in one statement."""
    if isinstance(contest, str):
        found = contest_rows.round_by_slug(db, contest, number)
        if found is not None:
            return found
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
        status=spec.status,
        published_at=clock.now() if spec.status == PUBLISHED else None,
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
