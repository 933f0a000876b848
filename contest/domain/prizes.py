"""Prize allocation from a prize plan: tiers, quotas, minimum scores, caps, groups and ties."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from contest.domain.errors import ContestError
from contest.domain.ranking import (
    DEFAULT_ORDER,
    Entry,
    TieBreak,
    bulk_allocation,
    check_unique_ids,
    parse_order,
    sorted_with_ties,
)


@dataclass(frozen=True)
class PrizeTier:
    """One tier of a plan; ``rank_order`` 1 is the highest prize.

    ``group_quotas`` splits the tier between participant groups (officials, students, …)
    when the plan's ``groups`` is set; ``quota`` is then ignored.
    """

    code: str
    label_vi: str
    label_en: str
    rank_order: int
    quota: int
    min_score: float | None = None
    group_quotas: Mapping[str, int] = field(default_factory=dict, hash=False)

    def quota_for(self, group: str | None) -> int:
        if group is None:
            return self.quota
        return self.group_quotas.get(group, 0)


class TieRule(StrEnum):
    """What happens to entries tied on every key at a quota boundary."""

    SHARE = "share"
    COMMITTEE = "committee"


class PlanScope(StrEnum):
    ROUND = "round"
    CONTEST = "contest"


class OnePrizeScope(StrEnum):
    """How "one prize per person" reads across rounds, as the contest's rules state it.

    CONTEST: one prize in the whole contest, the highest kept; a lower prize held elsewhere
    goes to the next in line of that round. ROUND: one prize per round, each round on its own.
    """

    CONTEST = "contest"
    ROUND = "round"


class LineRule(StrEnum):
    """Which one-prize rule applied to a line of a prize list, said on the page and the annex."""

    CONTEST_HIGHEST = "contest_highest"
    PER_ROUND = "per_round"
    NONE = "none"


LINE_RULE_WORDS: dict[LineRule, tuple[str, str]] = {
    LineRule.CONTEST_HIGHEST: (
        "Mỗi người một giải trong cả cuộc thi, giữ giải cao nhất",
        "One prize per person in the whole contest, the highest kept",
    ),
    LineRule.PER_ROUND: (
        "Mỗi người một giải trong từng đợt, các đợt xét độc lập",
        "One prize per person in each round, rounds independent",
    ),
    LineRule.NONE: (
        "Không giới hạn số giải của mỗi người",
        "No limit on prizes per person",
    ),
}
# What an annex's narrow "Ghi chú" column prints; the section note spells the rule out.
LINE_RULE_SHORT: dict[LineRule, str] = {
    LineRule.CONTEST_HIGHEST: "1 giải/cuộc thi",
    LineRule.PER_ROUND: "1 giải/đợt",
    LineRule.NONE: "Không giới hạn",
}


@dataclass(frozen=True)
class PrizePlan:
    """The cơ cấu giải. ``cap_percent`` caps prizes at that share of the eligible owners,
    rounded down; ``groups`` (in the order they are served) splits every tier's quota."""

    tiers: tuple[PrizeTier, ...]
    order: tuple[TieBreak, ...] = DEFAULT_ORDER
    tie_rule: TieRule = TieRule.SHARE
    cap_percent: float | None = None
    carry_over_vacancies: bool = False
    one_prize_per_person: bool = True
    groups: tuple[str, ...] | None = None
    scope: PlanScope = PlanScope.ROUND
    one_prize_scope: OnePrizeScope = OnePrizeScope.CONTEST

    def __post_init__(self) -> None:
        codes = [t.code for t in self.tiers]
        if len(set(codes)) != len(codes):
            raise ContestError("Mã giải bị trùng.", "Prize tier codes repeat.", field="tiers")
        orders = [t.rank_order for t in self.tiers]
        if len(set(orders)) != len(orders):
            raise ContestError(
                "Thứ bậc giải bị trùng.", "Prize tier rank orders repeat.", field="tiers"
            )
        for tier in self.tiers:
            quotas = [tier.quota, *tier.group_quotas.values()]
            if any(q < 0 for q in quotas):
                raise ContestError(
                    f"Số lượng giải {tier.label_vi} không được âm.",
                    f"The quota of {tier.label_en} cannot be negative.",
                    field="quota",
                )
        if self.cap_percent is not None and not 0 <= self.cap_percent <= 100:
            raise ContestError(
                "Tỷ lệ giải tối đa phải từ 0 đến 100%.",
                "The prize cap must be between 0 and 100%.",
                field="cap_percent",
            )
        # Settings arrive as plain strings and lists; store the checked forms.
        object.__setattr__(self, "tiers", tuple(self.tiers))
        if self.groups is not None:
            object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "order", parse_order(self.order))
        try:
            object.__setattr__(self, "tie_rule", TieRule(self.tie_rule))
            object.__setattr__(self, "scope", PlanScope(self.scope))
            object.__setattr__(self, "one_prize_scope", OnePrizeScope(self.one_prize_scope))
        except ValueError as error:
            raise ContestError(
                f"Cơ cấu giải có giá trị không hợp lệ: {error}.",
                f"The prize plan has an invalid value: {error}.",
                field="plan",
            ) from None

    @property
    def tiers_in_order(self) -> tuple[PrizeTier, ...]:
        return tuple(sorted(self.tiers, key=lambda t: t.rank_order))

    @property
    def line_rule(self) -> LineRule:
        """The one-prize rule the lines of a round allocated from this plan follow."""
        if not self.one_prize_per_person:
            return LineRule.NONE
        if self.one_prize_scope is OnePrizeScope.CONTEST:
            return LineRule.CONTEST_HIGHEST
        return LineRule.PER_ROUND

    def tier(self, code: str) -> PrizeTier:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise KeyError(code)


