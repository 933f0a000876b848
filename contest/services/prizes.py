"""Prize allocation: a round's individual prizes and the contest's collective prizes, written
into versioned prize lists (``prize_lists`` owns their states)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest.db import transactional
from contest.domain.collectives import CollectiveResult, Participation, rank_units
from contest.domain.collectives import Unit as UnitNode
from contest.domain.errors import ContestError, NotFound, PermissionDenied
from contest.domain.permissions import COMMITTEE
from contest.domain.prizes import (
    LINE_RULE_WORDS,
    Allocation,
    EntryResult,
    LineRule,
    Outcome,
    PrizePlan,
    PrizeTier,
    TieDecision,
    allocate_contest,
)
from contest.models import (
    Contest,
    Participant,
    PrizeList,
    PrizeListEntry,
    Round,
    RoundResult,
    StaffUser,
    Unit,
    Work,
)
from contest.repositories import units as unit_rows
from contest.services import audit, prize_lists, ties, works
from contest.services.context import Actor
from contest.services.prize_plans import (
    collective_plan_from_spec,
    collective_plan_spec,
    plan_for,
    tiers_for,
)
from contest.services.results import RoundData, load_round

# --- lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationReport:
    prize_list: PrizeList
    by_tier: dict[str, int]
    undecided: int
    cap: int | None
    notes: tuple[str, ...]
    # Earlier rounds' approved lists that the one-prize rule changes: a correction version
    # of each, proposed with the reason filled in (a draft when it holds an undecided tie).
    corrections: tuple[PrizeList, ...] = ()


@dataclass(frozen=True)
class _RoundInput:
    round: Round
    plan: PrizePlan
    data: RoundData


def _contest_rounds(db: Session, round_: Round, plan: PrizePlan) -> list[_RoundInput]:
    """The closed rounds that share "one prize in the whole contest", in the order held.

    A round whose own plan allows several prizes or reads the rule per round stays out."""
    out: list[_RoundInput] = []
    for r in db.execute(
        select(Round).where(Round.contest_id == round_.contest_id).order_by(Round.number)
    ).scalars():
        if r.id != round_.id and db.get(RoundResult, r.id) is None:
            continue
        p = plan if r.id == round_.id else plan_for(db, r.contest_id, r.id, required=False)
        if p is None or p.line_rule is not LineRule.CONTEST_HIGHEST:
            continue
        out.append(_RoundInput(r, p, load_round(db, r, order=p.order)))
    return out


def _tie_words(
    r: EntryResult,
    results: Sequence[EntryResult],
    known: Sequence[TieDecision],
    name_of,
) -> tuple[tuple[str, str] | None, int | None]:
    """What a line says about a committee decision: the decision that placed it, or why a tie
    it had settled is asked again; and the stored decision's id."""
    if r.decision is not None:
        return r.decision.words, int(r.decision.ref) if r.decision.ref else None
    if r.outcome is Outcome.UNDECIDED and known:
        tied = {
            x.entry.entry_id
            for x in results
            if x.outcome is Outcome.UNDECIDED and x.tie_group == r.tie_group
        }
        again = ties.asked_again(known, tied, name_of)
        if again is not None:
            return (
                (f"{r.reason_vi}; {again[0]}", f"{r.reason_en}; {again[1]}"),
                None,
            )
    return None, None


def _fill(
    pl: PrizeList,
    allocation: Allocation,
    plan: PrizePlan,
    data: RoundData,
    known: Sequence[TieDecision] = (),
) -> None:
    position = 0
    kept = [r for r in allocation.results if r.outcome in (Outcome.AWARDED, Outcome.UNDECIDED)]
    names: dict[str, str] = {}

    def name_of(entry_id: str) -> str:
        if not names:
            for pid, a in data.counting.items():
                names[str(a.id)] = data.participants[pid].full_name
        return names.get(entry_id, entry_id)

    for r in kept:
        position += 1
        a = data.counting[int(r.entry.owner_id)]
        words, decision_id = _tie_words(r, kept, known, name_of)
        pl.entries.append(
            prize_lists.line(
                r,
                plan.tiers,
                position,
                reason=words,
                rule=plan.line_rule.value,
                participant_id=a.participant_id,
                attempt_id=a.id,
                tie_decision_id=decision_id,
            )
        )


