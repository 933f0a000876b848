"""A simulated round for the cheating signals: honest people answering independently (a 3-parameter
IRT model with attractive and unattractive distractors, a reading pace of their own, a share of
them starting in the rush after the round opens), plus planted cheating cases."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contest.domain.signals import AccountFacts, AnswerSheet, SaveTrace, StartEvent

OPENS = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)  # Monday 10:00 in Hà Nội
# Real rounds spike at the opening: this share of honest attempts starts in the rush, minutes
# after the round opens (exponentially fewer as time goes on, mean RUSH_MINUTES); the rest over
# the week, by day more than by night. The planted ring starts in the same rush.
RUSH_SHARE = 0.3
RUSH_MINUTES = 45.0
# Local hours (Asia/Ho_Chi_Minh) weighted by how many people start then.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 7, 7, 8, 9, 9, 8, 8, 9, 9, 7, 4, 2]
# Reading pace: a person's median seconds per question is READING_SECONDS times a lognormal of
# their own (spread PACE_SPREAD), a little quicker for able people; each answer varies around it.
READING_SECONDS = 15.0
PACE_SPREAD = 0.4
PACE_PER_ABILITY = 0.15
ANSWER_SPREAD = 0.6
# A ring member starts on average COPY_DELAY_MINUTES after the sheet is posted and copies each
# answer in COPY_SECONDS (a pace of their own in that range), varying by COPY_SPREAD.
COPY_DELAY_MINUTES = 5.0
COPY_SECONDS = (4.0, 9.0)
COPY_SPREAD = 0.5
SURNAMES = (
    ["Nguyễn"] * 38
    + ["Trần"] * 11
    + ["Lê"] * 9
    + ["Hoàng"] * 6
    + ["Phạm"] * 6
    + ["Vi"] * 4
    + ["Hà"] * 4
    + ["Lương"] * 3
    + ["Nông"] * 3
    + ["Lộc"] * 3
    + ["Đinh", "Bế", "Chu", "Mã", "Hứa", "Triệu", "Vũ", "Đỗ", "Bùi", "Đặng"] * 2
)
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thu Hà", "Văn Hùng", "Thị Lan"]


@dataclass(frozen=True)
class Question:
    id: int
    a: float  # discrimination
    b: float  # difficulty
    c: float  # guessing floor
    distractors: tuple[float, ...]  # attractiveness of the wrong options, summing to 1


@dataclass
class Population:
    sheets: list[AnswerSheet] = field(default_factory=list)
    traces: list[SaveTrace] = field(default_factory=list)
    starts: list[StartEvent] = field(default_factory=list)
    accounts: list[AccountFacts] = field(default_factory=list)
    honest: set[int] = field(default_factory=set)
    planted: dict[str, set[int]] = field(default_factory=dict)


def make_bank(rng: random.Random, size: int) -> list[Question]:
    bank = []
    for q in range(size):
        weights = [rng.gammavariate(0.8, 1) for _ in range(3)]
        total = sum(weights)
        bank.append(
            Question(
                id=1000 + q,
                a=rng.uniform(0.8, 2.0),
                b=rng.gauss(-0.3, 1.0),
                c=0.2,
                distractors=tuple(w / total for w in weights),
            )
        )
    return bank


def answer(rng: random.Random, q: Question, theta: float) -> tuple[int, str, bool]:
    p = q.c + (1 - q.c) / (1 + math.exp(-q.a * (theta - q.b)))
    if rng.random() < p:
        return (q.id, f"{q.id}-0", True)
    pick = rng.choices(range(3), weights=q.distractors)[0]
    return (q.id, f"{q.id}-{pick + 1}", False)


class Round:
    """Builds one round: each participant makes `attempts_each` attempts of `paper` questions
    drawn from a bank of `bank_size`."""

    def __init__(self, seed: int = 7, bank_size: int = 40, paper: int = 20) -> None:
        self.rng = random.Random(seed)
        # Times come from a stream of their own, so a seed's answers stay what they were
        # before times were modelled (every draw the answers' stream made is still made).
        self.time_rng = random.Random(f"times-{seed}")
        self.bank = make_bank(self.rng, bank_size)
        self.paper = paper
        self.pop = Population()
        self._next_attempt = 1
        self._addresses = [f"113.160.{i // 250}.{i % 250}" for i in range(600)]

    def _account(self, pid: int, *, device: str, surname: str | None = None) -> AccountFacts:
        rng = self.rng
        name = f"{surname or rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        year = rng.randint(1965, 2010)
        gender_digit = (0 if year < 2000 else 2) + rng.randint(0, 1)
        cid = f"020{gender_digit}{year % 100:02d}{rng.randint(0, 999_999):06d}"
        registered = OPENS - timedelta(minutes=rng.randint(0, 60 * 24 * 20))
        facts = AccountFacts(
            participant_id=pid,
            full_name=name,
            citizen_id=cid,
            phone=f"09{pid:08d}",
            email=f"user{pid}@example.vn" if rng.random() < 0.4 else None,
            registered_at=registered,
            registered_address=rng.choice(self._addresses),
            registered_device=device,
            devices=frozenset({device}),
        )
        self.pop.accounts.append(facts)
        return facts

    def _attempt(
        self,
        pid: int,
        *,
        theta: float | None = None,
        sheet: dict[int, tuple[int, str, bool]] | None = None,
        device: str,
        seconds: tuple[float, float] = (READING_SECONDS, ANSWER_SPREAD),
        started: datetime | None = None,
        address: str | None = None,
    ) -> int:
        rng = self.rng
        aid = self._next_attempt
        self._next_attempt += 1
        questions = rng.sample(self.bank, self.paper)
        if sheet is not None:
            answers = tuple(sheet[q.id] for q in questions)
        else:
            answers = tuple(answer(rng, q, theta or 0.0) for q in questions)
        slot = rng.randint(0, 7 * 24 * 3600 - 3600)
        started = started or self._honest_start(slot)
        median, spread = seconds
        t = started
        saved = []
        for _ in questions:
            # normalvariate draws as lognormvariate did, so the answers' stream is unchanged
            t += timedelta(seconds=round(median * math.exp(spread * rng.normalvariate(0, 1)), 3))
            saved.append(t)
        self.pop.sheets.append(AnswerSheet(aid, pid, answers))
        self.pop.traces.append(SaveTrace(aid, pid, started, tuple(saved)))
        self.pop.starts.append(
            StartEvent(aid, pid, started, address or rng.choice(self._addresses), device)
        )
        return aid

    def _honest_start(self, slot: int) -> datetime:
        """In the opening rush (RUSH_SHARE), or on the day `slot` falls in, at an hour people
        take quizzes; never after the week."""
        trng = self.time_rng
        if trng.random() < RUSH_SHARE:
            minutes = min(trng.expovariate(1 / RUSH_MINUTES), 6 * 24 * 60)
            return OPENS + timedelta(minutes=minutes)
        day = slot // (24 * 3600)
        local_opening_hour = (OPENS.hour + 7) % 24
        hour = trng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        offset = timedelta(days=day, hours=(hour - local_opening_hour) % 24)
        offset += timedelta(seconds=trng.randint(0, 3599))
        return OPENS + min(offset, timedelta(days=7, hours=-1))

    def _pace(self, theta: float) -> float:
        """A person's median seconds per question."""
        z = self.time_rng.gauss(0, 1)
        return READING_SECONDS * math.exp(PACE_SPREAD * z - PACE_PER_ABILITY * theta)

    def honest(self, count: int, attempts_each: int = 1, first_pid: int = 1) -> None:
        for pid in range(first_pid, first_pid + count):
            device = f"dev-{pid}"
            self._account(pid, device=device)
            theta = self.rng.gauss(0.3, 1.0)
            pace = self._pace(theta)
            for _ in range(attempts_each):
                self._attempt(pid, theta=theta, device=device, seconds=(pace, ANSWER_SPREAD))
            self.pop.honest.add(pid)

    def ring(self, pids: list[int], theta: float = -0.3) -> None:
        """Accounts answering from one shared sheet (a chat group's answers to the whole bank),
        posted in the opening rush: members start within minutes of the post and enter the
        answers at copying speed, each at a pace of their own."""
        sheet = {q.id: answer(self.rng, q, theta) for q in self.bank}
        trng = self.time_rng
        posted = OPENS + timedelta(minutes=trng.uniform(5, 90))
        for pid in pids:
            device = f"dev-{pid}"
            self._account(pid, device=device)
            started = posted + timedelta(minutes=trng.expovariate(1 / COPY_DELAY_MINUTES))
            pace = trng.uniform(*COPY_SECONDS)
            self._attempt(
                pid, sheet=sheet, device=device, started=started, seconds=(pace, COPY_SPREAD)
            )
        self.pop.planted["ring"] = set(pids)

    def one_device(self, pids: list[int]) -> None:
        """One person with relatives' CCCDs: registered and started on the same phone."""
        device = f"dev-shared-{pids[0]}"
        family = self.rng.choice(SURNAMES)
        for pid in pids:
            self._account(pid, device=device, surname=family)
            self._attempt(pid, theta=self.rng.gauss(0.5, 0.5), device=device)
        self.pop.planted["device"] = set(pids)

    def scripted(self, pid: int) -> None:
        """A script that answers a question every half second."""
        device = f"dev-{pid}"
        self._account(pid, device=device)
        self._attempt(pid, theta=2.5, device=device, seconds=(0.5, 0.1))
        self.pop.planted["fast"] = {pid}