_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # dates on a prize list are Vietnam dates


class TieCriterion(StrEnum):
    """How the committee settles entries tied on every key at a prize boundary: the criteria
    the rules of the contests we reproduce name, or sharing the prize."""

    LOTS = "lots"
    MORE_PARTICIPANTS = "more_participants"
    EARLIER_REGISTRATION = "earlier_registration"
    FEWER_ATTEMPTS = "fewer_attempts"
    COMMITTEE_JUDGEMENT = "committee_judgement"
    SHARE = "share"


TIE_CRITERION_WORDS: dict[TieCriterion, tuple[str, str]] = {
    TieCriterion.LOTS: ("Bốc thăm", "Drawing lots"),
    TieCriterion.MORE_PARTICIPANTS: (
        "Đơn vị có nhiều người dự thi hợp lệ hơn",
        "The unit with more eligible participants",
    ),
    TieCriterion.EARLIER_REGISTRATION: ("Đăng ký dự thi sớm hơn", "Registered earlier"),
    TieCriterion.FEWER_ATTEMPTS: ("Sử dụng ít lượt thi hơn", "Used fewer attempts"),
    TieCriterion.COMMITTEE_JUDGEMENT: (
        "Ban Tổ chức xem xét, quyết định theo thể lệ",
        "The committee's judgement under the rules",
    ),
    TieCriterion.SHARE: (
        "Đồng giải: cùng nhận giải cao hơn",
        "Shared: all receive the higher prize",
    ),
}


