"""Prize plans, allocation into versioned prize lists, and the proposal → approval → publication path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.collectives import (
    CollectiveCriterion,
    CollectivePlan,
    CollectiveResult,
    Participation,
    SizeBand,
    rank_units,
)
from contest.domain.collectives import Unit as UnitNode
from contest.domain.errors import ContestError, NotFound, PermissionDenied
from contest.domain.prizes import (
    Note,
    Outcome,
    PlanScope,
    PrizePlan,
    PrizeTier,
    TieRule,
    allocate_prizes,
)
from contest.models import (
    Contest,
    Participant,
    PrizeList,
    PrizeListEntry,
    PrizePlanRecord,
    Round,
    RoundResult,
    StaffUser,
    Unit,
)
from contest.services import audit
from contest.services.context import Actor
from contest.services.results import FINAL_LIST_STATES, latest_list, load_round

# --- plans -------------------------------------------------------------------------------------


def _tier(raw: Mapping) -> PrizeTier:
    return PrizeTier(
        code=str(raw["code"]),
        label_vi=str(raw["label_vi"]),
        label_en=str(raw.get("label_en") or raw["label_vi"]),
        rank_order=int(raw["rank_order"]),
        quota=int(raw.get("quota", 0)),
        min_score=None if raw.get("min_score") is None else float(raw["min_score"]),
        group_quotas={str(k): int(v) for k, v in (raw.get("group_quotas") or {}).items()},
    )


def _invalid(exc: Exception) -> ContestError:
    return ContestError(
        f"Cơ cấu giải không hợp lệ: {exc}.", f"The prize plan is not valid: {exc}.", field="plan"
    )


def plan_from_spec(spec: Mapping) -> PrizePlan:
    """Validate a stored or submitted plan into the domain's PrizePlan."""
    try:
        return PrizePlan(
            tiers=tuple(_tier(t) for t in spec["tiers"]),
            order=tuple(
                spec.get("order") or ("correct", "prediction_error", "duration", "submitted_at")
            ),
            tie_rule=TieRule(spec.get("tie_rule", "share")),
            cap_percent=None if spec.get("cap_percent") is None else float(spec["cap_percent"]),
            carry_over_vacancies=bool(spec.get("carry_over_vacancies", False)),
            one_prize_per_person=bool(spec.get("one_prize_per_person", True)),
            groups=tuple(spec["groups"]) if spec.get("groups") else None,
            scope=PlanScope(spec.get("scope", "round")),
        )
    except ContestError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(exc) from None


def collective_plan_from_spec(spec: Mapping) -> CollectivePlan:
    try:
        return CollectivePlan(
            criterion=CollectiveCriterion(spec["criterion"]),
            tiers=tuple(_tier(t) for t in spec["tiers"]),
            pools=tuple(spec["pools"]),
            roll_up=bool(spec.get("roll_up", False)),
            size_bands=tuple(
                SizeBand(b.get("max_headcount"), float(b["min_rate"]))
                for b in spec.get("size_bands", ())
            ),
            prize_points={str(k): float(v) for k, v in (spec.get("prize_points") or {}).items()},
            points_per_participation_percent=float(spec.get("points_per_participation_percent", 0)),
            min_participants=int(spec.get("min_participants", 1)),
            tie_rule=TieRule(spec.get("tie_rule", "share")),
        )
    except ContestError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(exc) from None


def _plan_record(
    db: Session, contest_id: int, round_id: int | None, kind: str
) -> PrizePlanRecord | None:
    q = select(PrizePlanRecord).where(
        PrizePlanRecord.contest_id == contest_id, PrizePlanRecord.kind == kind
    )
    q = q.where(
        PrizePlanRecord.round_id.is_(None)
        if round_id is None
        else PrizePlanRecord.round_id == round_id
    )
    return db.execute(q).scalar_one_or_none()


def save_plan(
    db: Session,
    actor: Actor,
    contest: Contest,
    spec: dict,
    *,
    round_id: int | None = None,
    kind: str = "individual",
) -> PrizePlanRecord:
    """Store a plan for a round (or, with no round, for every round of the contest) after validating it."""
    (plan_from_spec if kind == "individual" else collective_plan_from_spec)(spec)
    record = _plan_record(db, contest.id, round_id, kind)
    if record is None:
        record = PrizePlanRecord(
            contest_id=contest.id,
            round_id=round_id,
            kind=kind,
            spec=spec,
            updated_at=clock.now(),
            updated_by=actor.audit_name[:120],
        )
        db.add(record)
    else:
        record.spec, record.updated_at, record.updated_by = (
            spec,
            clock.now(),
            actor.audit_name[:120],
        )
    db.flush()
    audit.record(
        db,
        actor,
        "prizes.save_plan",
        "prize_plan",
        record.id,
        {"contest_id": contest.id, "round_id": round_id, "kind": kind, "spec": spec},
    )
    db.commit()
    return record


