"""The published contest that the benches and the multi-process tests take: one open round (the
one people start) drawing from a bank, after any closed weeks; and participants with an attempt
started, for the page benches."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

BANK_CSV = (
    Path(__file__).resolve().parent.parent / "question_banks" / "lang-son-2023" / "tuan-4.csv"
)


def open_round(
    db,
    slug: str,
    now: datetime,
    *,
    title_en: str = "Contest",
    max_attempts: int = 1,
    questions: int = 20,
    minutes: int = 30,
    prediction_vi: str = "",
    prediction_en: str = "",
    bank_id: int | None = None,
    closed_weeks: int = 0,
):
    """Create the published contest `slug` and return its open round (number `closed_weeks` + 1,
    open from an hour ago for a day), after `closed_weeks` weekly rounds that have closed. Every
    round draws `questions` from the bank `bank_id`, or from the Lạng Sơn week-4 bank (20
    questions), imported here, when none is given."""
    from sqlalchemy import select

    from contest.models import Round, RoundBank
    from contest.services import banks, contests
    from contest.services.context import SYSTEM

    def week(number: int, opens_at: datetime, closes_at: datetime) -> contests.RoundSpec:
        return contests.RoundSpec(
            number,
            f"Tuần {number}",
            f"Week {number}",
            opens_at,
            closes_at,
            questions_per_attempt=questions,
            time_limit_seconds=minutes * 60,
            max_attempts=max_attempts,
            prediction_vi=prediction_vi,
            prediction_en=prediction_en,
        )

    closed = tuple(
        week(
            n,
            now - timedelta(days=7 * (closed_weeks - n + 1) + 1),
            now - timedelta(days=7 * (closed_weeks - n) + 1),
        )
        for n in range(1, closed_weeks + 1)
    )
    contest = contests.create_contest(
        db,
        SYSTEM,
        contests.ContestSpec(
            status="published",
            slug=slug,
            title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
            title_en=title_en,
            organiser_vi="BAN TỔ CHỨC",
            place_vi="Lạng Sơn",
            rules_vi="Thể lệ.",
            rules_en="Rules.",
            min_age=12,
            age_cutoff=date(2023, 7, 3),
            rounds=(
                *closed,
                week(closed_weeks + 1, now - timedelta(hours=1), now + timedelta(days=1)),
            ),
        ),
    )
    if bank_id is None:
        report = banks.import_questions(
            db, SYSTEM, "tuan-4", [(BANK_CSV.name, BANK_CSV.read_bytes())], bank_title="Tuần 4"
        )
        assert report.ok and report.imported == 20, report.errors
        bank_id = banks.get_bank(db, "tuan-4").id
    rounds = (
        db.execute(select(Round).where(Round.contest_id == contest.id).order_by(Round.number))
        .scalars()
        .all()
    )
    for rnd in rounds:
        db.add(RoundBank(round_id=rnd.id, bank_id=bank_id))
    db.commit()
    return rounds[-1]


def start_attempt(db, rnd, now: datetime, citizen_id: str, phone: str) -> tuple[int, str]:
    """A participant of `rnd`'s contest with an attempt started: (attempt id, session token)."""
    from contest.models import Participant
    from contest.services import sessions, taking

    participant = Participant(
        contest_id=rnd.contest_id,
        full_name="Nguyễn Thị Hoà Bình",
        date_of_birth=date(1990, 8, 15),
        gender="female",
        citizen_id=citizen_id,
        phone=phone,
        password_hash="-",
        consent_version="2023-07",
        consent_at=now,
        registered_at=now,
    )
    db.add(participant)
    db.flush()
    attempt = taking.start_attempt(db, participant, rnd)
    return attempt.id, sessions.open_session(db, participant_id=participant.id)