@dataclass(frozen=True)
class TieDecision:
    """The committee's decision on entries that tie on every key: their order, best first, by
    a documented criterion, or the prize shared (``criterion`` SHARE).

    It settles exactly the tied set it names: when the set changes (an entry joins or leaves
    the tie) the tie is undecided again, because the committee decided about other people."""

    entry_ids: tuple[str, ...]
    decided_by: str
    decided_at: datetime
    reason_vi: str = ""
    reason_en: str = ""
    criterion: TieCriterion = TieCriterion.COMMITTEE_JUDGEMENT
    ref: str | None = None  # the stored decision, for the line that follows it

    @property
    def share(self) -> bool:
        return self.criterion is TieCriterion.SHARE

    @property
    def words(self) -> tuple[str, str]:
        """What a prize list line says about the decision, in both languages."""
        vi, en = TIE_CRITERION_WORDS[self.criterion]
        at = self.decided_at
        when = (at.astimezone(_VIETNAM) if at.tzinfo else at).strftime("%d/%m/%Y")
        said_vi = f"Đồng hạng; Ban Tổ chức quyết định ngày {when} ({self.decided_by}): {vi}"
        said_en = f"Tied; decided by the committee on {when} ({self.decided_by}): {en}"
        if self.reason_vi:
            said_vi += f" — {self.reason_vi}"
        if self.reason_en or self.reason_vi:
            said_en += f" — {self.reason_en or self.reason_vi}"
        return said_vi, said_en

    def __post_init__(self) -> None:
        object.__setattr__(self, "entry_ids", tuple(self.entry_ids))
        try:
            object.__setattr__(self, "criterion", TieCriterion(self.criterion))
        except ValueError:
            raise ContestError(
                f"Tiêu chí quyết định đồng hạng '{self.criterion}' không có trong danh sách.",
                f"The tie criterion '{self.criterion}' is not a known one.",
                field="criterion",
            ) from None
        if len(set(self.entry_ids)) != len(self.entry_ids) or not self.entry_ids:
            raise ContestError(
                "Quyết định xếp thứ tự phải nêu các bài đồng hạng, mỗi bài một lần.",
                "A tie decision must list the tied entries, each once.",
                field="entry_ids",
            )
        if not self.decided_by.strip():
            raise ContestError(
                "Quyết định phải ghi người quyết định.",
                "A decision must say who made it.",
                field="decided_by",
            )


class Outcome(StrEnum):
    AWARDED = "awarded"
    UNDECIDED = "undecided"
    BELOW_MINIMUM = "below_minimum"
    QUOTA_FULL = "quota_full"
    CAP_REACHED = "cap_reached"
    INELIGIBLE = "ineligible"
    HAS_HIGHER_PRIZE = "has_higher_prize"
    OWNER_HAS_BETTER_ENTRY = "owner_has_better_entry"
    NO_QUOTA_FOR_GROUP = "no_quota_for_group"


OUTCOME_MESSAGES: dict[Outcome, tuple[str, str]] = {
    Outcome.AWARDED: ("Đạt giải", "Awarded"),
    Outcome.UNDECIDED: (
        "Đồng hạng tại ranh giới giải, chờ Ban Tổ chức quyết định",
        "Tied at a prize boundary; needs a committee decision",
    ),
    Outcome.BELOW_MINIMUM: ("Chưa đạt điểm tối thiểu của giải", "Below every tier's minimum score"),
    Outcome.QUOTA_FULL: ("Đã hết số lượng giải", "Quota full"),
    Outcome.CAP_REACHED: ("Đã đạt tỷ lệ giải tối đa", "Prize cap reached"),
    Outcome.INELIGIBLE: ("Không hợp lệ", "Ineligible"),
    Outcome.HAS_HIGHER_PRIZE: ("Đã có giải cao hơn", "Already has a higher prize"),
    Outcome.OWNER_HAS_BETTER_ENTRY: (
        "Đã xét bài tốt hơn của cùng người dự thi",
        "The same owner's better entry was considered",
    ),
    Outcome.NO_QUOTA_FOR_GROUP: (
        "Nhóm đối tượng không có cơ cấu giải",
        "The plan has no quota for this group",
    ),
}