def plan_for(
    db: Session, contest_id: int, round_id: int | None, *, required: bool = True
) -> PrizePlan | None:
    """The round's own plan, else the contest-wide plan."""
    record = (
        _plan_record(db, contest_id, round_id, "individual") if round_id is not None else None
    ) or _plan_record(db, contest_id, None, "individual")
    if record is None:
        if required:
            raise ContestError(
                "Chưa có cơ cấu giải cho đợt thi này.",
                "There is no prize plan for this round.",
                field="plan",
            )
        return None
    return plan_from_spec(record.spec)


def collective_plan_spec(db: Session, contest_id: int) -> dict:
    record = _plan_record(db, contest_id, None, "collective")
    if record is None:
        raise ContestError(
            "Chưa có cơ cấu giải tập thể.", "There is no collective prize plan.", field="plan"
        )
    return record.spec


# --- lists -------------------------------------------------------------------------------------


def _require_role(db: Session, actor: Actor, *roles: str) -> None:
    staff = db.get(StaffUser, actor.id) if actor.kind == "staff" and actor.id else None
    if staff is None or not staff.is_active or not (staff.roles & set(roles)):
        raise PermissionDenied(
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account does not have the role needed for this.",
        )


def _open_list(
    db: Session,
    actor: Actor,
    contest_id: int,
    round_id: int | None,
    kind: str,
    correction_note: str | None,
) -> PrizeList:
    """A draft to fill: the current draft or proposal is refilled; after approval only a
    correction (a new version keeping the old one) may change the list."""
    current = latest_list(db, contest_id, round_id, kind)
    now = clock.now()
    if current is not None and current.status in ("draft", "proposed"):
        current.entries.clear()
        current.status, current.proposed_at, current.proposed_by = "draft", None, None
        db.flush()
        return current
    supersedes = None
    note = ""
    if current is not None:
        if not (correction_note or "").strip():
            raise ContestError(
                f"Danh sách giải phiên bản {current.version} đã được phê duyệt và không thể sửa; "
                "muốn đính chính phải tạo phiên bản mới kèm lý do.",
                f"Prize list version {current.version} is approved and frozen; a correction needs a new version "
                "with a reason.",
                field="status",
            )
        supersedes, note = current.id, correction_note.strip()  # type: ignore[union-attr]
    version = (
        db.execute(
            select(func.max(PrizeList.version)).where(
                PrizeList.contest_id == contest_id,
                PrizeList.kind == kind,
                PrizeList.round_id.is_(None)
                if round_id is None
                else PrizeList.round_id == round_id,
            )
        ).scalar()
        or 0
    ) + 1
    pl = PrizeList(
        contest_id=contest_id,
        round_id=round_id,
        kind=kind,
        version=version,
        status="draft",
        supersedes_id=supersedes,
        note=note,
        created_at=now,
        created_by=actor.audit_name[:120],
    )
    db.add(pl)
    db.flush()
    return pl


def _held_elsewhere(db: Session, contest_id: int, round_id: int, plan: PrizePlan) -> dict[str, int]:
    """Each person's best prize (tier order) in the approved lists of the contest's other rounds."""
    held: dict[str, int] = {}
    orders = {t.code: t.rank_order for t in plan.tiers}
    rounds = db.execute(
        select(Round.id).where(Round.contest_id == contest_id, Round.id != round_id)
    ).scalars()
    for rid in rounds:
        pl = latest_list(db, contest_id, rid, "individual", FINAL_LIST_STATES)
        for e in pl.entries if pl else ():
            if e.participant_id and e.tier_code in orders:
                key = str(e.participant_id)
                held[key] = min(held.get(key, 99), orders[e.tier_code])
    return held


@dataclass(frozen=True)
class AllocationReport:
    prize_list: PrizeList
    by_tier: dict[str, int]
    undecided: int
    cap: int | None
    notes: tuple[str, ...]


