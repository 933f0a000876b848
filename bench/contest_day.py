"""The contest the page benches render: published, one open round of 20 questions in 30 minutes
drawn from the Lạng Sơn week-4 bank, and participants each with an attempt started."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

BANK_CSV = (
    Path(__file__).resolve().parent.parent / "question_banks" / "lang-son-2023" / "tuan-4.csv"
)


def open_round(db, slug: str, now: datetime, prediction_vi: str = ""):
    """Create the contest called `slug` and return its open round, the bank attached."""
    from sqlalchemy import select

    from contest.models import Round, RoundBank
    from contest.services import banks, contests
    from contest.services.context import SYSTEM

    contest = contests.create_contest(
        db,
        SYSTEM,
        contests.ContestSpec(
            status="published",
            slug=slug,
            title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
            title_en="Contest",
            organiser_vi="BAN TỔ CHỨC",
            place_vi="Lạng Sơn",
            rules_vi="Thể lệ.",
            rules_en="Rules.",
            min_age=12,
            age_cutoff=date(2023, 7, 3),
            rounds=(
                contests.RoundSpec(
                    1,
                    "Tuần 4",
                    "Week 4",
                    now - timedelta(hours=1),
                    now + timedelta(days=1),
                    questions_per_attempt=20,
                    time_limit_seconds=30 * 60,
                    prediction_vi=prediction_vi,
                ),
            ),
        ),
    )
    banks.import_questions(db, SYSTEM, "tuan-4", [(BANK_CSV.name, BANK_CSV.read_bytes())])
    rnd = db.execute(select(Round).where(Round.contest_id == contest.id)).scalar_one()
    db.add(RoundBank(round_id=rnd.id, bank_id=banks.get_bank(db, "tuan-4").id))
    db.commit()
    return rnd


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