class EntryResult(NamedTuple):
    """What one entry got and why. ``candidate_tiers`` lists the tiers an undecided entry
    may still get; ``may_get_none`` says the committee's decision could leave it without.

    A named tuple rather than a dataclass: a million of them are built per allocation."""

    entry: Entry
    outcome: Outcome
    rank: int | None = None
    tie_group: int | None = None
    tier_code: str | None = None
    tier_order: int | None = None
    candidate_tiers: tuple[str, ...] = ()
    may_get_none: bool = False
    note_vi: str = ""
    note_en: str = ""
    decision: TieDecision | None = None  # the committee's decision that placed this entry

    @property
    def reason_vi(self) -> str:
        return self.note_vi or OUTCOME_MESSAGES[self.outcome][0]

    @property
    def reason_en(self) -> str:
        return self.note_en or OUTCOME_MESSAGES[self.outcome][1]


@dataclass(frozen=True)
class TierResult:
    """How one tier (for one group, when split) was filled.

    ``overflow`` counts entries beyond the quota given the tier under the share rule;
    ``reserved`` counts places held for an undecided tie; ``carried_in`` came from an
    unfilled higher tier."""

    tier_code: str
    group: str | None
    quota: int
    carried_in: int
    awarded: int
    overflow: int
    reserved: int
    vacant: int


@dataclass(frozen=True)
class Note:
    message_vi: str
    message_en: str
    entry_id: str | None = None


@dataclass(frozen=True)
class Allocation:
    """The outcome of one allocation.

    Entries that won, are undecided or sit outside the ranking are kept as results; the
    long tail of ranked entries without a prize is described from the ranking when
    ``results`` is first read, because that tail may hold a million entries."""

    plan: PrizePlan
    tiers: tuple[TierResult, ...]
    cap: int | None
    round_id: str | None = None
    notes: tuple[Note, ...] = ()
    ranked: tuple[Entry, ...] = field(default=(), repr=False)
    ranks: tuple[int, ...] = field(default=(), repr=False)
    tie_groups: tuple[int | None, ...] = field(default=(), repr=False)
    decided: Mapping[int, EntryResult] = field(default_factory=dict, repr=False)
    unranked: tuple[EntryResult, ...] = field(default=(), repr=False)
    lowest_minimum: float = -math.inf
    cap_reached: bool = False

    @cached_property
    def results(self) -> tuple[EntryResult, ...]:
        """Every entry, ranked ones best first, then the unranked by entry id.

        A ranked entry with neither a prize nor a pending tie missed out because it is
        below every minimum, else because the cap was reached, else because quotas were
        full."""
        decided, ranks, groups = self.decided, self.ranks, self.tie_groups
        below = self.lowest_minimum
        missed = Outcome.CAP_REACHED if self.cap_reached else Outcome.QUOTA_FULL
        with bulk_allocation():
            ranked = tuple(
                decided[i]
                if i in decided
                else EntryResult(
                    e, Outcome.BELOW_MINIMUM if e.score < below else missed, ranks[i], groups[i]
                )
                for i, e in enumerate(self.ranked)
            )
        return ranked + self.unranked

    def awarded(self, tier_code: str | None = None) -> tuple[EntryResult, ...]:
        return tuple(
            r
            for r in self._decided_in_order
            if r.outcome is Outcome.AWARDED and (tier_code is None or r.tier_code == tier_code)
        )

    @cached_property
    def _decided_in_order(self) -> tuple[EntryResult, ...]:
        return tuple(self.decided[i] for i in sorted(self.decided)) + self.unranked

    def count_by_tier(self) -> dict[str, int]:
        counts = {t.code: 0 for t in self.plan.tiers_in_order}
        for r in self._decided_in_order:
            if r.outcome is Outcome.AWARDED:
                counts[r.tier_code] += 1  # type: ignore[index]
        return counts

    @property
    def total_awarded(self) -> int:
        return sum(self.count_by_tier().values())

    @property
    def undecided(self) -> tuple[EntryResult, ...]:
        return tuple(r for r in self._decided_in_order if r.outcome is Outcome.UNDECIDED)

    @property
    def needs_committee_decision(self) -> bool:
        return bool(self.undecided)

    def result_for(self, entry_id: str) -> EntryResult:
        for r in self.results:
            if r.entry.entry_id == entry_id:
                return r
        raise KeyError(entry_id)


