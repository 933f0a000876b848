"""Eligibility screening: the flags of a round and the committee's decisions over them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.eligibility import Decision, Flag, Verdict
from contest.domain.errors import ContestError, NotFound
from contest.models import (
    Attempt,
    EligibilityDecision,
    Participant,
    PrizeList,
    Round,
    StaffUser,
    Unit,
)
from contest.services import audit
from contest.services.context import Actor
from contest.services.prize_lists import latest_final
from contest.services.results import RoundData, load_round

SUBJECT_KINDS = ("participant", "attempt")


@dataclass(frozen=True)
class FlagRow:
    attempt: Attempt
    participant: Participant
    verdict: Verdict

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code.value for f in self.verdict.flags)


def flag_rows(
    db: Session,
    round_: Round,
    *,
    code: str | None = None,
    state: str | None = None,
    data: RoundData | None = None,
) -> list[FlagRow]:
    """Attempts with at least one flag (or a decision), filtered by flag code and by state:
    ``open`` (no decision yet), ``decided``, or None for all."""
    data = data or load_round(db, round_)
    rows = []
    for a in data.attempts:
        v = data.verdicts[a.id]
        if not v.flags and not v.decisions:
            continue
        if code and code not in {f.code.value for f in v.flags}:
            continue
        if state == "open" and not v.needs_decision:
            continue
        if state == "decided" and not v.decisions:
            continue
        rows.append(FlagRow(a, data.participants[a.participant_id], v))
    return rows


@dataclass
class PersonRow:
    """One participant on the screening page: the flags on the person, each of their attempts
    in the round with its own flags and verdict, and the decisions taken on the person."""

    participant: Participant
    unit: Unit | None
    attempts: list[tuple[Attempt, Verdict]] = field(default_factory=list)

    @property
    def person_flags(self) -> list[Flag]:
        seen: dict[tuple[str, str], Flag] = {}
        for _, v in self.attempts:
            for f in v.flags:
                if f.subject_id.startswith("p:"):
                    seen.setdefault((f.code.value, f.message_en), f)
        return list(seen.values())

    @property
    def person_decisions(self) -> list[Decision]:
        key = f"p:{self.participant.id}"
        seen: dict[tuple, Decision] = {}
        for _, v in self.attempts:
            for d in v.decisions:
                if d.subject_id == key:
                    seen.setdefault((d.decided_at, d.reason_vi, d.eligible, d.decided_by), d)
        return sorted(seen.values(), key=lambda d: d.decided_at)

    @staticmethod
    def attempt_flags(verdict: Verdict) -> list[Flag]:
        return [f for f in verdict.flags if not f.subject_id.startswith("p:")]

    @staticmethod
    def attempt_decisions(verdict: Verdict) -> list[Decision]:
        return [d for d in verdict.decisions if d.subject_id.startswith("a:")]

    @property
    def eligible_attempts(self) -> int:
        return sum(1 for _, v in self.attempts if v.eligible)

    @property
    def needs_decision(self) -> bool:
        return any(v.needs_decision for _, v in self.attempts)

    @property
    def flagged(self) -> bool:
        return any(v.flags or v.decisions for _, v in self.attempts)


def _fold(text: str) -> str:
    """Lower case without diacritics, so "nguyen van an" finds "Nguyễn Văn An"."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).strip()


def _subtree(units: Iterable[Unit], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)
    found, todo = set(), [root]
    while todo:
        uid = todo.pop()
        if uid not in found:
            found.add(uid)
            todo += children.get(uid, [])
    return found


PAGE_SIZE = 200


