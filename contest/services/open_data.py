"""Open data: what the public results pages show (published winners masked, participation
counts), as records for those pages, the public API and its CSV/JSON downloads.

Nothing here carries more about a person than the public results page shows: a winner's name
with the given name reduced to its initial, the last four digits of the CCCD, the unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from contest.config import get_settings
from contest.domain.errors import NotFound
from contest.domain.masking import mask_citizen_id, mask_name
from contest.models import Contest, Round
from contest.repositories import contests as contest_rows
from contest.repositories import participation
from contest.repositories import units as unit_rows
from contest.services import contests, prize_lists, prizes, results_cache

T = TypeVar("T")


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    attribution: str  # who to credit: the organiser and the contest

    def line(self) -> str:
        """One line for the head of a download, in both languages."""
        return (
            f"# Giấy phép / Licence: {self.name} ({self.url}). Nguồn / Source: {self.attribution}"
        )


def licence(contest: Contest | None = None) -> Licence:
    s = get_settings()
    who = s.open_data_attribution or (contest.organiser_vi if contest else "")
    source = " — ".join(x for x in (who, contest.title_vi if contest else "") if x)
    return Licence(s.open_data_licence, s.open_data_licence_url, source or s.base_url)


def public_contests(db: Session) -> list[Contest]:
    return contests.list_contests(db, public=True)


def public_contest(db: Session, slug: str) -> Contest:
    """A published contest; a draft is not found, as on the public pages."""
    contest = contests.find_by_slug(db, slug)
    if contest is None or not contests.is_visible(contest, staff=False):
        raise NotFound(f"Không có cuộc thi '{slug}'.", f"There is no contest '{slug}'.")
    return contest


def public_round(db: Session, contest: Contest, number: int) -> Round:
    round_ = contest_rows.round_by_number(db, contest.id, number)
    if round_ is None:
        raise NotFound(
            f"Cuộc thi không có đợt thi số {number}.", f"The contest has no round {number}."
        )
    return round_


@dataclass(frozen=True)
class PublicWinner:
    position: int
    recipient_kind: str  # individual | collective
    name: str  # masked for a person; a collective's name in full
    citizen_id: str  # "****1234" for a person, "" for a collective
    unit: str
    tier_code: str
    tier_label_vi: str
    tier_label_en: str


@dataclass(frozen=True)
class PublishedList:
    kind: str  # individual | collective
    round_number: int | None
    round_title_vi: str
    round_title_en: str
    version: int
    approved_at: datetime | None
    published_at: datetime | None
    winners: tuple[PublicWinner, ...]


def published_lists(db: Session, contest: Contest) -> list[PublishedList]:
    """The current published version of each prize list: individual lists by round, then the
    collective ones. An approved list not yet published is not here."""
    latest = prize_lists.final_lists(db, contest.id, published_only=True)
    units = unit_rows.units_by_id(db, contest.id)
    rounds = {r.id: r for r in contest.rounds}
    people = prizes.participant_names(
        db, {e.participant_id for pl in latest.values() for e in pl.entries if e.participant_id}
    )
    out = []
    for (round_id, kind), pl in sorted(
        latest.items(), key=lambda kv: (kv[0][1] == "collective", kv[0][0] or 0)
    ):
        winners = []
        for i, e in enumerate(pl.entries, start=1):
            if e.participant_id:
                p = people[e.participant_id]
                unit = units.get(p.unit_id) if p.unit_id else None
                name, cid, unit_name = (
                    mask_name(p.full_name),
                    mask_citizen_id(p.citizen_id),
                    unit.name if unit else "",
                )
                recipient = "individual"
            else:
                unit = units.get(e.unit_id) if e.unit_id else None
                name, cid, unit_name = (unit.name if unit else "", "", "")
                recipient = "collective"
            winners.append(
                PublicWinner(
                    i,
                    recipient,
                    name,
                    cid,
                    unit_name,
                    e.tier_code,
                    e.tier_label_vi,
                    e.tier_label_en,
                )
            )
        r = rounds.get(round_id) if round_id else None
        out.append(
            PublishedList(
                kind=kind,
                round_number=r.number if r else None,
                round_title_vi=r.title_vi if r else "",
                round_title_en=(r.title_en or "") if r else "",
                version=pl.version,
                approved_at=pl.approved_at,
                published_at=pl.published_at,
                winners=tuple(winners),
            )
        )
    return out


@dataclass(frozen=True)
class RoundFigures:
    number: int
    title_vi: str
    title_en: str
    opens_at: datetime
    closes_at: datetime
    closed: bool  # the committee closed it: entrants and eligible entrants are fixed
    participants: int  # people who started at least one attempt
    attempts: int
    finished_attempts: int
    entrants: int | None
    eligible_entrants: int | None


def round_figures(db: Session, contest: Contest) -> list[RoundFigures]:
    counts = participation.attempts_by_round(db, contest.id)
    out = []
    for r in contests.rounds_of(db, contest):
        people, started, finished = counts.get(r.id, (0, 0, 0))
        closed = contests.round_result(db, r)
        out.append(
            RoundFigures(
                r.number,
                r.title_vi,
                r.title_en or "",
                r.opens_at,
                r.closes_at,
                closed is not None,
                people,
                started,
                finished,
                closed.entrants if closed else None,
                closed.eligible_entrants if closed else None,
            )
        )
    return out


@dataclass(frozen=True)
class UnitFigures:
    code: str
    name: str
    parent_code: str
    headcount: int | None
    registered: int
    participants: int  # people who started at least one attempt (in the round asked, or any)
    attempts: int
    participation_rate: float | None  # participants / headcount, in percent, 2 decimals


def unit_figures(db: Session, contest: Contest, round_: Round | None = None) -> list[UnitFigures]:
    """Every unit of the contest's tree in its own order, counting its own members only (not
    rolled up from the units below it)."""
    registered = participation.registered_by_unit(db, contest.id)
    attempts = participation.attempts_by_unit(db, contest.id, round_.id if round_ else None)
    units = unit_rows.units_of(db, contest.id)
    codes = {u.id: u.code for u in units}
    out = []
    for u in units:
        people, started = attempts.get(u.id, (0, 0))
        out.append(
            UnitFigures(
                u.code,
                u.name,
                codes.get(u.parent_id, "") if u.parent_id else "",
                u.headcount,
                registered.get(u.id, 0),
                people,
                started,
                round(people * 100 / u.headcount, 2) if u.headcount else None,
            )
        )
    return out


def cached(db: Session, contest: Contest, name: str, build: Callable[[], T]) -> T:
    """Built at most once a minute per process, and afresh when a prize list is published
    (the public results page's cache); created_at tells apart contests that reuse an id."""
    key = (name, str(db.get_bind().engine.url), contest.id, contest.created_at)
    return results_cache.get_or_build(key, contest.id, build)