_owner_of = attrgetter("owner_id")


class _Pool:
    """The entries of one group still competing; a block is a run of exact ties.

    Blocks are found on demand because allocation usually stops near the top of a
    ranking that may hold a million entries."""

    def __init__(self, group: str | None, members: list[int], tie_groups: list[int | None]):
        self.group = group
        self.members = members
        self.tie_groups = tie_groups
        self.pos = 0
        self.current: list[int] | None = None  # what is left of a block split at a boundary
        self.pending: int | None = None  # undecided places still owed to the current block
        self.decision: TieDecision | None = None  # the committee's order for the current block
        self.carry = 0

    def block(self) -> list[int]:
        if self.current is None:
            members, groups = self.members, self.tie_groups
            first = members[self.pos]
            gid = groups[first]
            end = self.pos + 1
            if gid is not None:
                while end < len(members) and groups[members[end]] == gid:
                    end += 1
            self.current = members[self.pos : end]
            self._end = end
        return self.current

    def advance(self) -> None:
        self.block()
        self.pos = self._end
        self.current = None
        self.pending = None
        self.decision = None

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.members)


def _decision_for(
    members: list[int], ordered: list[Entry], decisions: Sequence[TieDecision]
) -> TieDecision | None:
    """The latest decision about exactly this tied set."""
    ids = {ordered[m].entry_id for m in members}
    best: TieDecision | None = None
    for d in decisions:
        if ids == set(d.entry_ids) and (best is None or d.decided_at >= best.decided_at):
            best = d
    return best


def allocate_prizes(
    entries: Iterable[Entry],
    plan: PrizePlan,
    *,
    tie_decisions: Sequence[TieDecision] = (),
    exclude_owners: Mapping[str, Note] | None = None,
    round_id: str | None = None,
) -> Allocation:
    """Allocate the plan's tiers to entries, best first, saying for each entry why.

    ``exclude_owners`` takes owners who hold a higher prize elsewhere (another round).
    """
    with bulk_allocation():
        return _allocate(list(entries), plan, tie_decisions, exclude_owners or {}, round_id)


