"""Staff accounts and participants: creation, registration, sign-in, personal-data export."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.citizen_id import normalise as normalise_citizen_id
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.messages import registration_attempt, registration_confirmed
from contest.domain.password_policy import password_problem
from contest.domain.registration import (
    CONSENT_VERSION,
    EntryRules,
    RegistrationInput,
    normalise_phone,
    validate_registration,
)
from contest.models import ROLES, Contest, Participant, StaffRole, StaffUser, Unit
from contest.repositories import accounts as account_rows
from contest.repositories import units as unit_rows
from contest.services import audit, messages, ratelimit, sessions, units
from contest.services.context import Actor
from contest.services.credentials import STAFF_MIN_PASSWORD_LENGTH
from contest.services.passwords import hash_password, is_common, needs_rehash, verify_password

_USERNAME = re.compile(r"[a-z0-9_.\-]{3,64}")

BAD_LOGIN = ContestError(
    "Tên đăng nhập hoặc mật khẩu không đúng.", "The username or password is not correct."
)


@transactional
def create_staff_user(
    db: Session, actor: Actor, *, username: str, full_name: str, password: str, roles: list[str]
) -> StaffUser:
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ContestError(
            "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.",
            "A username is 3–64 characters: lower-case letters, digits, dot, underscore, hyphen.",
            field="username",
        )
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ContestError(
            f"Vai trò không hợp lệ: {', '.join(unknown) or '(trống)'}. Chọn trong: {', '.join(ROLES)}.",
            f"Unknown role: {', '.join(unknown) or '(none)'}. Choose from: {', '.join(ROLES)}.",
            field="roles",
        )
    weak = password_problem(
        password,
        min_length=STAFF_MIN_PASSWORD_LENGTH,
        identifiers=[username, full_name],
        is_common=is_common,
    )
    if weak is not None:
        raise weak
    if db.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise ContestError(
            f"Tên đăng nhập '{username}' đã tồn tại.",
            f"The username '{username}' is taken.",
            field="username",
        )
    user = StaffUser(
        username=username,
        full_name=unicodedata.normalize("NFC", full_name.strip()),
        password_hash=hash_password(password),
        created_at=clock.now(),
        role_rows=[StaffRole(role=r) for r in sorted(set(roles))],
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor,
        "staff_user.create",
        "staff_user",
        user.id,
        {"username": username, "roles": sorted(set(roles))},
    )
    return user


def _typed(text: str) -> str:
    """A short digest of what was typed for an unknown account: people sometimes type their
    password into the username box, so the text itself is never stored or logged."""
    return "?" + hashlib.sha256(text.encode()).hexdigest()[:12]


def staff_sign_in(
    db: Session,
    *,
    username: str,
    password: str,
    ip: str,
    user_agent: str,
    device: str = "",
) -> tuple[StaffUser, str]:
    """Check the password and open a session; returns the user and the raw session token.

    `device` is the browser's device cookie: where this account signed in before, failures
    made elsewhere do not slow it (services/ratelimit.gate)."""
    username = (username or "").strip().lower()
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    who = str(user.id) if user else _typed(username)
    signin = ratelimit.gate(db, f"staff:{who}", ip, device or None)
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        ratelimit.record_failure(db, signin)
        audit.record(db, Actor("anonymous", ip=ip), "staff.sign_in_failed", "staff_user", who)
        db.commit()
        raise BAD_LOGIN
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    ratelimit.record_success(db, signin)
    token = sessions.open_session(
        db, staff_user_id=user.id, ip=ip, user_agent=user_agent, device=device
    )
    audit.record(
        db, Actor("staff", user.id, user.username, ip), "staff.sign_in", "staff_user", user.id
    )
    db.commit()
    return user, token


def unit_choices(db: Session, contest_id: int) -> list[Unit]:
    return unit_rows.units_of(db, contest_id)


def register_participant(
    db: Session,
    contest: Contest,
    data: RegistrationInput,
    *,
    ip: str,
    user_agent: str = "",
    device: str = "",
) -> Participant | None:
    """Validate and store the participant with their consent; they then sign in.

    Whether the CCCD or phone number is already registered is never said: the page answers
    the same either way. When it is, no account is made and the existing account's owner is
    told on their phone (and email) by a notice (models/notices.py); returns None.
    """
    ratelimit.hit_address(ip, "register")
    if not contest.registration_open:
        raise ContestError("Cuộc thi đã đóng đăng ký.", "Registration for this contest is closed.")
    valid = validate_registration(
        data,
        EntryRules(contest.min_age, contest.age_cutoff),
        clock.today_local(),
        is_common_password=is_common,
    )
    unit = registration_unit(db, contest, valid.unit_code)
    # Hashed whether or not an account is made, so the time taken tells nothing either.
    password_hash = hash_password(valid.password)
    holders = list(
        db.execute(
            select(Participant).where(
                Participant.contest_id == contest.id,
                or_(Participant.citizen_id == valid.citizen_id, Participant.phone == valid.phone),
            )
        ).scalars()
    )
    if holders:
        _tell_holders(db, contest, holders, ip)
        db.commit()
        return None
    now = clock.now()
    participant = Participant(
        contest_id=contest.id,
        full_name=valid.full_name,
        date_of_birth=valid.date_of_birth,
        gender=valid.gender,
        citizen_id=valid.citizen_id,
        phone=valid.phone,
        email=valid.email,
        unit_id=unit.id,
        password_hash=password_hash,
        consent_version=CONSENT_VERSION,
        consent_at=now,
        messages_consent=bool(data.messages_consent),
        messages_consent_at=now if data.messages_consent else None,
        registered_at=now,
        registered_ip=ip[:45],
        registered_device=device[:40],
    )
    db.add(participant)
    try:
        db.flush()
    except IntegrityError:
        # Two registrations with the same CCCD raced; the unique constraint decided, and the
        # answer is the same as for any registered number.
        db.rollback()
        return None
    actor = Actor("participant", participant.id, "", ip)
    audit.record(
        db,
        actor,
        "participant.register",
        "participant",
        participant.id,
        {
            "contest": contest.slug,
            "unit": unit.code,
            "consent_version": CONSENT_VERSION,
            "messages_consent": bool(data.messages_consent),
        },
    )
    messages.to_participant(
        db,
        participant,
        "registration_confirmed",
        registration_confirmed(messages.names(contest), messages.link(f"/c/{contest.slug}/login")),
        dedupe_key=f"registration_confirmed:{participant.id}",
    )
    db.commit()
    return participant


def registration_unit(db: Session, contest: Contest, unit_code: str) -> Unit:
    """The unit a registration names, if a participant may register in it."""
    unit = unit_rows.by_code(db, contest.id, unit_code)
    if unit is None:
        raise InvalidInput(
            [
                ContestError(
                    "Đơn vị đã chọn không thuộc cuộc thi này.",
                    "The unit chosen does not belong to this contest.",
                    field="unit_code",
                )
            ]
        )
    if not units.registrable(db, contest.id, unit):
        raise InvalidInput(
            [
                ContestError(
                    f"'{unit.name}' gồm nhiều đơn vị; hãy chọn đơn vị cụ thể nơi bạn học tập, "
                    "công tác hoặc cư trú.",
                    f"'{unit.name}' is made of several units: choose the one where you study, "
                    "work or live.",
                    field="unit_code",
                )
            ]
        )
    return unit


def _tell_holders(db: Session, contest: Contest, holders: list[Participant], ip: str) -> None:
    """A registration named someone's CCCD or phone: tell them, and keep a trace for staff."""
    text = registration_attempt(messages.names(contest))
    for holder in holders:
        channels = [("sms", holder.phone)] + ([("email", holder.email)] if holder.email else [])
        for channel, address in channels:
            messages.queue_message(
                db,
                "registration_attempt",
                text,
                channel=channel,
                address=address,
                participant=holder,
            )
        audit.queue(
            db,
            Actor("anonymous", ip=ip),
            "participant.register_taken",
            "participant",
            holder.id,
            {"contest": contest.slug},
        )


