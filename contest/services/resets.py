"""Getting back into an account: a reset link by email, a code by SMS, a code from the helpdesk.

Asking never says whether an account exists: the same answer, and the messages leave through the
outbox, so the time taken tells nothing either. A link or code works once, expires, and only its
HMAC is stored; a new one supersedes the older ones. Using it sets the new password through
services/credentials.py, which ends every session of the person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.db import transaction, transactional
from contest.domain import messages as texts
from contest.domain.citizen_id import normalise as normalise_citizen_id
from contest.domain.errors import ContestError, NotFound
from contest.domain.registration import normalise_phone
from contest.domain.resets import (
    CODE_DIGITS,
    INVALID_LINK,
    MAX_WRONG_CODES,
    WRONG_CODE,
    ResetView,
    check_helpdesk_verification,
    refusal,
)
from contest.models import Contest, Notice, Participant, PasswordReset, StaffUser
from contest.repositories import identity as identity_rows
from contest.services import audit, credentials, messages, ratelimit
from contest.services.context import Actor
from contest.services.oidc import NO_PASSWORD

# An account linked to a contest's identity provider signs in there only: a password set by a
# reset would open it to whoever holds the phone, and undo what the provider verified.
PROVIDER_ONLY = ContestError(
    "Tài khoản này đăng nhập qua nhà cung cấp định danh của cuộc thi (ví dụ VNeID), không dùng "
    "mật khẩu. Hãy dùng nút đăng nhập của nhà cung cấp.",
    "This account signs in through the contest's identity provider (e.g. VNeID), not with a "
    "password. Use the provider's sign-in button.",
)


def provider_only(person: Person) -> bool:
    return isinstance(person, Participant) and person.password_hash == NO_PASSWORD


Person = Participant | StaffUser


def _digest(secret: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, b"password-reset:" + secret.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _owner(person: Person) -> dict[str, int]:
    if isinstance(person, StaffUser):
        return {"staff_user_id": person.id}
    return {"participant_id": person.id}


def _supersede(db: Session, person: Person, status: str = "superseded") -> None:
    """End the person's live links and codes: a newer one was issued, or (`used`) the password
    was just reset, which spends every way in that was still open."""
    owner = (
        PasswordReset.staff_user_id == person.id
        if isinstance(person, StaffUser)
        else PasswordReset.participant_id == person.id
    )
    db.execute(
        update(PasswordReset)
        .where(owner, PasswordReset.status == "active")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def _issue(
    db: Session,
    person: Person,
    channel: str,
    secret: str,
    minutes: int,
    ip: str,
    *,
    supersede: bool = True,
    **helpdesk: object,
) -> PasswordReset:
    """A new reset; the person's older ones stop working unless the caller already did that."""
    if supersede:
        _supersede(db, person)
    now = clock.now()
    reset = PasswordReset(
        **_owner(person),
        channel=channel,
        secret_hash=_digest(secret),
        status="active",
        wrong_codes=0,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        ip=ip[:64],
        issued_by=str(helpdesk.get("issued_by", ""))[:120],
        checks=list(helpdesk.get("checks", [])),  # type: ignore[call-overload]
        note=str(helpdesk.get("note", "")),
    )
    db.add(reset)
    db.flush()
    return reset


# --- asking for a reset ------------------------------------------------------------------------


def sms_available() -> bool:
    return "sms" in messages.configured_channels()


def _limit(ip: str, account_key: str) -> None:
    settings = get_settings()
    ratelimit.hit_address(ip, "password-reset", settings.reset_limit_per_address)
    # Counted on what was typed, whether or not it names an account: the limit says nothing.
    ratelimit.hit_address(account_key, "password-reset-account", settings.reset_limit_per_account)


def find_participant(db: Session, contest: Contest, login: str) -> Participant | None:
    login = (login or "").strip()
    citizen_id, phone = normalise_citizen_id(login), normalise_phone(login)
    if not (citizen_id or phone):
        return None
    return db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id,
            or_(Participant.citizen_id == citizen_id, Participant.phone == phone),
        )
    ).scalar_one_or_none()


def request_participant_reset(db: Session, contest: Contest, login: str, ip: str) -> list[Notice]:
    """Send a reset link to the person's email (if they gave one) and a code by SMS (where a
    gateway is configured). Returns the queued messages for `messages.dispatch` after this
    commits; the caller answers the same whatever it returns."""
    typed = normalise_citizen_id(login) or normalise_phone(login) or (login or "").strip()
    _limit(ip, f"participant:{contest.id}:{typed}")
    with transaction(db):
        participant = find_participant(db, contest, login)
        actor = Actor("anonymous", ip=ip)
        if participant is None:
            audit.queue(db, actor, "password.reset_requested_unknown", "contest", contest.id)
            return []
        if provider_only(participant):
            audit.queue(db, actor, "password.reset_provider_only", "participant", participant.id)
            # No code: tell the person which button signs them in instead.
            return _tell_provider_only(db, contest, participant)
        queued = _send_participant_reset(db, contest, participant, ip)
        audit.queue(
            db,
            actor,
            "password.reset_requested",
            "participant",
            participant.id,
            {"channels": sorted({n.channel for n in queued})},
        )
    return queued


