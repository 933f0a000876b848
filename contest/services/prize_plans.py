"""Prize plans (cơ cấu giải), individual and collective: validation, storage and lookup."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.collectives import CollectiveCriterion, CollectivePlan, SizeBand
from contest.domain.errors import ContestError
from contest.domain.prizes import OnePrizeScope, PlanScope, PrizePlan, PrizeTier, TieRule
from contest.models import Contest, PrizePlanRecord
from contest.services import audit
from contest.services.context import Actor


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
            one_prize_scope=OnePrizeScope(spec.get("one_prize_scope") or "contest"),
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
            keys=tuple(CollectiveCriterion(k) for k in spec.get("keys") or ()),
        )
    except ContestError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(exc) from None


def plan_record(
    db: Session, contest_id: int, round_id: int | None, kind: str
) -> PrizePlanRecord | None:
    """The stored plan of a round (``round_id`` None: the contest-wide one) of this kind."""
    return _plan_record(db, contest_id, round_id, kind)


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


def tiers_for(
    db: Session, contest_id: int, round_id: int | None, kind: str
) -> tuple[PrizeTier, ...]:
    """The tiers a list of this kind is allocated from, best first; none without a plan."""
    if kind == "collective":
        record = _plan_record(db, contest_id, None, "collective")
        if record is None:
            return ()
        tiers = collective_plan_from_spec(record.spec).tiers
        return tuple(sorted(tiers, key=lambda t: t.rank_order))
    plan = plan_for(db, contest_id, round_id if kind == "individual" else None, required=False)
    return plan.tiers_in_order if plan else ()