def _correction_reason(
    db: Session, final: PrizeList, moved: list[tuple[int, str, str]], rounds: dict[str, Round]
) -> str:
    """The reason of a correction the one-prize rule makes, in both languages."""
    people = participant_names(db, {pid for pid, _, _ in moved})
    vi, en = [], []
    for pid, label_here, held_at in moved:
        name = people[pid].full_name if pid in people else str(pid)
        where = rounds.get(held_at)
        where_vi = where.title_vi if where else f"đợt {held_at}"
        where_en = (where.title_en or where.title_vi) if where else f"round {held_at}"
        vi.append(f"{name} giữ giải cao hơn ở {where_vi}, trả lại {label_here} của đợt này")
        en.append(f"{name} keeps a higher prize in {where_en} and gives back {label_here} here")
    return (
        f"Đính chính phiên bản {final.version} theo quy tắc mỗi người một giải trong cả cuộc thi, "
        f"giữ giải cao nhất; giải trả lại chuyển cho người kế tiếp: {'; '.join(vi)}. / "
        f"Correction of version {final.version} under one prize per person in the whole contest, "
        f"the highest kept; a prize given back goes to the next in line: {'; '.join(en)}."
    )


def _correct_earlier(
    db: Session,
    actor: Actor,
    inputs: list[_RoundInput],
    allocations: tuple[Allocation, ...],
    current: Round,
    known: Sequence[TieDecision],
) -> list[PrizeList]:
    """A correction version of every other round's approved list that gives a prize to
    someone who now keeps a higher one elsewhere; proposed unless a tie waits in it."""
    rounds = {str(i.round.number): i.round for i in inputs}
    corrections: list[PrizeList] = []
    for item, allocation in zip(inputs, allocations, strict=True):
        if item.round.id == current.id:
            continue
        final = prize_lists.latest_final(db, current.contest_id, item.round.id, "individual")
        if final is None:
            continue
        freed = {
            r.entry.owner_id: r
            for r in allocation.unranked
            if r.outcome is Outcome.HAS_HIGHER_PRIZE
        }
        moved: list[tuple[int, str, str]] = []
        for e in final.entries:
            owner = str(e.participant_id)
            if e.participant_id and e.tier_code != prize_lists.UNDECIDED and owner in freed:
                held_at = _held_round(allocations, inputs, owner)
                moved.append((e.participant_id, e.tier_label_vi, held_at))
        if not moved:
            continue
        reason = _correction_reason(db, final, moved, rounds)
        pl = prize_lists.open_draft(
            db, actor, current.contest_id, item.round.id, "individual", reason
        )
        pl.note = reason
        _fill(pl, allocation, item.plan, item.data, known)
        db.flush()
        audit.record(
            db,
            actor,
            "prizes.allocate",
            "prize_list",
            pl.id,
            {
                "round_id": item.round.id,
                "version": pl.version,
                "by_tier": allocation.count_by_tier(),
                "undecided": len(allocation.undecided),
                "correction": True,
                "one_prize_rule": True,
            },
        )
        if not prize_lists.undecided_lines(pl):
            try:
                prize_lists.propose(db, actor, pl, commit=False)
            except PermissionDenied:
                pass  # an allocation run without a committee member leaves it a draft
        corrections.append(pl)
    return corrections


def _held_round(allocations: tuple[Allocation, ...], inputs: list[_RoundInput], owner: str) -> str:
    for item, allocation in zip(inputs, allocations, strict=True):
        if any(r.entry.owner_id == owner for r in allocation.awarded()):
            return str(item.round.number)
    return ""


