"""Factories for test data, going through the same services the application uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError, InvalidInput
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


def make_contest(
    db: Session, slug: str = "thu-nghiem", *, min_age: int = 12, with_units: bool = True
) -> Contest:
    now = clock.now()
    spec = contests.ContestSpec(
        status="published",
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
            contests.RoundSpec(
                1, "Tuần 1", "Week 1", now - timedelta(days=1), now + timedelta(days=6)
            ),
        ),
    )
    contest = contests.create_contest(db, SYSTEM, spec)
    if with_units:
        result = units.import_units(db, SYSTEM, contest, UNITS_CSV, "units.csv")
        assert result.ok, result.errors
    return contest


def make_staff(
    db: Session, username: str, roles: list[str], password: str = "correct-horse-battery"
) -> StaffUser:
    return accounts.create_staff_user(
        db,
        SYSTEM,
        username=username,
        full_name=f"Cán bộ {username}",
        password=password,
        roles=roles,
    )


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
    participant = accounts.register_participant(
        db, contest, registration(**overrides), ip="127.0.0.1", user_agent="pytest"
    )
    if participant is None:  # the page would answer as for anyone; a test needs to know
        raise InvalidInput(
            [
                ContestError(
                    "CCCD hoặc số điện thoại đã có.", "Already registered.", field="citizen_id"
                )
            ]
        )
    return participant


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_round_bank(
    db: Session, rnd, count: int = 12, code: str = "ngan-hang-thu", multiple_every: int = 0
):
    """A bank of `count` questions linked to round `rnd`; question i's right option is (i % 4) + 1.

    With `multiple_every` = k, every k-th question has two right options (ids 1 and 2).
    """
    from contest.models import Question, QuestionBank, QuestionVersion, RoundBank

    bank = QuestionBank(code=code, title="Ngân hàng thử", revision=1, created_at=clock.now())
    db.add(bank)
    db.flush()
    for i in range(count):
        multiple = bool(multiple_every) and i % multiple_every == 0
        right = {1, 2} if multiple else {(i % 4) + 1}
        q = Question(
            bank_id=bank.id,
            fingerprint=f"fp-{code}-{i}",
            topic="Chuyển đổi số",
            difficulty="easy",
            position=i,
        )
        db.add(q)
        db.flush()
        v = QuestionVersion(
            question_id=q.id,
            version=1,
            stem=f"Câu hỏi số {i + 1} về chuyển đổi số ở Lạng Sơn?",
            options=[
                {"id": k, "text": f"Phương án {k} của câu {i + 1}", "correct": k in right}
                for k in range(1, 5)
            ],
            topic="Chuyển đổi số",
            difficulty="easy",
            explanation=f"Giải thích bí mật {i + 1}",
            created_at=clock.now(),
        )
        db.add(v)
        db.flush()
        q.current_version_id = v.id
    db.add(RoundBank(round_id=rnd.id, bank_id=bank.id))
    db.commit()
    return bank


def make_bank(db: Session, code: str = "ngan-hang-thu", questions: int = 10):
    """A bank of four-option questions whose correct option is always the first; returns the versions."""
    from contest.models import Question, QuestionBank, QuestionVersion

    now = clock.now()
    bank = QuestionBank(code=code, title=f"Ngân hàng {code}", created_at=now)
    db.add(bank)
    db.flush()
    versions = []
    for i in range(questions):
        q = Question(bank_id=bank.id, fingerprint=f"{code}-{i}", position=i)
        db.add(q)
        db.flush()
        v = QuestionVersion(
            question_id=q.id,
            version=1,
            stem=f"Câu hỏi số {i + 1} về chuyển đổi số?",
            created_at=now,
            options=[
                {"id": k + 1, "text": f"Phương án {'ABCD'[k]}", "correct": k == 0} for k in range(4)
            ],
        )
        db.add(v)
        db.flush()
        q.current_version_id = v.id
        versions.append(v)
    db.commit()
    return versions


def make_final_attempt(
    db: Session,
    round_,
    participant: Participant,
    versions,
    correct: int,
    *,
    seconds: float = 300,
    prediction: int | None = 5,
    number: int = 1,
    answered: int | None = None,
    start_offset: timedelta = timedelta(hours=1),
    materialise: bool = True,
    wrong_option: int = 2,
):
    """A final attempt on a paper of ``versions``: the first ``correct`` answers right, the next
    ones wrong up to ``answered``. ``materialise=False`` leaves it unscored, as an attempt that
    expired with nobody there to finalise it."""
    from contest.models import Answer, Attempt

    answered = len(versions) if answered is None else answered
    started = round_.opens_at + start_offset
    deadline = started + timedelta(seconds=round_.time_limit_seconds)
    finished = started + timedelta(seconds=seconds)
    paper = [{"q": v.question_id, "v": v.id, "o": [1, 2, 3, 4]} for v in versions]
    a = Attempt(
        round_id=round_.id,
        participant_id=participant.id,
        number=number,
        started_at=started,
        deadline_at=deadline,
        grace_seconds=30,
        paper=paper,
        question_count=len(versions),
        prediction=prediction,
        submitted_at=finished if materialise else None,
    )
    db.add(a)
    db.flush()
    for pos in range(answered):
        db.add(
            Answer(
                attempt_id=a.id,
                position=pos,
                chosen=[1] if pos < correct else [wrong_option],
                client_seq=1,
                saved_at=started,
            )
        )
    if materialise:
        a.correct, a.answered, a.score = correct, answered, float(correct)
        a.duration_ms, a.finalised_at, a.finish_reason = int(seconds * 1000), finished, "submitted"
    db.commit()
    return a


_CID_SEQ = iter(range(1, 10**6))


def make_entrant(
    db: Session,
    contest: Contest,
    name: str = "Nguyễn Văn An",
    unit_code: str = "LS-TP-CL",
    **overrides: object,
) -> Participant:
    """A participant with a fresh, valid CCCD and phone."""
    n = next(_CID_SEQ)
    values: dict[str, object] = dict(
        full_name=name,
        gender="male",
        date_of_birth="02/01/1985",
        citizen_id=f"020085{n:06d}",
        phone=f"09{n:08d}",
        unit_code=unit_code,
    )
    values.update(overrides)
    return make_participant(db, contest, **values)


def make_award(contest: Contest, key: str, name: str = "Nguyễn Thị Hoà Bình", **overrides: object):
    """An approved prize line as the results service hands it to certificates."""
    from contest.domain.awards import AwardRecord

    values = dict(
        award_key=key,
        contest_id=contest.id,
        round_id=None,
        kind="prize",
        recipient_kind="individual",
        participant_id=None,
        unit_id=None,
        recipient_name=name,
        recipient_unit="Phường Chi Lăng",
        tier_code="third",
        tier_label_vi="Giải Ba",
        achievement_vi=f"Đã đạt Giải Ba {contest.title_vi} — Tuần 1",
    )
    values.update(overrides)
    return AwardRecord(**values)  # type: ignore[arg-type]


def make_works_contest(
    db: Session, slug: str = "tac-pham-thu", *, days: int = 10, **settings: object
) -> Contest:
    """A works contest (Lạng Sơn test units) open for ``days`` more days, with the default rubric."""
    from contest.services import works

    contest = make_contest(db, slug)
    works.save_settings(
        db, SYSTEM, contest, deadline=clock.now() + timedelta(days=days), **settings
    )  # type: ignore[arg-type]
    return contest


def bulk_entrants(
    db: Session, contest: Contest, count: int, unit_code: str = "LS-TP-CL"
) -> list[Participant]:
    """Many participants at once, without the password hashing of a real registration."""
    from sqlalchemy import select

    from contest.models import Unit

    unit_id = db.execute(
        select(Unit.id).where(Unit.contest_id == contest.id, Unit.code == unit_code)
    ).scalar()
    now = clock.now()
    people = []
    for _ in range(count):
        n = next(_CID_SEQ)
        people.append(
            Participant(
                contest_id=contest.id,
                full_name=f"Lò Văn Tác Giả {n}",
                date_of_birth=date(1985, 1, 2),
                gender="male",
                citizen_id=f"014085{n:06d}",
                phone=f"08{n:08d}",
                unit_id=unit_id,
                password_hash="x",
                consent_version="test",
                consent_at=now,
                registered_at=now,
            )
        )
    db.add_all(people)
    db.commit()
    return people


PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf_file(tag: str = "") -> bytes:
    """A small PDF-looking file; ``tag`` makes its SHA-256 differ from other files."""
    return PDF_BYTES + f"% {tag}\n".encode()


WEEKLY_UNITS_CSV = (
    "code,name,parent_code,headcount\n"
    "LS,Tỉnh Lạng Sơn,,\n"
    "LS-TP,Thành phố Lạng Sơn,LS,100\n"
    "LS-TD,Huyện Tràng Định,LS,100\n"
    "LS-VL,Huyện Văn Lãng,LS,100\n"
    "LS-SNV,Sở Nội vụ,LS,20\n"
).encode()


def plan_tier(code, label, order, quota, **extra):
    return {
        "code": code,
        "label_vi": label,
        "label_en": code,
        "rank_order": order,
        "quota": quota,
        **extra,
    }


def make_weekly_contest(db: Session, slug: str, rounds: int = 1) -> Contest:
    """A contest of weekly rounds, the first open now, over a small unit tree of districts."""
    now = clock.now()
    spec = contests.ContestSpec(
        status="published",
        slug=slug,
        title_vi="Cuộc thi trắc nghiệm trực tuyến tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
        title_en="Digital transformation contest",
        organiser_vi="BAN TỔ CHỨC",
        place_vi="Lạng Sơn",
        rules_vi="",
        rules_en="",
        min_age=12,
        rounds=tuple(
            contests.RoundSpec(
                n,
                f"Tuần {n}",
                f"Week {n}",
                now - timedelta(days=1) + timedelta(days=7 * (n - 1)),
                now + timedelta(days=6) + timedelta(days=7 * (n - 1)),
            )
            for n in range(1, rounds + 1)
        ),
    )
    contest = contests.create_contest(db, SYSTEM, spec)
    assert units.import_units(db, SYSTEM, contest, WEEKLY_UNITS_CSV, "units.csv").ok
    return contest
