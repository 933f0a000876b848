"""Sign-in through a contest's OpenID provider: its settings, the identities linked to
participants, and the sign-ins in progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class IdentityProvider(Base):
    """A contest's OpenID provider (VNeID, a province's sign-on). The client secret is never
    stored: `secret_name` names an environment variable or a file that holds it
    (services/oidc.py), so a database dump or backup carries no secret."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), unique=True
    )
    name_vi: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    secret_name: Mapped[str] = mapped_column(String(64), default="")  # empty: public client
    scopes: Mapped[str] = mapped_column(String(300), default="openid profile")
    claim_citizen_id: Mapped[str] = mapped_column(String(100), default="citizen_id")
    claim_full_name: Mapped[str] = mapped_column(String(100), default="name")
    claim_birthdate: Mapped[str] = mapped_column(String(100), default="birthdate")
    claim_phone: Mapped[str] = mapped_column(String(100), default="phone_number")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class ParticipantIdentity(Base):
    """A participant's identity at the contest's provider (issuer + subject): the provider
    vouched for the account's CCCD, and signs it in from then on."""

    __tablename__ = "participant_identities"
    __table_args__ = (UniqueConstraint("contest_id", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), unique=True
    )
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OidcSignIn(Base):
    """One sign-in through the provider, from the button to the account. `state` and the
    browser cookie are stored as SHA-256 only; the row is single use (used_at). When the
    verified person has no account yet, `identity` holds the verified claims until the
    follow-up form is sent (then emptied)."""

    __tablename__ = "oidc_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(64), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identity: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