def _simulate(
    db: Session, round_: Round, plan: PrizePlan
) -> tuple[list[_RoundInput], tuple[Allocation, ...], int, list[TieDecision]]:
    """The allocation of the round under ``plan`` as allocating would make it: with the other
    closed rounds where one prize per person holds across the contest, and the committee's
    stored tie decisions. Writes nothing."""
    # Only a contest-wide rule needs the other closed rounds.
    if plan.line_rule is LineRule.CONTEST_HIGHEST:
        inputs = _contest_rounds(db, round_, plan)
    else:
        inputs = [_RoundInput(round_, plan, load_round(db, round_, order=plan.order))]
    known = ties.decisions(db, round_.contest_id, "individual")
    allocations = allocate_contest(
        [(str(i.round.number), i.data.entries) for i in inputs],
        [i.plan for i in inputs],
        tie_decisions=known,
    )
    index = next(n for n, i in enumerate(inputs) if i.round.id == round_.id)
    return inputs, allocations, index, known


def what_allocation_would_do(
    db: Session, round_: Round, plan: PrizePlan
) -> tuple[Allocation, RoundData]:
    """A plan's preview: the round's allocation exactly as ``allocate`` would make it."""
    inputs, allocations, index, _ = _simulate(db, round_, plan)
    return allocations[index], inputs[index].data


@transactional
def allocate(
    db: Session, actor: Actor, round_: Round, *, correction_note: str | None = None
) -> AllocationReport:
    """Allocate the round's prizes from its plan into a draft list (or a correction version).

    One prize per person, as the plan states it: in the whole contest, the highest kept
    (the domain's ``allocate_rounds`` over every closed round: a freed place goes to the next
    in line, and an earlier round's approved list that changes gets a proposed correction
    version), or in each round on its own."""
    if db.get(RoundResult, round_.id) is None:
        raise ContestError(
            "Đợt thi chưa được chốt kết quả.", "The round has not been closed yet.", field="round"
        )
    plan = plan_for(db, round_.contest_id, round_.id)
    assert plan is not None  # required=True raises instead
    corrections: list[PrizeList] = []
    inputs, allocations, index, known = _simulate(db, round_, plan)
    allocation, data = allocations[index], inputs[index].data
    pl = prize_lists.open_draft(
        db, actor, round_.contest_id, round_.id, "individual", correction_note
    )
    _fill(pl, allocation, plan, data, known)
    db.flush()
    report = AllocationReport(
        pl,
        allocation.count_by_tier(),
        len(allocation.undecided),
        allocation.cap,
        tuple(n.message_vi for n in allocation.notes),
    )
    audit.record(
        db,
        actor,
        "prizes.allocate",
        "prize_list",
        pl.id,
        {
            "round_id": round_.id,
            "version": pl.version,
            "by_tier": report.by_tier,
            "undecided": report.undecided,
            "correction": bool(correction_note),
            "one_prize_rule": plan.line_rule.value,
        },
    )
    if plan.line_rule is LineRule.CONTEST_HIGHEST:
        corrections = _correct_earlier(db, actor, inputs, allocations, round_, known)
    return dataclasses.replace(report, corrections=tuple(corrections))


# --- collectives ---------------------------------------------------------------------------------


