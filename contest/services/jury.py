"""Works contests, the jury's side: judges' declarations, assignments, score sheets, spread and allocation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.eligibility import Verdict
from contest.domain.errors import ContestError, NotFound, PermissionDenied
from contest.domain.permissions import COMMITTEE, JUDGES, ORGANISERS
from contest.domain.prizes import Outcome, allocate_prizes
from contest.domain.ranking import Entry
from contest.domain.works import conflicting_units, entry_score, spread
from contest.models import (
    Contest,
    JudgeAssignment,
    JudgeDeclaration,
    PrizeList,
    StaffUser,
    Unit,
    Work,
    WorkScore,
)
from contest.services import audit, prize_lists, prize_plans, works
from contest.services.context import Actor


def _staff(db: Session, actor: Actor) -> StaffUser:
    staff = db.get(StaffUser, actor.id) if actor.kind == "staff" and actor.id else None
    if staff is None or not staff.is_active:
        raise PermissionDenied(
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account does not have the role needed for this.",
        )
    return staff


def _require(db: Session, actor: Actor, *roles: str) -> StaffUser:
    staff = _staff(db, actor)
    if actor.kind == "staff" and not (staff.roles & set(roles)):
        raise PermissionDenied(
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account does not have the role needed for this.",
        )
    return staff


def judges(db: Session) -> list[StaffUser]:
    return [
        u
        for u in db.execute(select(StaffUser).order_by(StaffUser.username)).scalars()
        if "judge" in u.roles and u.is_active
    ]


# --- conflicts of interest ---------------------------------------------------------------------


def declaration_of(db: Session, contest: Contest, judge_id: int) -> JudgeDeclaration | None:
    return db.execute(
        select(JudgeDeclaration).where(
            JudgeDeclaration.contest_id == contest.id, JudgeDeclaration.judge_id == judge_id
        )
    ).scalar_one_or_none()


@transactional
def declare_units(
    db: Session,
    actor: Actor,
    contest: Contest,
    judge_id: int,
    unit_ids: Iterable[int],
    statement: str = "",
) -> JudgeDeclaration:
    """A judge's declaration of the units they belong to; works by authors of those units are
    then kept from them. The judge declares, or the organiser records it for them."""
    staff = _staff(db, actor)
    if staff.id != judge_id and not (staff.roles & set(ORGANISERS)):
        raise PermissionDenied(
            "Chỉ giám khảo tự khai hoặc Ban Tổ chức ghi nhận.",
            "Only the judge or the organiser may record this.",
        )
    ids = sorted({int(u) for u in unit_ids})
    known = (
        set(
            db.execute(
                select(Unit.id).where(Unit.contest_id == contest.id, Unit.id.in_(ids))
            ).scalars()
        )
        if ids
        else set()
    )
    if set(ids) - known:
        raise ContestError(
            "Đơn vị không thuộc cuộc thi.",
            "A unit is not one of the contest's units.",
            field="unit_ids",
        )
    row = declaration_of(db, contest, judge_id)
    if row is None:
        row = JudgeDeclaration(
            contest_id=contest.id,
            judge_id=judge_id,
            unit_ids=ids,
            statement=statement.strip(),
            declared_at=clock.now(),
        )
        db.add(row)
    else:
        row.unit_ids, row.statement, row.declared_at = ids, statement.strip(), clock.now()
    db.flush()
    audit.record(
        db,
        actor,
        "jury.declare",
        "staff_user",
        judge_id,
        {"contest_id": contest.id, "unit_ids": ids},
    )
    return row


_UNSET = object()


def conflict_reason(
    db: Session,
    contest: Contest,
    judge_id: int,
    work: Work,
    people: Mapping | None = None,
    decl: object = _UNSET,
) -> str | None:
    """Why this judge may not score this work, or None."""
    if decl is _UNSET:
        decl = declaration_of(db, contest, judge_id)
    if decl is None:
        return None
    people = people if people is not None else works.people_of(db, [work])
    units = [people[a].unit_id for a in works.author_ids(work) if a in people]
    if conflicting_units(decl.unit_ids, units):  # type: ignore[attr-defined]
        return "Tác giả thuộc đơn vị giám khảo đã khai"
    return None


# --- assignments -------------------------------------------------------------------------------


@dataclass
class AssignReport:
    assigned: int = 0
    skipped_conflict: list[int] = field(default_factory=list)
    skipped_ineligible: list[int] = field(default_factory=list)


@transactional
def assign(
    db: Session, actor: Actor, contest: Contest, judge_id: int, work_ids: Sequence[int]
) -> AssignReport:
    """Give works to a judge. Works whose author (or any group member) belongs to a unit the
    judge declared are refused, and so are works screened out."""
    _require(db, actor, *ORGANISERS, *COMMITTEE)
    judge = db.get(StaffUser, judge_id)
    if judge is None or "judge" not in judge.roles:
        raise ContestError(
            "Tài khoản này không phải giám khảo.", "This account is not a judge.", field="judge_id"
        )
    items = [works.get_work(db, i, contest) for i in sorted(set(work_ids))]
    verdicts = works.work_verdicts(db, contest, check_files=False)
    people = works.people_of(db, items)
    existing = set(
        db.execute(
            select(JudgeAssignment.work_id).where(
                JudgeAssignment.judge_id == judge_id,
                JudgeAssignment.work_id.in_([w.id for w in items]),
            )
        ).scalars()
    )
    report = AssignReport()
    now = clock.now()
    decl = declaration_of(db, contest, judge_id)
    for w in items:
        v = verdicts.get(w.id)
        if v is None or not v.eligible:
            report.skipped_ineligible.append(w.id)
            continue
        if conflict_reason(db, contest, judge_id, w, people, decl):
            report.skipped_conflict.append(w.id)
            continue
        if w.id in existing:
            continue
        db.add(
            JudgeAssignment(
                work_id=w.id, judge_id=judge_id, assigned_at=now, assigned_by=actor.audit_name[:120]
            )
        )
        report.assigned += 1
    db.flush()
    audit.record(
        db,
        actor,
        "jury.assign",
        "staff_user",
        judge_id,
        {
            "contest_id": contest.id,
            "assigned": report.assigned,
            "conflict": report.skipped_conflict,
            "ineligible": report.skipped_ineligible,
        },
    )
    return report


def assignment(db: Session, judge_id: int, work_id: int) -> JudgeAssignment:
    row = db.execute(
        select(JudgeAssignment).where(
            JudgeAssignment.judge_id == judge_id, JudgeAssignment.work_id == work_id
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("Tác phẩm này không được giao cho bạn.", "This work is not assigned to you.")
    return row


def declare_conflict(db: Session, actor: Actor, work: Work, note: str) -> JudgeAssignment:
    """The judge names a conflict on one work; they can no longer score it."""
    staff = _staff(db, actor)
    row = assignment(db, staff.id, work.id)
    if not note.strip():
        raise ContestError(
            "Cần nêu lý do xung đột lợi ích.", "Give the conflict of interest.", field="note"
        )
    row.conflict, row.conflict_note = True, note.strip()
    audit.record(
        db, actor, "jury.conflict", "work", work.id, {"judge_id": staff.id, "note": note.strip()}
    )
    db.commit()
    return row


def assigned_works(
    db: Session, judge_id: int, contest: Contest | None = None
) -> list[tuple[Work, JudgeAssignment]]:
    q = (
        select(Work, JudgeAssignment)
        .join(JudgeAssignment, JudgeAssignment.work_id == Work.id)
        .where(JudgeAssignment.judge_id == judge_id)
    )
    if contest is not None:
        q = q.where(Work.contest_id == contest.id)
    return [(w, a) for w, a in db.execute(q.order_by(Work.contest_id, Work.id)).all()]


def is_assigned(db: Session, judge_id: int, work_id: int) -> bool:
    return (
        db.execute(
            select(JudgeAssignment.id).where(
                JudgeAssignment.judge_id == judge_id, JudgeAssignment.work_id == work_id
            )
        ).first()
        is not None
    )


def may_open(db: Session, judge_id: int, work_id: int) -> bool:
    """A judge reads a work only while assigned to it and without a declared conflict."""
    return (
        db.execute(
            select(JudgeAssignment.id).where(
                JudgeAssignment.judge_id == judge_id,
                JudgeAssignment.work_id == work_id,
                JudgeAssignment.conflict.is_(False),
            )
        ).first()
        is not None
    )


# --- score sheets ------------------------------------------------------------------------------


def current_sheet(db: Session, work_id: int, judge_id: int) -> WorkScore | None:
    return db.execute(
        select(WorkScore)
        .where(WorkScore.work_id == work_id, WorkScore.judge_id == judge_id)
        .order_by(WorkScore.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@transactional
def save_score(
    db: Session,
    actor: Actor,
    contest: Contest,
    work: Work,
    values: Mapping[str, object],
    *,
    comment: str = "",
    submit: bool = False,
) -> WorkScore:
    """Save (or submit) the acting judge's sheet for a work. A submitted sheet is final until
    the committee asks for a re-score; the next sheet is then a new row."""
    staff = _require(db, actor, *JUDGES)
    a = assignment(db, staff.id, work.id)
    if a.conflict or conflict_reason(db, contest, staff.id, work):
        raise PermissionDenied(
            "Bạn có xung đột lợi ích với tác phẩm này nên không được chấm.",
            "You have a conflict of interest with this work and may not score it.",
        )
    rubric = works.rubric_for(db, contest)
    clean: dict[str, float] = {}
    for c in rubric.criteria:
        raw = values.get(c.code)
        if raw is None or str(raw).strip() == "":
            continue
        try:
            clean[c.code] = float(str(raw).replace(",", "."))
        except ValueError:
            raise ContestError(
                f"Điểm {c.label_vi} phải là số.",
                f"The {c.label_en} score must be a number.",
                field=c.code,
            ) from None
    total = rubric.total(clean) if submit or len(clean) == len(rubric.criteria) else None
    sheet = current_sheet(db, work.id, staff.id)
    now = clock.now()
    if sheet is not None and sheet.submitted_at is not None and sheet.reopened_at is None:
        raise ContestError(
            "Bạn đã nộp phiếu chấm; chỉ chấm lại khi Ban Tổ chức yêu cầu.",
            "Your score is submitted; it changes only if the committee asks for a re-score.",
            field="status",
        )
    if sheet is None or sheet.reopened_at is not None:
        sheet = WorkScore(work_id=work.id, judge_id=staff.id, values={}, updated_at=now)
        db.add(sheet)
    sheet.values, sheet.total, sheet.comment, sheet.updated_at = clean, total, comment.strip(), now
    if submit:
        sheet.submitted_at = now
    db.flush()
    audit.record(
        db,
        actor,
        "jury.submit_score" if submit else "jury.save_score",
        "work",
        work.id,
        {"sheet_id": sheet.id, "values": clean, "total": total},
    )
    return sheet


def submit_scores(
    db: Session, actor: Actor, contest: Contest, sheets: Mapping[int, Mapping[str, object]]
) -> int:
    """A judge's batch of finished score sheets (typed from paper forms) in one transaction,
    each checked exactly as a single submission is; nothing is kept if one sheet is refused."""
    staff = _require(db, actor, *JUDGES)
    rubric = works.rubric_for(db, contest)
    ids = sorted(sheets)
    items = {
        w.id: w
        for w in db.execute(
            select(Work).where(Work.id.in_(ids), Work.contest_id == contest.id)
        ).scalars()
    }
    rows = {
        a.work_id: a
        for a in db.execute(
            select(JudgeAssignment).where(
                JudgeAssignment.judge_id == staff.id, JudgeAssignment.work_id.in_(ids)
            )
        ).scalars()
    }
    people = works.people_of(db, list(items.values()))
    latest: dict[int, WorkScore] = {}
    for s in db.execute(
        select(WorkScore)
        .where(WorkScore.judge_id == staff.id, WorkScore.work_id.in_(ids))
        .order_by(WorkScore.id)
    ).scalars():
        latest[s.work_id] = s
    now = clock.now()
    totals = {}
    decl = declaration_of(db, contest, staff.id)
    for wid in ids:
        if wid not in items or wid not in rows:
            raise NotFound(
                f"Tác phẩm {wid} không được giao cho bạn.", f"Work {wid} is not assigned to you."
            )
        if rows[wid].conflict or conflict_reason(db, contest, staff.id, items[wid], people, decl):
            raise PermissionDenied(
                f"Bạn có xung đột lợi ích với tác phẩm {wid}.",
                f"You have a conflict of interest with work {wid}.",
            )
        prev = latest.get(wid)
        if prev is not None and prev.submitted_at is not None and prev.reopened_at is None:
            raise ContestError(
                f"Tác phẩm {wid}: phiếu chấm đã nộp.",
                f"Work {wid}: the score is already submitted.",
                field="status",
            )
        values = {k: float(v) for k, v in sheets[wid].items()}  # type: ignore[arg-type]
        totals[wid] = rubric.total(values)
        if prev is not None and prev.reopened_at is None:
            prev.values, prev.total, prev.updated_at, prev.submitted_at = (
                values,
                totals[wid],
                now,
                now,
            )
        else:
            db.add(
                WorkScore(
                    work_id=wid,
                    judge_id=staff.id,
                    values=values,
                    total=totals[wid],
                    comment="",
                    updated_at=now,
                    submitted_at=now,
                )
            )
    db.flush()
    audit.record(
        db,
        actor,
        "jury.submit_scores",
        "staff_user",
        staff.id,
        {"contest_id": contest.id, "totals": {str(k): v for k, v in totals.items()}},
    )
    db.commit()
    return len(ids)


def others_scores(db: Session, judge_id: int, work_id: int) -> list[WorkScore] | None:
    """Other judges' submitted sheets, or None while the judge's own sheet is not submitted:
    nobody anchors on a colleague's figure before giving their own."""
    own = current_sheet(db, work_id, judge_id)
    if own is None or own.submitted_at is None or own.reopened_at is not None:
        return None
    return [s for s in counting_sheets(db, [work_id]).get(work_id, []) if s.judge_id != judge_id]