@dataclass
class PeoplePage:
    rows: list[PersonRow]
    total: int
    shown_limit: int = PAGE_SIZE

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def people(
    db: Session,
    round_: Round,
    *,
    query: str = "",
    unit_id: int | None = None,
    code: str | None = None,
    state: str | None = None,
    data: RoundData | None = None,
    limit: int = PAGE_SIZE,
) -> PeoplePage:
    """The participants of a round for screening, one row each.

    ``state``: None shows people with a flag or a decision, ``open`` those awaiting one,
    ``decided`` those with a decision, ``all`` everyone who took the round (to rule out a
    person no rule flagged). ``query`` matches a name (with or without diacritics), the last
    digits of a CCCD or a unit's name; ``unit_id`` keeps a unit and the units below it."""
    data = data or load_round(db, round_)
    by_person: dict[int, PersonRow] = {}
    for a in data.attempts:
        p = data.participants[a.participant_id]
        row = by_person.get(p.id)
        if row is None:
            row = by_person[p.id] = PersonRow(p, data.units.get(p.unit_id) if p.unit_id else None)
        row.attempts.append((a, data.verdicts[a.id]))
    wanted_units = _subtree(data.units.values(), unit_id) if unit_id else None
    q = query.strip()
    digits = re.sub(r"\D", "", q) if q and re.fullmatch(r"[\d\s*.]+", q) else ""
    folded = _fold(q) if q and not digits else ""
    rows = []
    for row in by_person.values():
        p = row.participant
        if wanted_units is not None and p.unit_id not in wanted_units:
            continue
        if digits and not (p.citizen_id or "").endswith(digits):
            continue
        if (
            folded
            and folded not in _fold(p.full_name or "")
            and (row.unit is None or folded not in _fold(row.unit.name))
        ):
            continue
        verdicts = [v for _, v in row.attempts]
        if code and not any(f.code.value == code for v in verdicts for f in v.flags):
            continue
        if state == "open" and not row.needs_decision:
            continue
        if state == "decided" and not any(v.decisions for v in verdicts):
            continue
        if state in (None, "") and not row.flagged and not q and unit_id is None:
            continue
        rows.append(row)
    rows.sort(
        key=lambda r: (not r.needs_decision, _fold(r.participant.full_name or ""), r.participant.id)
    )
    return PeoplePage(rows[:limit], len(rows), limit)


def decider_names(
    db: Session, decisions: Iterable[Decision | EligibilityDecision]
) -> dict[str, str]:
    """Who decided, as a person's name: decisions store the audit name ("staff:3:giamkhao")."""
    ids = {}
    for d in decisions:
        parts = d.decided_by.split(":")
        if len(parts) >= 2 and parts[0] == "staff" and parts[1].isdigit():
            ids[d.decided_by] = int(parts[1])
    if not ids:
        return {}
    users = {
        u.id: u
        for u in db.execute(select(StaffUser).where(StaffUser.id.in_(set(ids.values())))).scalars()
    }
    return {
        key: f"{users[uid].full_name} ({users[uid].username})"
        for key, uid in ids.items()
        if uid in users
    }


def approved_list_of(db: Session, round_: Round) -> PrizeList | None:
    """The round's approved (or published) prize list: a decision taken now changes nothing on
    it; it takes a correction version of the list."""
    return latest_final(db, round_.contest_id, round_.id, "individual")


@transactional
def decide_many(
    db: Session,
    actor: Actor,
    round_: Round,
    participant_ids: Sequence[int],
    attempt_ids: Sequence[int],
    eligible: bool,
    reason: str,
) -> list[EligibilityDecision]:
    """Decisions on people (all their attempts in the contest) and on single attempts, in one
    transaction: either every decision is recorded or none."""
    if not participant_ids and not attempt_ids:
        raise ContestError(
            "Chưa chọn thí sinh hay bài thi nào.",
            "No participant or attempt selected.",
            field="subject_ids",
        )
    rows: list[EligibilityDecision] = []
    if participant_ids:
        rows += decide(db, actor, round_, "participant", participant_ids, eligible, reason)
    if attempt_ids:
        rows += decide(db, actor, round_, "attempt", attempt_ids, eligible, reason)
    return rows


