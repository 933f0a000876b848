"""Reading a contest's OpenID provider, the identities linked to participants and the sign-ins
in progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest.models import IdentityProvider, OidcSignIn, Participant, ParticipantIdentity


def provider_of(db: Session, contest_id: int) -> IdentityProvider | None:
    return db.execute(
        select(IdentityProvider).where(IdentityProvider.contest_id == contest_id)
    ).scalar_one_or_none()


def sign_in_by_state(db: Session, contest_id: int, state_hash: str) -> OidcSignIn | None:
    return db.execute(
        select(OidcSignIn).where(
            OidcSignIn.state_hash == state_hash, OidcSignIn.contest_id == contest_id
        )
    ).scalar_one_or_none()


def waiting_sign_in(db: Session, contest_id: int, browser_hash: str) -> OidcSignIn | None:
    """The browser's latest verified sign-in whose follow-up form is not sent yet."""
    return db.execute(
        select(OidcSignIn)
        .where(
            OidcSignIn.contest_id == contest_id,
            OidcSignIn.browser_hash == browser_hash,
            OidcSignIn.identity.is_not(None),
            OidcSignIn.completed_at.is_(None),
        )
        .order_by(OidcSignIn.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def sign_ins_before(db: Session, cutoff: datetime) -> list[OidcSignIn]:
    return list(db.execute(select(OidcSignIn).where(OidcSignIn.created_at < cutoff)).scalars())


def link_of(db: Session, contest_id: int, issuer: str, subject: str) -> ParticipantIdentity | None:
    return db.execute(
        select(ParticipantIdentity).where(
            ParticipantIdentity.contest_id == contest_id,
            ParticipantIdentity.issuer == issuer,
            ParticipantIdentity.subject == subject,
        )
    ).scalar_one_or_none()


def link_of_participant(db: Session, participant_id: int) -> ParticipantIdentity | None:
    return db.execute(
        select(ParticipantIdentity).where(ParticipantIdentity.participant_id == participant_id)
    ).scalar_one_or_none()


def participant_by_citizen_id(db: Session, contest_id: int, citizen_id: str) -> Participant | None:
    return db.execute(
        select(Participant).where(
            Participant.contest_id == contest_id, Participant.citizen_id == citizen_id
        )
    ).scalar_one_or_none()


def phone_used_by_another(db: Session, contest_id: int, phone: str, citizen_id: str) -> bool:
    """Whether an account other than the one holding `citizen_id` has this phone number."""
    return (
        db.execute(
            select(Participant.id).where(
                Participant.contest_id == contest_id,
                Participant.phone == phone,
                Participant.citizen_id != citizen_id,
            )
        ).first()
        is not None
    )