def counting_sheets(db: Session, work_ids: Sequence[int]) -> dict[int, list[WorkScore]]:
    """Each judge's latest sheet per work, when submitted and not reopened."""
    latest: dict[tuple[int, int], WorkScore] = {}
    for s in db.execute(
        select(WorkScore).where(WorkScore.work_id.in_(list(work_ids))).order_by(WorkScore.id)
    ).scalars():
        latest[(s.work_id, s.judge_id)] = s
    out: dict[int, list[WorkScore]] = {}
    for (wid, _), s in latest.items():
        if s.submitted_at is not None and s.reopened_at is None:
            out.setdefault(wid, []).append(s)
    return out


@transactional
def request_rescore(
    db: Session, actor: Actor, contest: Contest, work: Work, judge_id: int, reason: str
) -> WorkScore:
    _require(db, actor, *COMMITTEE)
    if not reason.strip():
        raise ContestError("Cần nêu lý do chấm lại.", "A re-score needs a reason.", field="reason")
    sheet = current_sheet(db, work.id, judge_id)
    if sheet is None or sheet.submitted_at is None or sheet.reopened_at is not None:
        raise ContestError(
            "Giám khảo chưa nộp phiếu chấm cho tác phẩm này.",
            "The judge has not submitted a score here.",
            field="judge_id",
        )
    sheet.reopened_at, sheet.reopened_by, sheet.reopen_reason = (
        clock.now(),
        actor.audit_name[:120],
        reason.strip(),
    )
    audit.record(
        db,
        actor,
        "jury.request_rescore",
        "work",
        work.id,
        {
            "judge_id": judge_id,
            "sheet_id": sheet.id,
            "total": sheet.total,
            "reason": reason.strip(),
        },
    )
    return sheet