def _allocate(
    entries: list[Entry],
    plan: PrizePlan,
    tie_decisions: Sequence[TieDecision],
    exclude_owners: Mapping[str, Note],
    round_id: str | None,
) -> Allocation:
    check_unique_ids(entries)
    # Comprehensions rather than one loop with branches: this runs over every entry.
    eligible = [e for e in entries if e.eligible]
    trailing = [EntryResult(e, Outcome.INELIGIBLE) for e in entries if not e.eligible]
    entrants = set(map(_owner_of, eligible))
    if exclude_owners:
        competing = [e for e in eligible if e.owner_id not in exclude_owners]
        for e in eligible:
            if e.owner_id in exclude_owners:
                note = exclude_owners[e.owner_id]
                trailing.append(
                    EntryResult(
                        e,
                        Outcome.HAS_HIGHER_PRIZE,
                        note_vi=note.message_vi,
                        note_en=note.message_en,
                    )
                )
        owner_count = len(set(map(_owner_of, competing)))
    else:
        competing = eligible
        owner_count = len(entrants)

    if plan.one_prize_per_person and owner_count != len(competing):
        # Only each owner's best entry competes, so one owner never holds two places.
        ordered0, _, _ = sorted_with_ties(competing, plan.order, check_ids=False)
        seen: set[str] = set()
        best_entries: list[Entry] = []
        for e in ordered0:
            if e.owner_id in seen:
                trailing.append(EntryResult(e, Outcome.OWNER_HAS_BETTER_ENTRY))
            else:
                seen.add(e.owner_id)
                best_entries.append(e)
        competing = best_entries

    ordered, ranks, tie_groups = sorted_with_ties(competing, plan.order, check_ids=False)
    n = len(ordered)
    # The cap counts people (eligible owners), not entries, so extra attempts do not raise it.
    cap = None
    if plan.cap_percent is not None:
        cap = math.floor(plan.cap_percent * len(entrants) / 100 + 1e-9)
    cap_left = cap if cap is not None else math.inf

    tier_of: dict[int, PrizeTier] = {}
    by_decision: dict[int, TieDecision] = {}
    candidates: dict[int, list[str]] = {}
    no_group: set[int] = set()

    if plan.groups is None:
        pools_members = {None: list(range(n))}
    else:
        pools_members = {g: [] for g in plan.groups}
        for i, e in enumerate(ordered):
            if e.group in pools_members:
                pools_members[e.group].append(i)
            else:
                no_group.add(i)
    pools = [_Pool(group, members, tie_groups) for group, members in pools_members.items()]

    tier_results: list[TierResult] = []
    for tier in plan.tiers_in_order:
        for pool in pools:
            carried_in = pool.carry
            quota = tier.quota_for(pool.group) + carried_in
            pool.carry = 0
            filled = overflow = reserved = 0
            cap_stopped = False
            while filled < quota and not pool.exhausted:
                if cap_left <= 0:
                    cap_stopped = True
                    break
                members = pool.block()
                if tier.min_score is not None and ordered[members[0]].score < tier.min_score:
                    break
                room = int(min(quota - filled, cap_left))  # quota is finite; the cap may not be
                size = len(members) if pool.pending is None else pool.pending
                if size <= room:
                    if pool.pending is not None:
                        for m in members:
                            candidates[m].append(tier.code)
                        reserved += size
                    else:
                        for m in members:
                            tier_of[m] = tier
                            if pool.decision is not None:  # the rest of a decided tie
                                by_decision[m] = pool.decision
                    filled += size
                    cap_left -= size
                    pool.advance()
                    continue
                # A tie straddles the boundary of this tier (or of the cap).
                decision = None
                if pool.pending is None:
                    decision = pool.decision or _decision_for(members, ordered, tie_decisions)
                if decision is not None and decision.share and cap_left >= size:
                    for m in members:
                        tier_of[m] = tier
                        by_decision[m] = decision
                    overflow += size - room
                    filled += size
                    cap_left -= size
                    pool.advance()
                elif decision is not None and not decision.share:
                    place = {eid: pos for pos, eid in enumerate(decision.entry_ids)}
                    by_committee = sorted(members, key=lambda m: place[ordered[m].entry_id])
                    for m in by_committee[:room]:
                        tier_of[m] = tier
                        by_decision[m] = decision
                    # The rest keep the committee's order for the next tier.
                    pool.current = by_committee[room:]
                    pool.decision = decision
                    if not pool.current:
                        pool.advance()
                    filled += room
                    cap_left -= room
                elif plan.tie_rule is TieRule.SHARE and pool.pending is None and cap_left >= size:
                    for m in members:
                        tier_of[m] = tier
                    overflow += size - room
                    filled += size
                    cap_left -= size
                    pool.advance()
                else:
                    # The cap is a ceiling, so even under the share rule a tie that would
                    # break it goes to the committee.
                    for m in members:
                        candidates.setdefault(m, []).append(tier.code)
                    pool.current = members
                    pool.pending = size - room
                    reserved += room
                    filled += room
                    cap_left -= room
                break
            vacant = max(0, quota - filled)
            if plan.carry_over_vacancies and not cap_stopped:
                pool.carry = vacant
            tier_results.append(
                TierResult(
                    tier_code=tier.code,
                    group=pool.group,
                    quota=quota - carried_in,
                    carried_in=carried_in,
                    awarded=filled - reserved,
                    overflow=overflow,
                    reserved=reserved,
                    vacant=vacant,
                )
            )

    minimums = [t.min_score for t in plan.tiers]
    # Below this score no tier could ever take the entry.
    lowest_minimum = -math.inf
    if minimums and None not in minimums:
        lowest_minimum = min(m for m in minimums if m is not None)

    pending_left = {m for pool in pools if pool.pending for m in pool.block()}
    decided: dict[int, EntryResult] = {}
    for i, tier in tier_of.items():
        decided[i] = EntryResult(
            ordered[i],
            Outcome.AWARDED,
            ranks[i],
            tie_groups[i],
            tier.code,
            tier.rank_order,
            decision=by_decision.get(i),
        )
    for i, codes in candidates.items():
        if i not in tier_of:
            decided[i] = EntryResult(
                ordered[i],
                Outcome.UNDECIDED,
                ranks[i],
                tie_groups[i],
                candidate_tiers=tuple(codes),
                may_get_none=i in pending_left,
            )
    for i in no_group:
        decided[i] = EntryResult(ordered[i], Outcome.NO_QUOTA_FOR_GROUP, ranks[i], tie_groups[i])
    trailing.sort(key=lambda r: r.entry.entry_id)
    return Allocation(
        plan=plan,
        tiers=tuple(tier_results),
        cap=cap,
        round_id=round_id,
        ranked=tuple(ordered),
        ranks=tuple(ranks),
        tie_groups=tuple(tie_groups),
        decided=decided,
        unranked=tuple(trailing),
        lowest_minimum=lowest_minimum,
        cap_reached=cap is not None and cap_left <= 0,
    )


