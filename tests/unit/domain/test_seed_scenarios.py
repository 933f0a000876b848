"""The two seed contests' published outcomes, rebuilt from generated entries (fixed seeds)."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.collectives import (
    CollectiveCriterion,
    CollectivePlan,
    Participation,
    SizeBand,
    Unit,
    collective_tiers,
    rank_units,
)
from contest.domain.eligibility import (
    AttemptFacts,
    Decision,
    Flag,
    FlagCode,
    ScreeningRules,
    decide,
    screen_attempt,
    verdicts_for,
)
from contest.domain.prizes import (
    Outcome,
    PrizePlan,
    PrizeTier,
    TieDecision,
    TieRule,
    allocate_prizes,
    allocate_rounds,
)
from contest.domain.ranking import Entry, TieBreak
from contest.domain.scoring import (
    PredictionTarget,
    ScoredAttempt,
    attempts_used,
    counting_attempts,
    prediction_error,
    prediction_true_figure,
)

TIERS = {
    "first": ("Giải Nhất", "First prize"),
    "second": ("Giải Nhì", "Second prize"),
    "third": ("Giải Ba", "Third prize"),
    "consolation": ("Giải Khuyến khích", "Consolation prize"),
}


def tiers(quotas, minimums=(None, None, None, None)):
    return tuple(
        PrizeTier(code, vi, en, i + 1, quota, minimum)
        for i, ((code, (vi, en)), quota, minimum) in enumerate(zip(TIERS.items(), quotas, minimums))
    )


# Lạng Sơn 2023 -------------------------------------------------------------------------

DISTRICTS = [
    "Thành phố Lạng Sơn",
    "Tràng Định",
    "Văn Lãng",
    "Văn Quan",
    "Bình Gia",
    "Bắc Sơn",
    "Hữu Lũng",
    "Chi Lăng",
    "Cao Lộc",
    "Lộc Bình",
    "Đình Lập",
]
ROUND_OPENS = [datetime(2023, 7, 3, 3, 0, tzinfo=UTC) + timedelta(weeks=w) for w in range(4)]
QUESTIONS = 20


def lang_son_units(rnd):
    units = [Unit("lang-son", "Tỉnh Lạng Sơn")]
    for i, name in enumerate(DISTRICTS):
        headcount = rnd.randint(900, 2500)
        units.append(Unit(f"d{i:02}", name, "lang-son", headcount=headcount, pool="districts"))
    for i in range(25):
        headcount = rnd.randint(20, 120)
        name = f"Sở, ngành {i + 1}"
        units.append(Unit(f"a{i:02}", name, "lang-son", headcount=headcount, pool="agencies"))
    return units


REGULARS = 15


def lang_son_people(rnd, units):
    """(participant id, unit id, ability); a few regulars, spread over the units, take every
    round, answer everything right and predict well, so they win week after week."""
    people = []
    for unit in units:
        if unit.pool is None:
            continue
        share = rnd.uniform(0.05, 0.25) if unit.pool == "districts" else rnd.uniform(0.2, 0.9)
        for k in range(round(unit.headcount * share)):
            ability = min(0.97, rnd.betavariate(6, 2))
            people.append((f"{unit.unit_id}-{k:04}", unit.unit_id, ability))
    step = len(people) // REGULARS
    for i in range(REGULARS):
        pid, unit, _ = people[i * step]
        people[i * step] = (pid, unit, 1.0)
    return people


def lang_son_round(rnd, index, people):
    opens = ROUND_OPENS[index]
    closes = opens + timedelta(days=7, hours=-1)
    rules = ScreeningRules(opens_at=opens, closes_at=closes, min_seconds_per_question=1.0)
    attempts, flagged = [], set()
    for pid, _unit, ability in people:
        if ability < 1.0 and rnd.random() > 0.6:
            continue
        for n in range(rnd.choice([1, 1, 2, 3])):
            aid = f"r{index + 1}-{pid}-{n}"
            started = opens + timedelta(seconds=rnd.uniform(0, 6.5 * 86400))
            duration = 9.0 if rnd.random() < 0.002 else rnd.uniform(90, 1200)
            correct = sum(rnd.random() < ability for _ in range(QUESTIONS))
            submitted = started + timedelta(seconds=duration)
            facts = AttemptFacts(aid, pid, QUESTIONS, QUESTIONS, started, submitted)
            if screen_attempt(facts, rules):
                flagged.add(aid)
            attempts.append(
                ScoredAttempt(
                    aid,
                    pid,
                    correct,
                    QUESTIONS,
                    duration,
                    started + timedelta(seconds=duration),
                    eligible=aid not in flagged,
                )
            )
    counted = counting_attempts(a for a in attempts if a.eligible)
    truth = prediction_true_figure(counted.values(), PredictionTarget.ALL_CORRECT)
    used = attempts_used(attempts)
    unit_of = {pid: unit for pid, unit, _ in people}
    ability_of = {pid: ability for pid, _, ability in people}
    guess = {
        pid: truth + rnd.randint(-3, 3) if ability_of[pid] == 1.0 else rnd.randint(0, 400)
        for pid in sorted(counted)
    }
    entries = [
        Entry(
            entry_id=a.attempt_id,
            owner_id=a.participant_id,
            score=a.correct,
            prediction_error=prediction_error(guess[a.participant_id], truth),
            duration_seconds=a.duration_seconds,
            submitted_at=a.submitted_at,
            attempts_used=used[a.participant_id],
            unit_id=unit_of[a.participant_id],
        )
        for a in counted.values()
    ]
    return entries, flagged


@pytest.fixture(scope="module")
def lang_son():
    rnd = random.Random(2023)
    units = lang_son_units(rnd)
    people = lang_son_people(rnd, units)
    rounds = []
    flagged = set()
    for index in range(4):
        entries, round_flagged = lang_son_round(rnd, index, people)
        rounds.append((f"tuần {index + 1}", entries))
        flagged |= round_flagged
    plan = PrizePlan(tiers=tiers((1, 2, 3, 5)), tie_rule=TieRule.COMMITTEE)
    allocations = allocate_rounds(rounds, plan)
    return units, people, rounds, flagged, allocations


def test_lang_son_awards_44_individual_prizes_to_44_people(lang_son):
    _, _, rounds, flagged, allocations = lang_son
    assert flagged, "the generated rounds include implausibly fast attempts"
    assert [a.count_by_tier() for a in allocations] == [
        {"first": 1, "second": 2, "third": 3, "consolation": 5}
    ] * 4
    winners = [r.entry.owner_id for a in allocations for r in a.awarded()]
    assert len(winners) == 44 and len(set(winners)) == 44
    assert not any(a.needs_committee_decision for a in allocations)
    # Strong participants win in several weeks; each keeps one prize and the place passes on.
    freed = [r for a in allocations for r in a.results if r.outcome is Outcome.HAS_HIGHER_PRIZE]
    assert freed
    assert all(r.entry.owner_id in set(winners) for r in freed)


def test_lang_son_winners_are_the_best_of_each_week(lang_son):
    _, _, rounds, _, allocations = lang_son
    for _, allocation in zip(rounds, allocations):
        awarded = allocation.awarded()
        assert [r.rank for r in awarded] == sorted(r.rank for r in awarded)
        best_left = max(
            r.entry.score for r in allocation.results if r.outcome is Outcome.QUOTA_FULL
        )
        assert min(r.entry.score for r in awarded) >= best_left


def test_lang_son_awards_13_collective_prizes_across_two_pools(lang_son):
    units, people, rounds, _, allocations = lang_son
    prize_of = {r.entry.owner_id: r.tier_code for a in allocations for r in a.awarded()}
    took_part = {e.owner_id for _, entries in rounds for e in entries}
    unit_of = {pid: unit for pid, unit, _ in people}
    participations = [
        Participation(pid, unit_of[pid], prize_code=prize_of.get(pid)) for pid in sorted(took_part)
    ]
    plan = CollectivePlan(
        criterion=CollectiveCriterion.POINTS,
        tiers=collective_tiers({"agencies": 8, "districts": 5}),
        pools=("agencies", "districts"),
        size_bands=(SizeBand(49, 0.30), SizeBand(99, 0.25)),
        prize_points={"first": 10, "second": 7, "third": 5, "consolation": 3},
        points_per_participation_percent=1.0,
        tie_rule=TieRule.COMMITTEE,
    )
    result = rank_units(units, participations, plan)
    # Two agencies tie at exactly 75% participation on the last place: the rules leave that
    # to the committee, so neither gets the prize until it decides.
    undecided = [s for s in result.pool("agencies") if s.outcome is Outcome.UNDECIDED]
    assert [s.value for s in undecided] == [75.0, 75.0]
    assert len(result.winners()) == 12
    decision = TieDecision(
        tuple(s.unit.unit_id for s in sorted(undecided, key=lambda s: -s.participants)),
        decided_by="truong-ban",
        decided_at=datetime(2023, 8, 10, 2, 0, tzinfo=UTC),
        reason_vi="Đơn vị có nhiều người dự thi hơn.",
        reason_en="The unit with more participants.",
    )
    result = rank_units(units, participations, plan, tie_decisions=[decision])
    assert len(result.winners()) == 13
    assert (len(result.winners("agencies")), len(result.winners("districts"))) == (8, 5)
    assert any(not s.qualifies for s in result.pool("agencies")), "a size band keeps an agency out"
    assert not result.allocation.needs_committee_decision


# Sơn La 2024 ---------------------------------------------------------------------------

# Authorship is drawn at random (one work in five by a single author); this seed gives the
# published split of winners, 3 individual authors and 18 groups.
SON_LA_SEED = 2031
JURY = 5


def son_la_works(rnd):
    works = []
    received = datetime(2024, 9, 1, 1, 0, tzinfo=UTC)
    for i in range(307):
        quality = min(86.0, max(20.0, rnd.gauss(62, 9)))
        marks = [min(89, max(0, round(quality + rnd.gauss(0, 3)))) for _ in range(JURY)]
        group = rnd.random() < 0.8
        owner = f"nhom-{i:03}" if group else f"tac-gia-{i:03}"
        at = received + timedelta(minutes=37 * i)
        works.append((f"bai-{i + 1:03}", owner, sum(marks) / JURY, at))
    return works


def son_la_screening(rnd, works):
    """12 works are flagged at screening; the committee clears 3 and confirms 9."""
    flagged = rnd.sample([w[0] for w in works], 12)
    flags = {
        wid: (
            Flag(
                wid,
                FlagCode.PROFILE_INCOMPLETE,
                "Thiếu bản cam kết tác quyền.",
                "Missing the copyright pledge.",
            ),
        )
        for wid in flagged
    }
    at = datetime(2024, 10, 1, 2, 0, tzinfo=UTC)
    decisions = [
        Decision(wid, True, "Đã bổ sung bản cam kết.", "Pledge supplied.", "thu-ky", at)
        for wid in flagged[:3]
    ]
    # One work is first cleared and then, on review, ruled out: reversal by a later decision.
    decisions.append(
        Decision(flagged[3], True, "Tạm chấp nhận.", "Provisionally accepted.", "thu-ky", at)
    )
    decisions.append(
        Decision(
            flagged[3],
            False,
            "Không đúng thể thức.",
            "Does not follow the required format.",
            "truong-ban",
            at + timedelta(days=1),
        )
    )
    return verdicts_for(flags, decisions), set(flagged[3:])


PASSED = decide("unflagged", (), ())


@pytest.fixture(scope="module")
def son_la():
    rnd = random.Random(SON_LA_SEED)
    works = son_la_works(rnd)
    verdicts, ruled_out = son_la_screening(rnd, works)
    entries = [
        Entry(wid, owner, score, submitted_at=at, eligible=verdicts.get(wid, PASSED).eligible)
        for wid, owner, score, at in works
    ]
    plan = PrizePlan(
        tiers=tiers((1, 4, 8, 9), minimums=(90, 80, 70, 60)),
        order=(TieBreak.CORRECT, TieBreak.SUBMITTED_AT),
        tie_rule=TieRule.COMMITTEE,
        scope="contest",
    )
    return entries, ruled_out, allocate_prizes(entries, plan)


def test_son_la_screening_keeps_298_of_307_entries(son_la):
    entries, ruled_out, allocation = son_la
    assert len(entries) == 307
    assert sum(e.eligible for e in entries) == 298
    ineligible = {r.entry.entry_id for r in allocation.results if r.outcome is Outcome.INELIGIBLE}
    assert ineligible == ruled_out and len(ineligible) == 9


def test_son_la_awards_no_first_prize_and_21_in_all(son_la):
    _, _, allocation = son_la
    assert allocation.count_by_tier() == {"first": 0, "second": 4, "third": 8, "consolation": 9}
    assert allocation.total_awarded == 21
    first = next(t for t in allocation.tiers if t.tier_code == "first")
    assert (first.awarded, first.vacant) == (0, 1)
    assert not allocation.needs_committee_decision


def test_son_la_winners_are_3_individual_authors_and_18_author_groups(son_la):
    _, _, allocation = son_la
    owners = [r.entry.owner_id for r in allocation.awarded()]
    assert sum(o.startswith("tac-gia-") for o in owners) == 3
    assert sum(o.startswith("nhom-") for o in owners) == 18


def test_son_la_every_other_entry_says_why_it_won_nothing(son_la):
    _, _, allocation = son_la
    outcomes = {r.outcome for r in allocation.results if r.outcome is not Outcome.AWARDED}
    assert outcomes <= {Outcome.INELIGIBLE, Outcome.BELOW_MINIMUM, Outcome.QUOTA_FULL}
    assert Outcome.BELOW_MINIMUM in outcomes