def participant_sign_in(
    db: Session,
    contest: Contest,
    *,
    login: str,
    password: str,
    ip: str,
    user_agent: str,
    device: str = "",
) -> tuple[Participant, str]:
    """Sign in with the CCCD or the phone number."""
    login = (login or "").strip()
    citizen_id = normalise_citizen_id(login)
    phone = normalise_phone(login)
    participant = db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id,
            or_(Participant.citizen_id == citizen_id, Participant.phone == phone),
        )
    ).scalar_one_or_none()
    # One counter per person, whether they type the CCCD or the phone number.
    key = f"participant:{contest.id}:" + (
        str(participant.id) if participant else _typed(citizen_id or phone or login)
    )
    signin = ratelimit.gate(db, key, ip, device or None)
    if (
        not verify_password(participant.password_hash if participant else None, password or "")
        or participant is None
    ):
        ratelimit.record_failure(db, signin)
        db.commit()
        raise ContestError(
            "Số CCCD/số điện thoại hoặc mật khẩu không đúng.",
            "The citizen ID/phone number or password is not correct.",
        )
    ratelimit.record_success(db, signin)
    token = sessions.open_session(
        db, participant_id=participant.id, ip=ip, user_agent=user_agent, device=device
    )
    audit.queue(
        db,
        Actor("participant", participant.id, "", ip),
        "participant.sign_in",
        "participant",
        participant.id,
    )
    db.commit()
    return participant, token


def personal_data(db: Session, participant: Participant) -> dict:
    """Everything stored about a participant, for their own download (Decree 13/2023, art. 14)."""
    unit = db.get(Unit, participant.unit_id) if participant.unit_id else None
    contest = db.get(Contest, participant.contest_id)
    return {
        "contest": contest.slug if contest else None,
        "full_name": participant.full_name,
        "date_of_birth": participant.date_of_birth.isoformat(),
        "gender": participant.gender,
        "citizen_id": participant.citizen_id,
        "phone": participant.phone,
        "email": participant.email,
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "registered_at": participant.registered_at.isoformat(),
        "consent": {
            "version": participant.consent_version,
            "at": participant.consent_at.isoformat(),
        },
    }


def export_personal_data(db: Session, participant: Participant, ip: str) -> dict:
    data = personal_data(db, participant)
    audit.record(
        db,
        Actor("participant", participant.id, "", ip),
        "participant.data_export",
        "participant",
        participant.id,
    )
    db.commit()
    return data


def get_staff(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.", "Account not found.")
    return user


def get_participant(db: Session, participant_id: int) -> Participant:
    participant = db.get(Participant, participant_id)
    if participant is None:
        raise NotFound("Không tìm thấy người dự thi.", "Participant not found.")
    return participant


def list_staff(db: Session) -> list[StaffUser]:
    return list(db.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


def staff_by_id(db: Session) -> dict[int, StaffUser]:
    return account_rows.staff_by_id(db)


def newest_participants(db: Session, contest: Contest, limit: int = 500) -> list:
    """(participant, unit name) rows for the organisers' list, the latest registrations first."""
    return account_rows.newest_participants(db, contest.id, limit)
