"""A person's password, the one owner of setting it: changed while signed in, or set anew after a
reset (services/resets.py). Either way the NIST policy decides, and the person's other sessions end."""

from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from contest.db import transaction
from contest.domain.errors import ContestError
from contest.domain.password_policy import birth_date_forms, password_problem
from contest.domain.registration import MIN_PASSWORD_LENGTH
from contest.models import Participant, StaffUser
from contest.services import audit, ratelimit, sessions
from contest.services.context import Actor
from contest.services.passwords import hash_password, is_common, verify_password

# Staff accounts open the contest's data: a longer minimum than a participant's.
STAFF_MIN_PASSWORD_LENGTH = 10
# Guesses of the current password from one browser (a stolen session must not test passwords).
CHANGE_LIMIT_COUNT = 10
CHANGE_LIMIT = f"{CHANGE_LIMIT_COUNT}/15 minutes"

Person = Participant | StaffUser

WRONG_CURRENT = ContestError(
    "Mật khẩu hiện tại không đúng.",
    "The current password is not correct.",
    field="current_password",
)
MISMATCH = ContestError(
    "Hai lần nhập mật khẩu mới không giống nhau.",
    "The two new passwords do not match.",
    field="confirm_password",
)
SAME = ContestError(
    "Mật khẩu mới phải khác mật khẩu hiện tại.",
    "The new password must differ from the current one.",
    field="password",
)


def min_length(person: Person) -> int:
    return STAFF_MIN_PASSWORD_LENGTH if isinstance(person, StaffUser) else MIN_PASSWORD_LENGTH


def identifiers(person: Person) -> list[str]:
    """The person's own details, which a password may not contain."""
    if isinstance(person, StaffUser):
        return [person.username, person.full_name]
    dob = person.date_of_birth
    return [
        person.full_name,
        person.citizen_id,
        person.phone,
        person.email or "",
        *birth_date_forms(dob.day, dob.month, dob.year),
    ]


def check_new_password(person: Person, password: str, confirm: str | None = None) -> str:
    """The new password, NFC-normalised, or a bilingual refusal naming the field."""
    password = unicodedata.normalize("NFC", password or "")
    weak = password_problem(
        password,
        min_length=min_length(person),
        identifiers=identifiers(person),
        is_common=is_common,
    )
    if weak is not None:
        raise weak
    if confirm is not None and unicodedata.normalize("NFC", confirm) != password:
        raise MISMATCH
    return password


def owner_of_sessions(person: Person) -> dict[str, int]:
    if isinstance(person, StaffUser):
        return {"staff_user_id": person.id}
    return {"participant_id": person.id}


def _audit_target(person: Person) -> tuple[str, int]:
    return ("staff_user" if isinstance(person, StaffUser) else "participant", person.id)


def change_password(
    db: Session,
    actor: Actor,
    person: Person,
    *,
    current: str,
    new: str,
    confirm: str,
    keep_session_id: int | None,
) -> int:
    """Change a signed-in person's password; their other sessions end. Returns how many ended."""
    ratelimit.hit_address(actor.ip, f"password-change:{actor.audit_name}", CHANGE_LIMIT)
    if not verify_password(person.password_hash, current or ""):
        with transaction(db):  # the refusal is kept: the change itself is refused below
            audit.queue(db, actor, "password.change_refused", *_audit_target(person))
        raise WRONG_CURRENT
    password = check_new_password(person, new, confirm)
    if verify_password(person.password_hash, password):
        raise SAME
    with transaction(db):
        person.password_hash = hash_password(password)
        ended = sessions.end_sessions_of(
            db, **owner_of_sessions(person), keep_session_id=keep_session_id
        )
        audit.record(
            db, actor, "password.change", *_audit_target(person), {"sessions_ended": ended}
        )
    return ended


def set_password(db: Session, actor: Actor, person: Person, password: str, *, how: str) -> int:
    """Set a checked password after a reset, in the caller's transaction; every session of the
    person ends (whoever held one may be the reason for the reset). Returns how many ended."""
    person.password_hash = hash_password(password)
    ended = sessions.end_sessions_of(db, **owner_of_sessions(person))
    audit.record(
        db, actor, "password.reset", *_audit_target(person), {"by": how, "sessions_ended": ended}
    )
    return ended