def _send_participant_reset(
    db: Session, contest: Contest, participant: Participant, ip: str
) -> list[Notice]:
    settings = get_settings()
    names = messages.names(contest)
    queued: list[Notice | None] = []
    # The link and the code are issued together and end the older ones; with neither channel
    # nothing is superseded, so typing someone's CCCD cannot void their helpdesk code.
    if participant.email or sms_available():
        _supersede(db, participant)
    if participant.email:
        token = secrets.token_urlsafe(32)
        _issue(db, participant, "email", token, settings.reset_link_minutes, ip, supersede=False)
        url = messages.link(f"/c/{contest.slug}/reset/{token}")
        queued.append(
            messages.queue_message(
                db,
                "password_reset_link",
                texts.reset_link(names, url, settings.reset_link_minutes),
                channel="email",
                address=participant.email,
                participant=participant,
            )
        )
    if sms_available():
        code = _new_code()
        _issue(db, participant, "sms", code, settings.reset_code_minutes, ip, supersede=False)
        queued.append(
            messages.queue_message(
                db,
                "password_reset_code",
                texts.reset_code(names, code, settings.reset_code_minutes),
                channel="sms",
                address=participant.phone,
                participant=participant,
            )
        )
    return [n for n in queued if n is not None]


def _tell_provider_only(db: Session, contest: Contest, participant: Participant) -> list[Notice]:
    provider = identity_rows.provider_of(db, contest.id)
    name_vi = provider.name_vi if provider else "nhà cung cấp định danh"
    name_en = provider.name_en if provider else "the identity provider"
    text = texts.reset_not_needed(messages.names(contest), name_vi, name_en)
    channels = [("sms", participant.phone)]
    if participant.email:
        channels.append(("email", participant.email))
    queued = [
        messages.queue_message(
            db, "password_reset_linked", text, channel=c, address=a, participant=participant
        )
        for c, a in channels
    ]
    return [n for n in queued if n is not None]


def request_staff_reset(db: Session, username: str, ip: str) -> list[Notice]:
    """A reset link to a staff member's email, if the account has one; the same answer otherwise."""
    username = (username or "").strip().lower()
    _limit(ip, f"staff:{username}")
    with transaction(db):
        user = db.execute(
            select(StaffUser).where(StaffUser.username == username)
        ).scalar_one_or_none()
        actor = Actor("anonymous", ip=ip)
        if user is None or not user.is_active or not user.email:
            audit.queue(db, actor, "password.reset_requested_unknown", "staff_user", "")
            return []
        minutes = get_settings().reset_link_minutes
        token = secrets.token_urlsafe(32)
        _issue(db, user, "email", token, minutes, ip)
        notice = messages.queue_message(
            db,
            "password_reset_link",
            texts.reset_link(None, messages.link(f"/staff/reset/{token}"), minutes),
            channel="email",
            address=user.email,
            staff_user_id=user.id,
        )
        audit.queue(db, actor, "password.reset_requested", "staff_user", user.id)
    return [notice] if notice is not None else []


# --- the helpdesk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    reset: PasswordReset
    code: str  # shown once, to the helpdesk, to read to the person


def helpdesk_lookup(db: Session, contest: Contest, login: str) -> Participant | None:
    """The participant a helpdesk call is about, by CCCD or phone number."""
    return find_participant(db, contest, login)


def issue_helpdesk_code(
    db: Session,
    actor: Actor,
    participant: Participant,
    *,
    checks: list[str],
    note: str,
) -> IssuedCode:
    """A one-time code for a person the helpdesk verified; what was checked is recorded."""
    ratelimit.hit_address(actor.audit_name, "helpdesk-codes", "30/hour")
    if provider_only(participant):
        raise PROVIDER_ONLY
    chosen, note = check_helpdesk_verification(checks, note)
    code = _new_code()
    with transaction(db):
        reset = _issue(
            db,
            participant,
            "helpdesk",
            code,
            get_settings().reset_helpdesk_minutes,
            actor.ip,
            issued_by=actor.audit_name,
            checks=chosen,
            note=note,
        )
        audit.record(
            db,
            actor,
            "password.helpdesk_code",
            "participant",
            participant.id,
            {"reset": reset.id, "checks": chosen, "note": note},
        )
    return IssuedCode(reset, code)


# --- using a link or a code --------------------------------------------------------------------


def _view(reset: PasswordReset) -> ResetView:
    return ResetView(reset.status, reset.expires_at, reset.wrong_codes)