# --- the committee's view ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkRow:
    work: Work
    verdict: Verdict
    judges: tuple[int, ...]
    sheets: tuple[WorkScore, ...]
    score: float | None
    spread: float

    @property
    def complete(self) -> bool:
        return bool(self.judges) and len(self.sheets) >= len(self.judges)


def jury_table(
    db: Session, contest: Contest, verdicts: Mapping[int, Verdict] | None = None
) -> list[WorkRow]:
    """Every submitted work with its verdict, assigned judges, counting sheets, score and spread."""
    settings = works.settings_for(db, contest)
    items = works.submitted_works(db, contest)
    verdicts = verdicts if verdicts is not None else works.work_verdicts(db, contest, items)
    assigned: dict[int, list[int]] = {}
    for wid, jid, conflict in db.execute(
        select(JudgeAssignment.work_id, JudgeAssignment.judge_id, JudgeAssignment.conflict)
        .join(Work)
        .where(Work.contest_id == contest.id)
    ).all():
        if not conflict:
            assigned.setdefault(wid, []).append(jid)
    sheets = counting_sheets(db, [w.id for w in items])
    rows = []
    for w in items:
        mine = tuple(
            sorted(
                (s for s in sheets.get(w.id, []) if s.judge_id in assigned.get(w.id, [])),
                key=lambda s: s.judge_id,
            )
        )
        totals = [s.total for s in mine if s.total is not None]
        rows.append(
            WorkRow(
                w,
                verdicts[w.id],
                tuple(sorted(assigned.get(w.id, []))),
                mine,
                entry_score(totals, settings.trim),
                spread(totals),
            )
        )
    return rows