def _holder_note(round_id: str | None, tier: str | None) -> Note:
    where_vi = f" ở đợt {round_id}" if round_id is not None else ""
    where_en = f" in round {round_id}" if round_id is not None else ""
    return Note(
        f"Đã nhận {tier}{where_vi}; mỗi người chỉ nhận một giải, giữ giải cao nhất.",
        f"Already holds {tier}{where_en}; one prize per person, the highest kept.",
    )


def _best_holdings(allocations: Sequence[Allocation]) -> dict[str, tuple[int, int]]:
    """Each owner's best prize as (tier order, allocation index); an earlier round wins a
    draw between equal tiers because the rounds are given in the order they were held."""
    best: dict[str, tuple[int, int]] = {}
    for index, allocation in enumerate(allocations):
        for r in allocation.awarded():
            held = (r.tier_order, index)  # type: ignore[assignment]
            if r.entry.owner_id not in best or held < best[r.entry.owner_id]:
                best[r.entry.owner_id] = held  # type: ignore[assignment]
    return best


def _holding_note(allocations: Sequence[Allocation], order: int, held_at: int) -> Note:
    holder = allocations[held_at]
    tier = next(t for t in holder.plan.tiers if t.rank_order == order)
    vi = _holder_note(holder.round_id, tier.label_vi).message_vi
    en = _holder_note(holder.round_id, tier.label_en).message_en
    return Note(vi, en)


def keep_best_prize_per_owner(allocations: Sequence[Allocation]) -> tuple[Allocation, ...]:
    """Keep each owner's highest prize across allocations and free the others, with a note.

    Freed places stay empty here; ``allocate_rounds`` gives them to the next in line."""
    best = _best_holdings(allocations)
    out: list[Allocation] = []
    for index, allocation in enumerate(allocations):
        decided = dict(allocation.decided)
        notes = list(allocation.notes)
        for i, r in allocation.decided.items():
            if r.outcome is not Outcome.AWARDED:
                continue
            order, held_at = best[r.entry.owner_id]
            if held_at == index:
                continue
            note = _holding_note(allocations, order, held_at)
            decided[i] = r._replace(
                outcome=Outcome.HAS_HIGHER_PRIZE,
                tier_code=None,
                tier_order=None,
                note_vi=note.message_vi,
                note_en=note.message_en,
            )
            notes.append(
                Note(
                    f"Giải {r.tier_code} của bài {r.entry.entry_id} được trả lại. "
                    f"{note.message_vi}",
                    f"Prize {r.tier_code} of entry {r.entry.entry_id} freed. {note.message_en}",
                    entry_id=r.entry.entry_id,
                )
            )
        if len(notes) != len(allocation.notes):
            allocation = dataclasses.replace(allocation, decided=decided, notes=tuple(notes))
        out.append(allocation)
    return tuple(out)


