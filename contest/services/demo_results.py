"""Demo results: generated participants and attempts for week 1, screened, ranked and published.

Deterministic (fixed seed) and idempotent, so `make run` shows a newcomer the whole
lifecycle: a closed round, flags decided with reasons, an approved and published prize
list and a collective ranking."""

from __future__ import annotations

import random
import tomllib
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.paper import PaperItem, read_options
from contest.domain.registration import CONSENT_VERSION
from contest.models import (
    Answer,
    Attempt,
    Contest,
    Participant,
    PrizeList,
    PrizePlanRecord,
    Question,
    QuestionVersion,
    Round,
    RoundBank,
    RoundResult,
    StaffUser,
    Unit,
)
from contest.repositories import units as unit_rows
from contest.services import banks, passwords, prize_lists, prize_plans, prizes, results, screening
from contest.services.context import SYSTEM, Actor

SEED = 2023
PARTICIPANTS = 320

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Hà",
    "Vi",
    "Lương",
    "Nông",
    "Hoàng",
    "Lộc",
    "Chu",
    "Đinh",
    "Vũ",
    "Đặng",
    "Bùi",
    "Lăng",
    "Mã",
    "Triệu",
    "Dương",
]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Xuân", "Công"]
MIDDLE_F = ["Thị", "Thu", "Thanh", "Ngọc", "Minh", "Hồng", "Thị Thu", "Phương"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Hiếu",
    "Đạt",
    "Lộc",
    "Mạnh",
    "Trọng",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phượng",
    "Quỳnh",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
]

INDIVIDUAL_PLAN = {
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất",
            "label_en": "First prize",
            "rank_order": 1,
            "quota": 1,
        },
        {
            "code": "second",
            "label_vi": "Giải Nhì",
            "label_en": "Second prize",
            "rank_order": 2,
            "quota": 2,
        },
        {
            "code": "third",
            "label_vi": "Giải Ba",
            "label_en": "Third prize",
            "rank_order": 3,
            "quota": 3,
        },
        {
            "code": "consolation",
            "label_vi": "Giải Khuyến khích",
            "label_en": "Consolation prize",
            "rank_order": 4,
            "quota": 5,
        },
    ],
    "order": ["correct", "prediction_error", "duration", "submitted_at"],
    "tie_rule": "committee",
    "one_prize_per_person": True,
}


def _collective_plan(units: list[Unit]) -> dict:
    by_id = {u.id: u for u in units}
    pools = {}
    for u in units:
        parent = by_id.get(u.parent_id) if u.parent_id else None
        if parent is not None and parent.code == "LS-CQ":
            pools[u.code] = "agencies"
        elif parent is not None and parent.parent_id is None and u.code != "LS-CQ":
            pools[u.code] = "districts"
    quotas = {"first": (0, 1), "second": (1, 1), "third": (1, 2), "consolation": (3, 4)}
    labels = {
        "first": ("Giải Nhất", "First prize"),
        "second": ("Giải Nhì", "Second prize"),
        "third": ("Giải Ba", "Third prize"),
        "consolation": ("Giải Khuyến khích", "Consolation prize"),
    }
    return {
        "criterion": "participation_rate",
        # The demo rules: equal rates go to more participants, then the higher mean score.
        "keys": ["participants", "mean_score"],
        "pools": ["agencies", "districts"],
        "roll_up": True,
        "tiers": [
            {
                "code": c,
                "label_vi": labels[c][0],
                "label_en": labels[c][1],
                "rank_order": i + 1,
                "quota": 0,
                "group_quotas": {"agencies": a, "districts": d},
            }
            for i, (c, (a, d)) in enumerate(quotas.items())
        ],
        "unit_pools": pools,
    }


def _staff(db: Session, username: str) -> Actor:
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
    return Actor("staff", user.id, user.username)


