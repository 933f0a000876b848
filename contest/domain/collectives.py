"""Collective ranking of units (participation, rate, mean score or points) and their prizes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from contest.domain.errors import ContestError
from contest.domain.prizes import (
    Allocation,
    Outcome,
    PrizePlan,
    PrizeTier,
    TieDecision,
    TieRule,
    allocate_prizes,
)
from contest.domain.ranking import Entry, TieBreak


@dataclass(frozen=True)
class Unit:
    """A node of the contest's unit tree; only units with a ``pool`` compete for prizes."""

    unit_id: str
    name: str
    parent_id: str | None = None
    headcount: int | None = None
    pool: str | None = None


@dataclass(frozen=True)
class Participation:
    """One eligible participant's result as it counts for their unit."""

    participant_id: str
    unit_id: str
    score: float | None = None
    prize_code: str | None = None


class CollectiveCriterion(StrEnum):
    PARTICIPANTS = "participants"
    PARTICIPATION_RATE = "participation_rate"
    MEAN_SCORE = "mean_score"
    POINTS = "points"


@dataclass(frozen=True)
class SizeBand:
    """Units with headcount up to ``max_headcount`` (None: any size) need ``min_rate``
    participation (0.30 = 30%) to qualify; the first band that fits applies."""

    max_headcount: int | None
    min_rate: float


@dataclass(frozen=True)
class CollectivePlan:
    """``tiers`` carry one quota per pool in ``group_quotas``; ``pools`` are served in order.

    For the points criterion each participant's prize adds ``prize_points[code]`` and each
    percentage point of participation adds ``points_per_participation_percent``. ``keys``
    are the second and third criteria, higher first, for units equal on the first."""

    criterion: CollectiveCriterion
    tiers: tuple[PrizeTier, ...]
    pools: tuple[str, ...]
    roll_up: bool = False
    size_bands: tuple[SizeBand, ...] = ()
    prize_points: Mapping[str, float] = field(default_factory=dict, hash=False)
    points_per_participation_percent: float = 0.0
    min_participants: int = 1
    tie_rule: TieRule = TieRule.SHARE
    keys: tuple[CollectiveCriterion, ...] = ()

    def __post_init__(self) -> None:
        if len(self.keys) > 2:
            raise ContestError(
                "Tối đa hai tiêu chí phụ.", "At most two further criteria.", field="keys"
            )


def collective_tiers(
    pool_quotas: Mapping[str, int],
    *,
    code: str = "collective",
    label_vi: str = "Giải tập thể",
    label_en: str = "Collective prize",
) -> tuple[PrizeTier, ...]:
    """A single collective tier with a quota per pool, the common case."""
    return (PrizeTier(code, label_vi, label_en, 1, 0, group_quotas=dict(pool_quotas)),)


@dataclass(frozen=True)
class UnitStanding:
    unit: Unit
    participants: int
    participation_rate: float | None
    mean_score: float | None
    points: float
    value: float
    qualifies: bool
    reason_vi: str
    reason_en: str
    rank: int | None = None
    tie_group: int | None = None
    tier_code: str | None = None
    outcome: Outcome | None = None
    decision: TieDecision | None = None  # the committee's decision that placed this unit


@dataclass(frozen=True)
class CollectiveResult:
    standings: tuple[UnitStanding, ...]
    allocation: Allocation

    def pool(self, pool: str) -> tuple[UnitStanding, ...]:
        return tuple(s for s in self.standings if s.unit.pool == pool)

    def winners(self, pool: str | None = None) -> tuple[UnitStanding, ...]:
        return tuple(
            s
            for s in self.standings
            if s.outcome is Outcome.AWARDED and (pool is None or s.unit.pool == pool)
        )


def _ancestors(units: Mapping[str, Unit]) -> dict[str, tuple[str, ...]]:
    """Each unit with its ancestors, nearest first; a cycle in the tree is refused."""
    chains: dict[str, tuple[str, ...]] = {}
    for uid in units:
        chain: list[str] = []
        seen = {uid}
        parent = units[uid].parent_id
        while parent is not None:
            if parent in seen:
                raise ContestError(
                    f"Cây đơn vị có vòng lặp tại {parent}.",
                    f"The unit tree has a cycle at {parent}.",
                    field="parent_id",
                )
            if parent not in units:
                raise ContestError(
                    f"Không tìm thấy đơn vị cấp trên {parent}.",
                    f"Parent unit {parent} is unknown.",
                    field="parent_id",
                )
            seen.add(parent)
            chain.append(parent)
            parent = units[parent].parent_id
        chains[uid] = tuple(chain)
    return chains


def _percent(rate: float) -> str:
    return f"{rate * 100:g}"


