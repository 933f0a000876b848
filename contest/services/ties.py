"""The committee's decisions on ties at a prize boundary: stored, audited, and followed by every
allocation of the contest's lists of that kind (a refilled draft, a correction version)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError
from contest.domain.prizes import TIE_CRITERION_WORDS, TieCriterion, TieDecision
from contest.models import PrizeList, PrizeListEntry, StaffUser, TieDecisionRecord
from contest.services import audit
from contest.services.context import Actor

CRITERIA = tuple(TieCriterion)


def criterion_choices(kind: str) -> list[tuple[str, str, str]]:
    """(code, Vietnamese, English) of the criteria a committee may cite for this kind of list."""
    skip = {
        "individual": {TieCriterion.MORE_PARTICIPANTS},
        "collective": {TieCriterion.EARLIER_REGISTRATION, TieCriterion.FEWER_ATTEMPTS},
    }.get(kind, set())
    return [(c.value, *TIE_CRITERION_WORDS[c]) for c in CRITERIA if c not in skip]


def entry_id_of(line: PrizeListEntry) -> str:
    """The allocation's id for the entry behind a line: the counting attempt, or the unit."""
    ident = line.attempt_id or line.unit_id or line.work_id
    return str(ident)


def _records(db: Session, contest_id: int, kind: str) -> list[TieDecisionRecord]:
    return list(
        db.execute(
            select(TieDecisionRecord)
            .where(TieDecisionRecord.contest_id == contest_id, TieDecisionRecord.kind == kind)
            .order_by(TieDecisionRecord.decided_at, TieDecisionRecord.id)
        ).scalars()
    )


def _who(db: Session, record: TieDecisionRecord) -> str:
    staff = db.get(StaffUser, record.decided_by_id) if record.decided_by_id else None
    return staff.full_name if staff else record.decided_by


def _as_domain(db: Session, record: TieDecisionRecord) -> TieDecision:
    return TieDecision(
        tuple(str(i) for i in record.entry_ids),
        decided_by=_who(db, record),
        decided_at=record.decided_at,
        reason_vi=record.reason_vi,
        reason_en=record.reason_en,
        criterion=TieCriterion(record.criterion),
        ref=str(record.id),
    )


def decisions(db: Session, contest_id: int, kind: str) -> list[TieDecision]:
    """Every decision on ties of this kind of list in the contest, oldest first."""
    return [_as_domain(db, r) for r in _records(db, contest_id, kind)]


def record(
    db: Session,
    actor: Actor,
    pl: PrizeList,
    entry_ids: Sequence[str],
    criterion: str,
    reason_vi: str,
    reason_en: str,
) -> TieDecisionRecord:
    """Store one decision (checked by the domain) and audit it; the caller re-allocates."""
    reason_vi, reason_en = (reason_vi or "").strip(), (reason_en or "").strip()
    if not reason_vi:
        raise ContestError(
            "Cần nêu lý do bằng tiếng Việt.", "A reason in Vietnamese is needed.", field="reason_vi"
        )
    now = clock.now()
    checked = TieDecision(
        tuple(entry_ids),
        decided_by=actor.audit_name,
        decided_at=now,
        reason_vi=reason_vi,
        reason_en=reason_en,
        criterion=criterion,  # type: ignore[arg-type]  # the domain checks the code
    )
    row = TieDecisionRecord(
        contest_id=pl.contest_id,
        kind=pl.kind,
        round_id=pl.round_id,
        prize_list_id=pl.id,
        entry_ids=list(checked.entry_ids),
        criterion=checked.criterion.value,
        reason_vi=reason_vi,
        reason_en=reason_en,
        decided_by=actor.audit_name[:120],
        decided_by_id=actor.id if actor.kind == "staff" else None,
        decided_at=now,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        "prizes.decide_tie",
        "prize_list",
        pl.id,
        {
            "decision_id": row.id,
            "version": pl.version,
            "entries": row.entry_ids,
            "criterion": row.criterion,
            "reason_vi": reason_vi,
            "reason_en": reason_en,
        },
    )
    return row


def asked_again(
    known: Iterable[TieDecision], tied: set[str], name_of: Callable[[str], str]
) -> tuple[str, str] | None:
    """Why a tie the committee had settled waits again: the latest decision about some of these
    entries named another set (someone joined or left the tie)."""
    earlier = [d for d in known if tied & set(d.entry_ids) and tied != set(d.entry_ids)]
    if not earlier:
        return None
    last = max(earlier, key=lambda d: d.decided_at)
    before = set(last.entry_ids)
    joined = ", ".join(sorted(name_of(i) for i in tied - before)) or "—"
    left = ", ".join(sorted(name_of(i) for i in before - tied)) or "—"
    when = last.decided_at.strftime("%d/%m/%Y")
    return (
        f"Ban Tổ chức đã quyết định ngày {when} về một nhóm đồng hạng khác; nay nhóm đồng hạng "
        f"đã thay đổi (thêm: {joined}; không còn: {left}) nên cần quyết định lại",
        f"The committee decided on {when} about a different tied set; the tie has changed "
        f"(joined: {joined}; left: {left}), so it needs a new decision",
    )


def behind_lines(db: Session, pl: PrizeList) -> dict[int, TieDecision]:
    """The decisions that placed lines of this list, by decision id."""
    ids = {e.tie_decision_id for e in pl.entries if e.tie_decision_id}
    if not ids:
        return {}
    rows = db.execute(select(TieDecisionRecord).where(TieDecisionRecord.id.in_(ids))).scalars()
    return {r.id: _as_domain(db, r) for r in rows}


def annex_note(db: Session, pl: PrizeList, name_of: Callable[[PrizeListEntry], str]) -> str:
    """The annex's words for the ties the committee settled on this list (Vietnamese), each
    with the lines it placed, in the list's order."""
    found = behind_lines(db, pl)
    said = []
    for ident, d in sorted(found.items()):
        names = ", ".join(name_of(e) for e in pl.entries if e.tie_decision_id == ident)
        said.append(f"{names}: {d.words[0]}")
    return "; ".join(said)