def _round_versions(
    db: Session, round_: Round, spec: dict, demo_dir: Path
) -> list[QuestionVersion]:
    """The round's questions; the bank is imported here only when nothing else has done so."""
    bank_ids = list(
        db.execute(select(RoundBank.bank_id).where(RoundBank.round_id == round_.id)).scalars()
    )
    if not bank_ids and spec.get("bank_code"):
        bank = banks.find_bank(db, spec["bank_code"])
        if bank is None and spec.get("bank_file"):
            path = demo_dir / spec["bank_file"]
            report = banks.import_questions(
                db,
                SYSTEM,
                spec["bank_code"],
                [(path.name, path.read_bytes())],
                bank_title=spec.get("bank_title_vi"),
            )
            if not report.ok:
                return []
            bank = banks.find_bank(db, spec["bank_code"])
        if bank is not None:
            db.add(RoundBank(round_id=round_.id, bank_id=bank.id))
            db.commit()
            bank_ids = [bank.id]
    if not bank_ids:
        return []
    return list(
        db.execute(
            select(QuestionVersion)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(Question.bank_id.in_(bank_ids), Question.retired_at.is_(None))
            .order_by(Question.id)
        ).scalars()
    )


def _people(
    db: Session, contest: Contest, rng: random.Random, leaves: list[Unit]
) -> list[Participant]:
    existing = list(
        db.execute(
            select(Participant).where(
                Participant.contest_id == contest.id, Participant.phone.like("0359%")
            )
        ).scalars()
    )
    if existing:
        return existing
    password_hash = passwords.hash_password("demo-thi-sinh-2023")
    registered = contest.rounds[0].opens_at - timedelta(days=2)
    people = []
    for i in range(PARTICIPANTS):
        female = rng.random() < 0.5
        year = rng.randint(1968, 2004)
        if i in (17, 141):  # under age on the cut-off: the screening flags them
            year = (contest.age_cutoff.year if contest.age_cutoff else 2023) - 10
        born = date(year, rng.randint(1, 12), rng.randint(1, 28))
        century = (year // 100 - 19) * 2 + (1 if female else 0)
        cid = f"020{century}{year % 100:02d}{700000 + i:06d}"
        name = " ".join(
            [
                rng.choice(FAMILY),
                rng.choice(MIDDLE_F if female else MIDDLE_M),
                rng.choice(GIVEN_F if female else GIVEN_M),
            ]
        )
        unit = rng.choice(leaves)
        group = (
            "official"
            if unit.code.startswith("LS-CQ")
            else rng.choice(["official", "student", "other"])
        )
        people.append(
            Participant(
                contest_id=contest.id,
                full_name=name,
                date_of_birth=born,
                gender="female" if female else "male",
                citizen_id=cid,
                phone=f"0359{i:06d}",
                unit_id=unit.id,
                participant_group=group,
                password_hash=password_hash,
                consent_version=CONSENT_VERSION,
                consent_at=registered,
                registered_at=registered + timedelta(minutes=i * 7),
            )
        )
    db.add_all(people)
    db.commit()
    return people


def _attempts(
    db: Session,
    round_: Round,
    people: list[Participant],
    versions: list[QuestionVersion],
    rng: random.Random,
) -> None:
    per_paper = min(round_.questions_per_attempt, len(versions))
    window = (round_.closes_at - round_.opens_at).total_seconds() - round_.time_limit_seconds - 60
    for index, p in enumerate(people):
        ability = rng.betavariate(6, 1.6)
        tries = 1 if rng.random() < 0.7 else rng.randint(2, max(2, round_.max_attempts or 2))
        for number in range(1, tries + 1):
            started = round_.opens_at + timedelta(seconds=rng.uniform(0, window))
            paper_versions = rng.sample(versions, per_paper)
            paper = []
            chosen_rows = []
            for pos, v in enumerate(paper_versions):
                options = read_options(v.options)
                ids = [o.id for o in options]
                rng.shuffle(ids)
                paper.append(PaperItem(v.question_id, v.id, tuple(ids)).to_json())
                keyed = [o.id for o in options if o.correct]
                if index % 53 == 5 and pos >= per_paper - 2:
                    continue  # left unanswered: a flag the committee sees
                right = rng.random() < ability
                wrong = [i for i in ids if i not in keyed] or keyed
                chosen_rows.append((pos, keyed if right else [rng.choice(wrong)]))
            seconds = rng.uniform(90, round_.time_limit_seconds - 30)
            if index % 71 == 3 and number == 1:
                seconds = rng.uniform(4, 8)  # implausibly fast
            deadline = min(started + timedelta(seconds=round_.time_limit_seconds), round_.closes_at)
            a = Attempt(
                round_id=round_.id,
                participant_id=p.id,
                number=number,
                started_at=started,
                deadline_at=deadline,
                grace_seconds=round_.grace_seconds,
                paper=paper,
                question_count=per_paper,
                submitted_at=started + timedelta(seconds=seconds),
                prediction=max(0, int(rng.gauss(80, 25))),
            )
            db.add(a)
            db.flush()
            for pos, chosen in chosen_rows:
                db.add(
                    Answer(
                        attempt_id=a.id, position=pos, chosen=chosen, client_seq=1, saved_at=started
                    )
                )
    db.commit()


def load_demo_results(db: Session, contest: Contest, demo_dir: Path) -> None:
    """Week 1 of the demo: attempts, close, screening, prizes; each step skipped once done."""
    round_ = next((r for r in contest.rounds if r.number == 1), None)
    if round_ is None or clock.now() < round_.closes_at:
        return
    raw = tomllib.loads((demo_dir / "contest.toml").read_text(encoding="utf-8"))
    spec = next((r for r in raw.get("rounds", []) if r["number"] == 1), {})
    rng = random.Random(SEED)
    units = unit_rows.units_of(db, contest.id)
    parents = {u.parent_id for u in units}
    leaves = [u for u in units if u.id not in parents]
    if not leaves:
        return
    if not db.execute(select(Attempt.id).where(Attempt.round_id == round_.id).limit(1)).first():
        versions = _round_versions(db, round_, spec, demo_dir)
        if len(versions) < 4:
            return
        _attempts(db, round_, _people(db, contest, rng, leaves), versions, rng)
    member, chair = _staff(db, "giamkhao"), _staff(db, "truongban")
    if prize_plans.plan_for(db, contest.id, None, required=False) is None:
        prize_plans.save_plan(db, SYSTEM, contest, INDIVIDUAL_PLAN)
    if not db.execute(
        select(PrizePlanRecord.id).where(
            PrizePlanRecord.contest_id == contest.id,
            PrizePlanRecord.kind == "collective",
        )
    ).first():
        prize_plans.save_plan(db, SYSTEM, contest, _collective_plan(units), kind="collective")
    if db.get(RoundResult, round_.id) is None:
        results.close_round(db, member, round_)
        _decide_flags(db, member, chair, round_)
        results.close_round(
            db, member, round_
        )  # the decisions change who counts for the true figure
    if prize_lists.latest_list(db, contest.id, round_.id, "individual") is None:
        report = prizes.allocate(db, member, round_)
        # One prize in the whole contest: an earlier winner of a higher prize here makes a
        # correction of that round's list, approved before this one.
        for correction in report.corrections:
            _lifecycle(db, member, chair, correction)
        _lifecycle(db, member, chair, report.prize_list)
    if prize_lists.latest_list(db, contest.id, None, "collective") is None:
        _lifecycle(db, member, chair, prizes.allocate_collectives(db, member, contest))


def _decide_flags(db: Session, member: Actor, chair: Actor, round_: Round) -> None:
    rows = screening.flag_rows(db, round_, state="open")
    fast = [r.attempt.id for r in rows if "implausibly_fast" in r.codes]
    young = sorted({r.participant.id for r in rows if "under_age" in r.codes})
    unanswered = [r.attempt.id for r in rows if r.codes == ("unanswered_questions",)]
    if fast:
        screening.decide(
            db,
            member,
            round_,
            "attempt",
            fast,
            False,
            "Thời gian làm bài quá ngắn so với số câu hỏi; không công nhận bài thi.",
        )
    if young:
        screening.decide(
            db,
            chair,
            round_,
            "participant",
            young,
            False,
            "Chưa đủ 12 tuổi tính đến ngày chốt theo thể lệ.",
        )
    if unanswered:
        # One is accepted on appeal to show a reversal of the default; the rest stay open for review.
        screening.decide(
            db,
            chair,
            round_,
            "attempt",
            unanswered[:1],
            True,
            "Mất kết nối ở hai câu cuối, đã xác minh nhật ký lưu bài; Ban Tổ chức chấp nhận.",
        )


def _lifecycle(db: Session, member: Actor, chair: Actor, pl: PrizeList) -> None:
    if any(e.tier_code == "undecided" for e in pl.entries):
        return  # a tie at a boundary waits for the committee, as in a real round
    if pl.status == "draft":
        prize_lists.propose(db, member, pl)
    prize_lists.approve(db, chair, pl)
    prize_lists.publish(db, chair, pl)