def collective_ranking(
    db: Session, contest: Contest, *, spec: dict | None = None
) -> CollectiveResult:
    """Units ranked by the contest's collective plan (or ``spec``, to preview one) over every
    closed round's eligible participants.

    A participant counts once for the contest, with their best counted score and best prize."""
    spec = spec if spec is not None else collective_plan_spec(db, contest.id)
    plan = collective_plan_from_spec(spec)
    pools = spec.get("unit_pools") or {}
    units = unit_rows.units_of(db, contest.id)
    nodes = [
        UnitNode(
            str(u.id),
            u.name,
            str(u.parent_id) if u.parent_id else None,
            u.headcount,
            pools.get(u.code),
        )
        for u in units
    ]
    best: dict[int, Participation] = {}
    orders: dict[str, int] = {}
    for r in db.execute(
        select(Round).where(Round.contest_id == contest.id).order_by(Round.number)
    ).scalars():
        if db.get(RoundResult, r.id) is None:
            continue
        data = load_round(db, r)
        prizes: dict[int, str] = {}
        pl = prize_lists.latest_final(db, contest.id, r.id, "individual")
        if pl is not None:
            prizes = {e.participant_id: e.tier_code for e in pl.entries if e.participant_id}
            plan_i = plan_for(db, contest.id, r.id, required=False)
            if plan_i:
                orders.update({t.code: t.rank_order for t in plan_i.tiers})
        for pid, a in data.counting.items():
            p = data.participants[pid]
            if not data.verdicts[a.id].eligible or p.unit_id is None:
                continue
            prev = best.get(pid)
            prize = prizes.get(pid)
            if prev is not None:
                if prev.prize_code and (
                    not prize or orders.get(prev.prize_code, 99) <= orders.get(prize, 99)
                ):
                    prize = prev.prize_code
                score = max(prev.score or 0, float(a.correct or 0))
            else:
                score = float(a.correct or 0)
            best[pid] = Participation(str(pid), str(p.unit_id), score, prize)
    return rank_units(
        nodes, best.values(), plan, tie_decisions=ties.decisions(db, contest.id, "collective")
    )


@transactional
def allocate_collectives(
    db: Session, actor: Actor, contest: Contest, *, correction_note: str | None = None
) -> PrizeList:
    result = collective_ranking(db, contest)
    known = ties.decisions(db, contest.id, "collective")
    unit_names = {str(u.id): u.name for u in unit_rows.units_of(db, contest.id)}
    pl = prize_lists.open_draft(db, actor, contest.id, None, "collective", correction_note)
    tiers = {t.code: t for t in result.allocation.plan.tiers}
    # A tie at a quota boundary stays on the list as an undecided line: it blocks proposing
    # until the committee settles it, instead of the list silently holding fewer prizes.
    kept = [s for s in result.standings if s.outcome in (Outcome.AWARDED, Outcome.UNDECIDED)]
    for position, s in enumerate(kept, start=1):
        if s.outcome is Outcome.AWARDED:
            tier = tiers[s.tier_code]  # type: ignore[index]
            code, label_vi, label_en = tier.code, tier.label_vi, tier.label_en
        else:
            code, label_vi, label_en = prize_lists.UNDECIDED, "Chờ quyết định", "Undecided"
        rate = (
            f"{s.participation_rate * 100:.2f}%".replace(".", ",")
            if s.participation_rate is not None
            else "—"
        )
        why_vi = f"{s.participants} người dự thi hợp lệ, tỷ lệ tham gia {rate}"
        why_en = f"{s.participants} eligible participants, participation {rate.replace(',', '.')}"
        if s.outcome is Outcome.UNDECIDED:
            why_vi += "; đồng hạng tại ranh giới giải, chờ Ban Tổ chức quyết định"
            why_en += "; tied at a prize boundary, needs a committee decision"
            tied = {
                x.unit.unit_id
                for x in kept
                if x.outcome is Outcome.UNDECIDED
                and x.tie_group == s.tie_group
                and x.unit.pool == s.unit.pool
            }
            again = ties.asked_again(known, tied, lambda i: unit_names.get(i, i))
            if again is not None:
                why_vi, why_en = f"{why_vi}; {again[0]}", f"{why_en}; {again[1]}"
        if s.decision is not None:
            words = s.decision.words
            why_vi, why_en = f"{why_vi}; {words[0]}", f"{why_en}; {words[1]}"
        pl.entries.append(
            PrizeListEntry(
                position=position,
                unit_id=int(s.unit.unit_id),
                tier_code=code,
                tier_label_vi=label_vi,
                tier_label_en=label_en,
                rank=s.rank,
                score=s.value,
                reason_vi=why_vi,
                reason_en=why_en,
                tie_decision_id=int(s.decision.ref)
                if s.decision is not None and s.decision.ref
                else None,
            )
        )
    db.flush()
    audit.record(
        db,
        actor,
        "prizes.allocate_collectives",
        "prize_list",
        pl.id,
        {"contest_id": contest.id, "version": pl.version, "lines": len(pl.entries)},
    )
    return pl