def allocate(
    db: Session, actor: Actor, round_: Round, *, correction_note: str | None = None
) -> AllocationReport:
    """Allocate the round's prizes from its plan into a draft list (or a correction version).

    One prize per person across rounds: someone who already holds an equal or higher prize
    in another round's approved list is passed over here, so the place goes to the next in line."""
    if db.get(RoundResult, round_.id) is None:
        raise ContestError(
            "Đợt thi chưa được chốt kết quả.", "The round has not been closed yet.", field="round"
        )
    plan = plan_for(db, round_.contest_id, round_.id)
    data = load_round(db, round_, order=plan.order)  # type: ignore[union-attr]
    held = (
        _held_elsewhere(db, round_.contest_id, round_.id, plan) if plan.one_prize_per_person else {}
    )  # type: ignore[union-attr]
    exclude: dict[str, Note] = {}
    while True:
        allocation = allocate_prizes(
            data.entries, plan, exclude_owners=exclude, round_id=str(round_.number)
        )  # type: ignore[arg-type]
        grown = False
        for r in allocation.awarded():
            owner = r.entry.owner_id
            if owner in held and held[owner] <= (r.tier_order or 99) and owner not in exclude:
                exclude[owner] = Note(
                    "Đã nhận giải bằng hoặc cao hơn ở đợt khác; mỗi người chỉ nhận một giải.",
                    "Already holds an equal or higher prize in another round; one prize per person.",
                )
                grown = True
        if not grown:
            break
    pl = _open_list(db, actor, round_.contest_id, round_.id, "individual", correction_note)
    position = 0
    for r in allocation.results:
        if r.outcome not in (Outcome.AWARDED, Outcome.UNDECIDED):
            continue
        position += 1
        a = data.counting[int(r.entry.owner_id)]
        if r.outcome is Outcome.AWARDED:
            tier = plan.tier(r.tier_code)  # type: ignore[union-attr,arg-type]
            code, vi, en = tier.code, tier.label_vi, tier.label_en
        else:
            code, vi, en = "undecided", "Chờ quyết định", "Undecided"
        pl.entries.append(
            PrizeListEntry(
                position=position,
                participant_id=a.participant_id,
                attempt_id=a.id,
                tier_code=code,
                tier_label_vi=vi,
                tier_label_en=en,
                rank=r.rank,
                score=r.entry.score,
                reason_vi=r.reason_vi,
                reason_en=r.reason_en,
            )
        )
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
        },
    )
    db.commit()
    return report


def get_list(db: Session, list_id: int) -> PrizeList:
    pl = db.get(PrizeList, list_id)
    if pl is None:
        raise NotFound("Không tìm thấy danh sách giải.", "Prize list not found.")
    return pl


def _require_draft(pl: PrizeList) -> None:
    if pl.status not in ("draft", "proposed"):
        raise ContestError(
            f"Danh sách giải phiên bản {pl.version} đã được phê duyệt và không thể sửa; hãy tạo bản đính chính.",
            f"Prize list version {pl.version} is approved and frozen; make a correction instead.",
            field="status",
        )