def reset_for_link(db: Session, token: str, *, staff: bool) -> PasswordReset:
    """The reset behind an email link, or a bilingual refusal (used, expired, superseded)."""
    reset = (
        db.execute(
            select(PasswordReset).where(PasswordReset.secret_hash == _digest(token or ""))
        ).scalar_one_or_none()
        if token and len(token) <= 100
        else None
    )
    if reset is None or reset.channel != "email" or (reset.staff_user_id is not None) != staff:
        raise INVALID_LINK
    problem = refusal(_view(reset), clock.now(), "link")
    if problem is not None:
        raise problem
    return reset


def person_of(db: Session, reset: PasswordReset) -> Person:
    person: Person | None = (
        db.get(StaffUser, reset.staff_user_id)
        if reset.staff_user_id is not None
        else db.get(Participant, reset.participant_id)
    )
    if person is None:
        raise NotFound("Không tìm thấy tài khoản.", "Account not found.")
    return person


def complete_with_link(
    db: Session, token: str, password: str, confirm: str, ip: str, *, staff: bool
) -> Person:
    """Set the new password through an email link; the link is spent and every session ends."""
    ratelimit.hit_address(ip, "password-reset-use", get_settings().reset_limit_per_address)
    with transaction(db):
        reset = reset_for_link(db, token, staff=staff)
        person = person_of(db, reset)
        new = credentials.check_new_password(person, password, confirm)
        _spend(db, reset, person, new, ip)
    return person


def complete_with_code(
    db: Session, contest: Contest, login: str, code: str, password: str, confirm: str, ip: str
) -> Participant:
    """Set the new password with a code (SMS or helpdesk) typed with the CCCD or phone number."""
    ratelimit.hit_address(ip, "password-reset-use", get_settings().reset_limit_per_address)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    participant = find_participant(db, contest, login)
    active = (
        list(
            db.execute(
                select(PasswordReset)
                .where(
                    PasswordReset.participant_id == participant.id,
                    PasswordReset.channel.in_(("sms", "helpdesk")),
                )
                .order_by(PasswordReset.id.desc())
                .limit(5)
            ).scalars()
        )
        if participant is not None
        else []
    )
    digest = _digest(code) if len(code) == CODE_DIGITS else ""
    matching = next((r for r in active if hmac.compare_digest(r.secret_hash, digest)), None)
    if participant is None or matching is None:
        _count_wrong_code(db, active)
        raise WRONG_CODE
    problem = refusal(_view(matching), clock.now(), "code")
    if problem is not None:
        raise problem
    with transaction(db):
        new = credentials.check_new_password(participant, password, confirm)
        _spend(db, matching, participant, new, ip)
    return participant


def _count_wrong_code(db: Session, resets: list[PasswordReset]) -> None:
    """A wrong code counts against the person's live code: after a few it is locked."""
    live = next((r for r in resets if r.status == "active"), None)
    if live is None:
        return
    with transaction(db):
        live.wrong_codes += 1
        if live.wrong_codes >= MAX_WRONG_CODES:
            live.status = "locked"


def _spend(db: Session, reset: PasswordReset, person: Person, password: str, ip: str) -> None:
    # Guarded on the state, so two tabs using one link at once spend it once.
    spent = db.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.status == "active")
        .values(status="used", used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise refusal(ResetView("used", reset.expires_at), clock.now()) or INVALID_LINK
    if provider_only(person):  # linked to the provider after this link or code was issued
        raise PROVIDER_ONLY
    _supersede(db, person, "used")
    kind = "staff" if isinstance(person, StaffUser) else "participant"
    credentials.set_password(
        db, Actor(kind, person.id, "", ip), person, password, how=reset.channel
    )
    _tell_reset_done(db, person)


def _tell_reset_done(db: Session, person: Person) -> None:
    """A security notice on every channel the person has: if it was not them, they know."""
    if isinstance(person, StaffUser):
        if person.email:
            messages.queue_message(
                db,
                "password_reset_done",
                texts.reset_done(None),
                channel="email",
                address=person.email,
                staff_user_id=person.id,
            )
        return
    contest = db.get(Contest, person.contest_id)
    text = texts.reset_done(messages.names(contest) if contest else None)
    channels = [("email", person.email)] if person.email else []
    if sms_available():
        channels.append(("sms", person.phone))
    for channel, address in channels:
        messages.queue_message(
            db, "password_reset_done", text, channel=channel, address=address, participant=person
        )


@transactional
def set_staff_email(db: Session, actor: Actor, username: str, email: str) -> StaffUser:
    """Where a staff member's reset links go (empty: nowhere; an administrator helps)."""
    user = db.execute(
        select(StaffUser).where(StaffUser.username == (username or "").strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.", "Account not found.", field="username")
    email = (email or "").strip()
    if email and ("@" not in email or len(email) > 200):
        raise ContestError(
            "Địa chỉ email không hợp lệ.", "The email address is not valid.", field="email"
        )
    user.email = email or None
    audit.record(db, actor, "staff_user.email", "staff_user", user.id, {"set": bool(email)})
    return user