@transactional
def decide(
    db: Session,
    actor: Actor,
    round_: Round,
    subject_kind: str,
    subject_ids: Sequence[int],
    eligible: bool,
    reason: str,
) -> list[EligibilityDecision]:
    """Record one decision per subject, all in one transaction; a later decision reverses an
    earlier one and nothing is ever deleted. A decision on a participant covers all of their
    attempts, in every round of the contest."""
    reason = (reason or "").strip()
    if subject_kind not in SUBJECT_KINDS:
        raise ContestError(
            "Đối tượng quyết định không hợp lệ.", "Unknown decision subject.", field="subject_kind"
        )
    if not reason:
        raise ContestError(
            "Quyết định của Ban Tổ chức phải nêu lý do.",
            "A committee decision must give a reason.",
            field="reason",
        )
    ids = sorted(set(int(i) for i in subject_ids))
    if not ids:
        raise ContestError("Chưa chọn bài thi nào.", "No entry selected.", field="subject_ids")
    if subject_kind == "participant":
        found = set(
            db.execute(
                select(Participant.id).where(
                    Participant.id.in_(ids), Participant.contest_id == round_.contest_id
                )
            ).scalars()
        )
    else:
        found = set(
            db.execute(
                select(Attempt.id).where(Attempt.id.in_(ids), Attempt.round_id == round_.id)
            ).scalars()
        )
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"Không tìm thấy: {', '.join(map(str, missing))}.",
            f"Not found: {', '.join(map(str, missing))}.",
        )
    now = clock.now()
    rows = [
        EligibilityDecision(
            contest_id=round_.contest_id,
            round_id=round_.id,
            subject_kind=subject_kind,
            subject_id=i,
            eligible=eligible,
            reason=reason,
            decided_by=actor.audit_name[:120],
            decided_at=now,
        )
        for i in ids
    ]
    db.add_all(rows)
    db.flush()
    for row in rows:
        audit.record(
            db,
            actor,
            "screening.decide",
            subject_kind,
            row.subject_id,
            {"round_id": round_.id, "eligible": eligible, "reason": reason, "decision_id": row.id},
        )
    return rows


def decisions(
    db: Session, contest_id: int, round_id: int | None = None
) -> list[EligibilityDecision]:
    q = select(EligibilityDecision).where(EligibilityDecision.contest_id == contest_id)
    if round_id is not None:
        q = q.where(EligibilityDecision.round_id == round_id)
    return list(
        db.execute(q.order_by(EligibilityDecision.decided_at, EligibilityDecision.id)).scalars()
    )


@transactional
def decide_works(
    db: Session, actor: Actor, contest_id: int, work_ids: Sequence[int], eligible: bool, reason: str
) -> list[EligibilityDecision]:
    """The same append-only decisions for the entries of a works contest (subject kind "work"),
    including the committee's judgement that a work is outside the contest's theme."""
    from contest.models import Work

    reason = (reason or "").strip()
    if not reason:
        raise ContestError(
            "Quyết định của Ban Tổ chức phải nêu lý do.",
            "A committee decision must give a reason.",
            field="reason",
        )
    ids = sorted(set(int(i) for i in work_ids))
    if not ids:
        raise ContestError("Chưa chọn tác phẩm nào.", "No work selected.", field="subject_ids")
    found = {
        w.id: w
        for w in db.execute(
            select(Work).where(Work.id.in_(ids), Work.contest_id == contest_id)
        ).scalars()
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"Không tìm thấy: {', '.join(map(str, missing))}.",
            f"Not found: {', '.join(map(str, missing))}.",
        )
    now = clock.now()
    rows = [
        EligibilityDecision(
            contest_id=contest_id,
            round_id=found[i].round_id,
            subject_kind="work",
            subject_id=i,
            eligible=eligible,
            reason=reason,
            decided_by=actor.audit_name[:120],
            decided_at=now,
        )
        for i in ids
    ]
    db.add_all(rows)
    db.flush()
    for row in rows:
        audit.record(
            db,
            actor,
            "screening.decide",
            "work",
            row.subject_id,
            {"eligible": eligible, "reason": reason, "decision_id": row.id},
        )
    return rows