@transactional
def decide_tie(
    db: Session,
    actor: Actor,
    pl: PrizeList,
    line_ids: Sequence[int],
    criterion: str,
    reason_vi: str,
    reason_en: str = "",
) -> PrizeList:
    """The committee settles a tie at a prize boundary: the tied lines in the order decided
    (best first), or the prize shared, by a documented criterion with a reason. The decision
    is stored and the list allocated again, so this and every later version follow it."""
    prize_lists.require_role(db, actor, *COMMITTEE)
    prize_lists.require_editable(pl)
    if pl.kind not in ("individual", "collective"):
        raise ContestError(
            "Danh sách này quyết định đồng hạng từng dòng.",
            "On this list a tie is settled line by line.",
            field="kind",
        )
    by_id = {e.id: e for e in pl.entries}
    chosen = [by_id.get(i) for i in line_ids]
    if (
        len(chosen) < 2
        or len(set(line_ids)) != len(line_ids)
        or any(e is None or e.tier_code != prize_lists.UNDECIDED for e in chosen)
    ):
        raise ContestError(
            "Hãy chọn các dòng đồng hạng đang chờ quyết định, mỗi dòng một lần.",
            "Choose the tied lines waiting for a decision, each once.",
            field="lines",
        )
    ids = [ties.entry_id_of(e) for e in chosen if e is not None]
    ties.record(db, actor, pl, ids, criterion, reason_vi, reason_en)
    if pl.kind == "collective":
        contest = db.get(Contest, pl.contest_id)
        assert contest is not None
        pl = allocate_collectives(db, actor, contest)
    else:
        rnd = db.get(Round, pl.round_id)
        assert rnd is not None
        pl = allocate(db, actor, rnd).prize_list
    waiting = {ties.entry_id_of(e) for e in prize_lists.undecided_lines(pl)}
    if waiting & set(ids):
        raise ContestError(
            "Quyết định phải nêu đúng tất cả các dòng của nhóm đồng hạng.",
            "The decision must name exactly every line of the tied group.",
            field="lines",
        )
    return pl


def participant_names(db: Session, ids: set[int]) -> dict[int, Participant]:
    if not ids:
        return {}
    return {
        p.id: p for p in db.execute(select(Participant).where(Participant.id.in_(ids))).scalars()
    }