def owner_key(work: Work) -> str:
    return f"g:{work.group_id}" if work.group_id else f"p:{work.author_participant_id}"


@dataclass(frozen=True)
class WorksAllocation:
    prize_list: PrizeList
    by_tier: dict[str, int]
    unscored: tuple[int, ...]
    undecided: int


@transactional
def allocate(
    db: Session, actor: Actor, contest: Contest, *, correction_note: str | None = None
) -> WorksAllocation:
    """Allocate the contest's prize plan over the eligible, fully scored works into a
    versioned prize list of kind "works", approved and published like any other list."""
    _require(db, actor, *COMMITTEE)
    plan = prize_plans.plan_for(db, contest.id, None)
    rows = jury_table(db, contest)
    entries, unscored = [], []
    for r in rows:
        if not r.verdict.eligible:
            continue
        if not r.complete or r.score is None:
            unscored.append(r.work.id)
            continue
        entries.append(
            Entry(
                entry_id=str(r.work.id),
                owner_id=owner_key(r.work),
                score=r.score,
                submitted_at=r.work.submitted_at,
            )
        )
    if unscored:
        raise ContestError(
            f"Còn {len(unscored)} tác phẩm hợp lệ chưa đủ phiếu chấm.",
            f"{len(unscored)} eligible works still lack scores.",
            field="scores",
        )
    allocation = allocate_prizes(entries, plan)  # type: ignore[arg-type]
    pl = prize_lists.open_draft(db, actor, contest.id, None, "works", correction_note)
    by_id = {r.work.id: r.work for r in rows}
    position = 0
    for r in allocation.results:
        if r.outcome not in (Outcome.AWARDED, Outcome.UNDECIDED):
            continue
        position += 1
        w = by_id[int(r.entry.entry_id)]
        pl.entries.append(
            prize_lists.line(
                r, plan.tiers, position, participant_id=w.author_participant_id, work_id=w.id
            )
        )
    db.flush()
    by_tier = allocation.count_by_tier()
    audit.record(
        db,
        actor,
        "prizes.allocate",
        "prize_list",
        pl.id,
        {
            "contest_id": contest.id,
            "kind": "works",
            "version": pl.version,
            "by_tier": by_tier,
            "undecided": len(allocation.undecided),
            "correction": bool(correction_note),
        },
    )
    return WorksAllocation(pl, by_tier, tuple(unscored), len(allocation.undecided))