def rank_units(
    units: Iterable[Unit],
    participations: Iterable[Participation],
    plan: CollectivePlan,
    *,
    tie_decisions: Sequence[TieDecision] = (),
) -> CollectiveResult:
    """Tally each unit (and, with ``roll_up``, its ancestors), check size-band thresholds,
    rank the units of each pool by the criterion and allocate the collective prizes.

    ``tie_decisions`` name unit ids, as the committee's order for units tied at a boundary."""
    by_id = {u.unit_id: u for u in units}
    chains = _ancestors(by_id)
    members: dict[str, set[str]] = {uid: set() for uid in by_id}
    score_sum: dict[str, float] = dict.fromkeys(by_id, 0.0)
    scored: dict[str, int] = dict.fromkeys(by_id, 0)
    prize_points: dict[str, float] = dict.fromkeys(by_id, 0.0)
    for p in participations:
        if p.unit_id not in by_id:
            raise ContestError(
                f"Không tìm thấy đơn vị {p.unit_id} của thí sinh {p.participant_id}.",
                f"Unit {p.unit_id} of participant {p.participant_id} is unknown.",
                field="unit_id",
            )
        targets = (p.unit_id, *chains[p.unit_id]) if plan.roll_up else (p.unit_id,)
        for uid in targets:
            members[uid].add(p.participant_id)
            if p.score is not None:
                score_sum[uid] += p.score
                scored[uid] += 1
            if p.prize_code is not None:
                prize_points[uid] += plan.prize_points.get(p.prize_code, 0.0)

    bands = sorted(
        plan.size_bands, key=lambda b: float("inf") if b.max_headcount is None else b.max_headcount
    )
    standings: dict[str, UnitStanding] = {}
    entries: list[Entry] = []
    for uid, unit in by_id.items():
        if unit.pool is None:
            continue
        count = len(members[uid])
        rate = count / unit.headcount if unit.headcount else None
        mean = score_sum[uid] / scored[uid] if scored[uid] else None
        points = prize_points[uid] + (
            plan.points_per_participation_percent * rate * 100 if rate is not None else 0.0
        )
        values = {
            CollectiveCriterion.PARTICIPANTS: float(count),
            CollectiveCriterion.PARTICIPATION_RATE: rate or 0.0,
            CollectiveCriterion.MEAN_SCORE: mean or 0.0,
            CollectiveCriterion.POINTS: points,
        }
        value = values[plan.criterion]
        # The further criteria ride on the entry's ascending keys, negated so higher ranks first.
        further = [-values[k] for k in plan.keys] + [None, None]
        reasons: list[tuple[str, str]] = []
        if count < plan.min_participants:
            reasons.append(
                (
                    f"Chưa đủ {plan.min_participants} người dự thi.",
                    f"Fewer than {plan.min_participants} participants.",
                )
            )
        needs_headcount = bands or plan.criterion is CollectiveCriterion.PARTICIPATION_RATE
        if needs_headcount and not unit.headcount:
            reasons.append(("Chưa có số cán bộ của đơn vị.", "The unit's headcount is unknown."))
        elif unit.headcount:
            band = next(
                (b for b in bands if b.max_headcount is None or unit.headcount <= b.max_headcount),
                None,
            )
            if band is not None and rate is not None and rate < band.min_rate:
                reasons.append(
                    (
                        f"Tỷ lệ tham gia {_percent(rate).replace('.', ',')}% thấp hơn mức "
                        f"{_percent(band.min_rate).replace('.', ',')}% của đơn vị cùng quy mô.",
                        f"Participation {_percent(rate)}% is below the "
                        f"{_percent(band.min_rate)}% required for a unit of this size.",
                    )
                )
        qualifies = not reasons
        standings[uid] = UnitStanding(
            unit=unit,
            participants=count,
            participation_rate=rate,
            mean_score=mean,
            points=points,
            value=value,
            qualifies=qualifies,
            reason_vi=" ".join(r[0] for r in reasons) or "Đủ điều kiện",
            reason_en=" ".join(r[1] for r in reasons) or "Qualifies",
        )
        entries.append(
            Entry(
                uid,
                uid,
                value,
                prediction_error=further[0],
                duration_seconds=further[1],
                group=unit.pool,
                unit_id=uid,
                eligible=qualifies,
            )
        )

    prize_plan = PrizePlan(
        tiers=plan.tiers,
        order=(TieBreak.CORRECT, TieBreak.PREDICTION_ERROR, TieBreak.DURATION)[
            : 1 + len(plan.keys)
        ],
        tie_rule=plan.tie_rule,
        groups=plan.pools,
    )
    allocation = allocate_prizes(entries, prize_plan, tie_decisions=tie_decisions)
    pool_order = {p: i for i, p in enumerate(plan.pools)}
    ordered: list[UnitStanding] = []
    for result in allocation.results:
        ordered.append(
            replace(
                standings[result.entry.entry_id],
                rank=result.rank,
                tie_group=result.tie_group,
                tier_code=result.tier_code,
                outcome=result.outcome,
                decision=result.decision,
            )
        )
    ordered.sort(
        key=lambda s: (pool_order.get(s.unit.pool, len(pool_order)), s.rank is None, s.rank or 0)
    )
    # The allocation ranks all pools together; what is published is the rank inside a pool.
    position: dict[str | None, int] = {}
    previous: UnitStanding | None = None
    for i, s in enumerate(ordered):
        if s.rank is None:
            continue
        seen = position.get(s.unit.pool, 0) + 1
        position[s.unit.pool] = seen
        same_tie = (
            previous is not None
            and previous.unit.pool == s.unit.pool
            and s.tie_group is not None
            and previous.tie_group == s.tie_group
        )
        ordered[i] = replace(s, rank=previous.rank if same_tie and previous else seen)
        previous = ordered[i]
    return CollectiveResult(standings=tuple(ordered), allocation=allocation)
