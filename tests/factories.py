"""Factories for test data, going through the same services the application uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from contest import clock
from contest.domain.registration import RegistrationInput
from contest.models import Contest, Participant, StaffUser
from contest.services import accounts, contests, units
from contest.services.context import SYSTEM

UNITS_CSV = (
    "code,name,parent_code,headcount\n"
    "LS,Tỉnh Lạng Sơn,,\n"
    "LS-TP,Thành phố Lạng Sơn,LS,820\n"
    "LS-TD,Huyện Tràng Định,LS,640\n"
    "LS-TP-CL,Phường Chi Lăng,LS-TP,45\n"
).encode()


def make_contest(db: Session, slug: str = "thu-nghiem", *, min_age: int = 12, with_units: bool = True) -> Contest:
    now = clock.now()
    spec = contests.ContestSpec(
        slug=slug,
        title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
        title_en="Digital transformation contest of Lạng Sơn province",
        organiser_vi="BAN TỔ CHỨC",
        place_vi="Lạng Sơn",
        rules_vi="## Đối tượng\n\nCông dân từ đủ 12 tuổi.",
        rules_en="## Who may enter\n\nCitizens aged 12 or more.",
        min_age=min_age,
        age_cutoff=date(2023, 7, 3),
        rounds=(
            contests.RoundSpec(1, "Tuần 1", "Week 1", now - timedelta(days=1), now + timedelta(days=6)),
        ),
    )
    contest = contests.create_contest(db, SYSTEM, spec)
    if with_units:
        result = units.import_units(db, SYSTEM, contest, UNITS_CSV, "units.csv")
        assert result.ok, result.errors
    return contest


def make_staff(db: Session, username: str, roles: list[str], password: str = "correct-horse-battery") -> StaffUser:
    return accounts.create_staff_user(db, SYSTEM, username=username, full_name=f"Cán bộ {username}",
                                      password=password, roles=roles)


def registration(**overrides: object) -> RegistrationInput:
    values = dict(
        full_name="Nguyễn Thị Hoà Bình",
        date_of_birth="15/08/1990",
        gender="female",
        citizen_id="020190012345",
        phone="0912345678",
        email="",
        unit_code="LS-TP-CL",
        password="mat-khau-bi-mat",
        consent=True,
    )
    values.update(overrides)
    return RegistrationInput(**values)  # type: ignore[arg-type]


def make_participant(db: Session, contest: Contest, **overrides: object) -> Participant:
    participant, _ = accounts.register_participant(db, contest, registration(**overrides), ip="127.0.0.1",
                                                   user_agent="pytest")
    return participant


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_award(contest: Contest, key: str, name: str = "Nguyễn Thị Hoà Bình", **overrides: object):
    """An approved prize line as the results service hands it to certificates."""
    from contest.domain.awards import AwardRecord

    values = dict(
        award_key=key, contest_id=contest.id, round_id=None, kind="prize", recipient_kind="individual",
        participant_id=None, unit_id=None, recipient_name=name, recipient_unit="Phường Chi Lăng",
        tier_code="third", tier_label_vi="Giải Ba",
        achievement_vi=f"Đã đạt Giải Ba {contest.title_vi} — Tuần 1",
    )
    values.update(overrides)
    return AwardRecord(**values)  # type: ignore[arg-type]