def ring_sheet_shows(pop: Population, min_shared_wrong: int = 3) -> bool:
    """Whether the planted ring's answers can show at all: some two members share at least
    `min_shared_wrong` identical wrong answers (else no pair of them is ever compared), and each
    member shares that many with the other members together. A ring copying a sheet with few
    wrong answers looks like strong honest people answering on their own."""
    ring = pop.planted.get("ring", set())
    wrong = {
        s.participant_id: {(q, o) for q, o, ok in s.answers if not ok}
        for s in pop.sheets
        if s.participant_id in ring
    }
    if len(wrong) < 2:
        return False
    pair = any(len(wrong[a] & wrong[b]) >= min_shared_wrong for a in wrong for b in wrong if a < b)
    each = all(
        len(mine & set().union(*(w for p, w in wrong.items() if p != pid))) >= min_shared_wrong
        for pid, mine in wrong.items()
    )
    return pair and each


def scenario(honest: int = 2000, seed: int = 7) -> Population:
    """The acceptance scenario: a ring of 5, 3 accounts on one device and one scripted fast
    submitter among `honest` independent participants."""
    r = Round(seed=seed)
    r.honest(honest)
    base = honest + 1
    r.ring(list(range(base, base + 5)))
    r.one_device(list(range(base + 5, base + 8)))
    r.scripted(base + 8)
    return r.pop