def allocate_rounds(
    rounds: Sequence[tuple[str, Sequence[Entry]]],
    plan: PrizePlan,
    *,
    tie_decisions: Sequence[TieDecision] = (),
    plans: Sequence[PrizePlan] | None = None,
) -> tuple[Allocation, ...]:
    """Allocate every round with one prize per person across rounds, the highest kept.

    The one cross-round rule, for the service and the tests alike: ``keep_best_prize_per_owner``
    says which prize each owner keeps; every other round is then allocated again without
    that owner, so the freed place goes to the next in line. Conflicts are settled from the
    highest tier down, because a place freed in a round can lift someone there to a better
    prize than the one they hold elsewhere. Exclusions only grow, so the loop ends.
    ``plans`` gives each round its own plan (same order as ``rounds``); tiers compare by
    their rank order.
    """
    round_plans = list(plans) if plans is not None else [plan] * len(rounds)
    if len(round_plans) != len(rounds):
        raise ValueError("one plan per round")
    exclusions: list[dict[str, Note]] = [{} for _ in rounds]
    allocations = [
        allocate_prizes(entries, p, tie_decisions=tie_decisions, round_id=round_id)
        for (round_id, entries), p in zip(rounds, round_plans, strict=True)
    ]
    while True:
        kept = keep_best_prize_per_owner(allocations)
        best = _best_holdings(allocations)
        freed = [
            (index, r.entry.owner_id, r)
            for index, allocation in enumerate(kept)
            for r in allocation.decided.values()
            # Owners left out before sit in ``unranked``; these are freed only now.
            if r.outcome is Outcome.HAS_HIGHER_PRIZE
        ]
        if not freed:
            return tuple(allocations)
        level = min(best[owner][0] for _, owner, _ in freed)
        stale: set[int] = set()
        for index, owner, r in freed:
            if best[owner][0] == level:
                exclusions[index][owner] = Note(r.note_vi, r.note_en)
                stale.add(index)
        for index in sorted(stale):
            round_id, entries = rounds[index]
            allocations[index] = allocate_prizes(
                entries,
                round_plans[index],
                tie_decisions=tie_decisions,
                exclude_owners=exclusions[index],
                round_id=round_id,
            )


def allocate_contest(
    rounds: Sequence[tuple[str, Sequence[Entry]]],
    plans: Sequence[PrizePlan],
    *,
    tie_decisions: Sequence[TieDecision] = (),
) -> tuple[Allocation, ...]:
    """Every round under its own plan's one-prize rule, in the order given.

    Rounds whose plan keeps one prize in the whole contest are allocated together
    (``allocate_rounds``, the highest kept); a round read "per round" or without the rule is
    allocated on its own, so one person may win in several rounds only where the plan says so.
    """
    if len(plans) != len(rounds):
        raise ValueError("one plan per round")
    out: list[Allocation | None] = [None] * len(rounds)
    together = [i for i, p in enumerate(plans) if p.line_rule is LineRule.CONTEST_HIGHEST]
    if together:
        joint = allocate_rounds(
            [rounds[i] for i in together],
            plans[together[0]],
            tie_decisions=tie_decisions,
            plans=[plans[i] for i in together],
        )
        for i, allocation in zip(together, joint, strict=True):
            out[i] = allocation
    for i, (round_id, entries) in enumerate(rounds):
        if out[i] is None:
            out[i] = allocate_prizes(
                entries, plans[i], tie_decisions=tie_decisions, round_id=round_id
            )
    return tuple(a for a in out if a is not None)
