"""Eligibility screening: the flags of a round and the committee's decisions over them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.eligibility import Verdict
from contest.domain.errors import ContestError, NotFound
from contest.models import Attempt, EligibilityDecision, Participant, Round
from contest.services import audit
from contest.services.context import Actor
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