def set_entry_tier(
    db: Session, actor: Actor, entry_id: int, tier_code: str | None, reason: str
) -> PrizeList:
    """The committee changes one line of a draft (settles a tie, withdraws a prize); refused once approved."""
    entry = db.get(PrizeListEntry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy dòng danh sách giải.", "Prize list line not found.")
    pl = get_list(db, entry.prize_list_id)
    _require_draft(pl)
    if not (reason or "").strip():
        raise ContestError("Cần nêu lý do.", "A reason is needed.", field="reason")
    before = entry.tier_code
    if tier_code is None:
        pl.entries.remove(entry)
    else:
        plan = plan_for(db, pl.contest_id, pl.round_id) if pl.kind == "individual" else None
        tier = plan.tier(tier_code) if plan else None
        entry.tier_code = tier_code
        entry.tier_label_vi = tier.label_vi if tier else tier_code
        entry.tier_label_en = tier.label_en if tier else tier_code
        entry.reason_vi, entry.reason_en = reason.strip(), reason.strip()
    pl.status = "draft"
    db.flush()
    audit.record(
        db,
        actor,
        "prizes.edit_line",
        "prize_list",
        pl.id,
        {"entry_id": entry_id, "before": before, "after": tier_code, "reason": reason.strip()},
    )
    db.commit()
    return pl


def propose(db: Session, actor: Actor, pl: PrizeList) -> PrizeList:
    _require_role(db, actor, "committee_member", "committee_chair")
    if pl.status != "draft":
        raise ContestError(
            "Chỉ đề xuất được danh sách đang là bản nháp.",
            "Only a draft can be proposed.",
            field="status",
        )
    if any(e.tier_code == "undecided" for e in pl.entries):
        raise ContestError(
            "Còn trường hợp đồng hạng chờ Ban Tổ chức quyết định.",
            "Ties still wait for a committee decision.",
            field="status",
        )
    pl.status, pl.proposed_at, pl.proposed_by = "proposed", clock.now(), actor.audit_name[:120]
    audit.record(
        db,
        actor,
        "prizes.propose",
        "prize_list",
        pl.id,
        {"version": pl.version, "lines": len(pl.entries)},
    )
    db.commit()
    return pl


def approve(db: Session, actor: Actor, pl: PrizeList) -> PrizeList:
    """The chair approves; from now on the list is frozen."""
    _require_role(db, actor, "committee_chair")
    if pl.status != "proposed":
        raise ContestError(
            "Chỉ phê duyệt được danh sách đã được đề xuất.",
            "Only a proposed list can be approved.",
            field="status",
        )
    pl.status, pl.approved_at, pl.approved_by = "approved", clock.now(), actor.audit_name[:120]
    audit.record(
        db,
        actor,
        "prizes.approve",
        "prize_list",
        pl.id,
        {
            "version": pl.version,
            "lines": [[e.participant_id or e.unit_id, e.tier_code] for e in pl.entries],
        },
    )
    db.commit()
    return pl


def publish(db: Session, actor: Actor, pl: PrizeList) -> PrizeList:
    _require_role(db, actor, "committee_member", "committee_chair")
    if pl.status != "approved":
        raise ContestError(
            "Chỉ công bố được danh sách đã phê duyệt.",
            "Only an approved list can be published.",
            field="status",
        )
    pl.status, pl.published_at, pl.published_by = "published", clock.now(), actor.audit_name[:120]
    audit.record(db, actor, "prizes.publish", "prize_list", pl.id, {"version": pl.version})
    db.commit()
    from contest.services import results_cache

    results_cache.invalidate(pl.contest_id)
    return pl


def lists_of(db: Session, contest_id: int) -> list[PrizeList]:
    return list(
        db.execute(
            select(PrizeList)
            .where(PrizeList.contest_id == contest_id)
            .order_by(PrizeList.kind, PrizeList.round_id, PrizeList.version)
        ).scalars()
    )


# --- collectives ---------------------------------------------------------------------------------


def collective_ranking(db: Session, contest: Contest) -> CollectiveResult:
    """Units ranked by the contest's collective plan over every closed round's eligible participants.

    A participant counts once for the contest, with their best counted score and best prize."""
    spec = collective_plan_spec(db, contest.id)
    plan = collective_plan_from_spec(spec)
    pools = spec.get("unit_pools") or {}
    units = list(db.execute(select(Unit).where(Unit.contest_id == contest.id)).scalars())
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
        pl = latest_list(db, contest.id, r.id, "individual", FINAL_LIST_STATES)
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
    return rank_units(nodes, best.values(), plan)


def allocate_collectives(
    db: Session, actor: Actor, contest: Contest, *, correction_note: str | None = None
) -> PrizeList:
    result = collective_ranking(db, contest)
    pl = _open_list(db, actor, contest.id, None, "collective", correction_note)
    tiers = {t.code: t for t in result.allocation.plan.tiers}
    for position, s in enumerate(result.winners(), start=1):
        tier = tiers[s.tier_code]  # type: ignore[index]
        rate = (
            f"{s.participation_rate * 100:.2f}%".replace(".", ",")
            if s.participation_rate is not None
            else "—"
        )
        pl.entries.append(
            PrizeListEntry(
                position=position,
                unit_id=int(s.unit.unit_id),
                tier_code=tier.code,
                tier_label_vi=tier.label_vi,
                tier_label_en=tier.label_en,
                rank=s.rank,
                score=s.value,
                reason_vi=f"{s.participants} người dự thi hợp lệ, tỷ lệ tham gia {rate}",
                reason_en=f"{s.participants} eligible participants, participation {rate.replace(',', '.')}",
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
    db.commit()
    return pl


def participant_names(db: Session, ids: set[int]) -> dict[int, Participant]:
    if not ids:
        return {}
    return {
        p.id: p for p in db.execute(select(Participant).where(Participant.id.in_(ids))).scalars()
    }