def set_entry_tier(
    db: Session, actor: Actor, entry_id: int, tier_code: str | None, reason: str
) -> PrizeList:
    """The committee settles a tie or withdraws a prize on one line of a draft, with a reason."""
    entry = db.get(PrizeListEntry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy dòng danh sách giải.", "Prize list line not found.")
    pl = prize_lists.get_list(db, entry.prize_list_id)
    tier = None
    if tier_code is not None:
        tiers = tiers_for(db, pl.contest_id, pl.round_id, pl.kind)
        tier = next((t for t in tiers if t.code == tier_code), None)
        if tier is None:
            raise ContestError(
                f"Cơ cấu giải không có giải {tier_code}.",
                f"The plan has no prize {tier_code}.",
                field="tier_code",
            )
    return prize_lists.set_line_tier(db, actor, pl, entry_id, tier, reason)


@dataclass(frozen=True)
class ListView:
    """What the prize list page and its partial show, for any kind of list."""

    contest: Contest
    pl: PrizeList
    status: prize_lists.ListStatus
    round: Round | None
    tiers: tuple
    people: dict[int, Participant]
    units: dict[int, Unit]
    items: dict[int, Work]
    versions: list[PrizeList]
    allocated_name: str
    proposed_name: str
    approved_name: str
    four_eyes: bool
    warnings: tuple[tuple[str, str], ...] = ()
    # Lines tied at a boundary and waiting for the committee, one group per tie.
    tie_groups: tuple[tuple[PrizeListEntry, ...], ...] = ()
    criteria: tuple[tuple[str, str, str], ...] = ()
    rule_words: dict[str, tuple[str, str]] = dataclasses.field(
        default_factory=lambda: {k.value: v for k, v in LINE_RULE_WORDS.items()}
    )


def list_view(db: Session, contest: Contest, pl: PrizeList) -> ListView:
    items: dict[int, Work] = {}
    people: dict[int, Participant]
    if pl.kind == "works":
        ids = [e.work_id for e in pl.entries if e.work_id]
        items = {w.id: w for w in db.execute(select(Work).where(Work.id.in_(ids))).scalars()}
        people = works.people_of(db, list(items.values()))
    else:
        people = participant_names(db, {e.participant_id for e in pl.entries if e.participant_id})
    units = unit_rows.units_by_id(db, contest.id)
    tiers = tiers_for(db, contest.id, pl.round_id, pl.kind)
    return ListView(
        contest=contest,
        pl=pl,
        status=prize_lists.status_of(pl),
        round=db.get(Round, pl.round_id) if pl.round_id else None,
        tiers=tiers,
        people=people,
        units=units,
        items=items,
        versions=prize_lists.versions_of(db, pl),
        allocated_name=_staff_name(db, pl.allocated_by_id, pl.allocated_by or pl.created_by),
        proposed_name=_staff_name(db, pl.proposed_by_id, pl.proposed_by or ""),
        approved_name=_staff_name(db, _audit_staff_id(pl.approved_by), pl.approved_by or ""),
        four_eyes=contest.four_eyes,
        warnings=zero_score_warnings(pl, tiers),
        tie_groups=_tie_groups(db, pl),
        criteria=tuple(ties.criterion_choices(pl.kind)),
    )


def _tie_groups(db: Session, pl: PrizeList) -> tuple[tuple[PrizeListEntry, ...], ...]:
    """The undecided lines of a list grouped by their tie: the same rank (and, for
    collectives, the same pool, since ranks count inside a pool)."""
    if pl.kind not in ("individual", "collective"):
        return ()
    pool_of: dict[int, str | None] = {}
    if pl.kind == "collective":
        pools = (collective_plan_spec(db, pl.contest_id) or {}).get("unit_pools") or {}
        pool_of = {u.id: pools.get(u.code) for u in unit_rows.units_of(db, pl.contest_id)}
    groups: dict[tuple, list[PrizeListEntry]] = {}
    for e in prize_lists.undecided_lines(pl):
        key = (e.rank, pool_of.get(e.unit_id) if e.unit_id else None)
        groups.setdefault(key, []).append(e)
    return tuple(tuple(g) for g in groups.values())


def zero_score_warnings(pl: PrizeList, tiers: Sequence[PrizeTier]) -> tuple[tuple[str, str], ...]:
    """A tier with no minimum score that reaches entries with 0 correct answers: said on the
    draft, so nobody approves prizes for empty papers without noticing."""
    if pl.kind != "individual":
        return ()
    open_tiers = {t.code: t for t in tiers if t.min_score is None}
    out = []
    for code, t in open_tiers.items():
        zero = sum(1 for e in pl.entries if e.tier_code == code and (e.score or 0) <= 0)
        if zero:
            out.append(
                (
                    f"{t.label_vi} không có điểm tối thiểu và đang trao cho {zero} bài 0 câu đúng; "
                    "hãy đặt điểm tối thiểu trong cơ cấu giải hoặc rút các dòng này kèm lý do.",
                    f"{t.label_en} has no minimum score and goes to {zero} entries with 0 correct "
                    "answers; set a minimum in the prize plan or withdraw these lines with a reason.",
                )
            )
    return tuple(out)


def _audit_staff_id(audit_name: str | None) -> int | None:
    """The staff id inside an audit name ("staff:4:truongban"), where there is one."""
    parts = (audit_name or "").split(":")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "staff" and parts[1].isdigit() else None


def _staff_name(db: Session, staff_id: int | None, fallback: str) -> str:
    """A staff member by name, as the chair reads it; the audit name where none is known."""
    staff = db.get(StaffUser, staff_id) if staff_id else None
    return f"{staff.full_name} ({staff.username})" if staff else fallback
