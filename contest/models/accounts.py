"""Staff users with roles, participants, and server-side sessions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.domain.permissions import ROLES as ROLES  # the roles are defined with their groups
from contest.models.base import Base, UTCDateTime


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Where a reset link goes (optional; without it, an administrator helps).
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[StaffRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class StaffRole(Base):
    __tablename__ = "staff_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Participant(Base):
    """A person registered for one contest; identity is the CCCD, unique per contest."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("contest_id", "citizen_id"),
        UniqueConstraint("contest_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(8))  # male | female
    citizen_id: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str] = mapped_column(String(15))
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    participant_group: Mapped[str] = mapped_column(
        String(32), default="other"
    )  # official | student | other
    password_hash: Mapped[str] = mapped_column(String(200))
    consent_version: Mapped[str] = mapped_column(String(32))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Decree 13/2023: news of the contest (rounds, results, certificates) only with consent,
    # given at registration and withdrawn by the unsubscribe link; reset codes are sent anyway.
    messages_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    messages_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where the registration came from (address, device cookie): screening ties second accounts
    # made on one phone even when they never signed in there.
    registered_ip: Mapped[str] = mapped_column(String(45), default="", server_default="")
    registered_device: Mapped[str] = mapped_column(String(40), default="", server_default="")


class WebSession(Base):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # The browser's long-lived device cookie (random, not a fingerprint): two accounts signed in
    # from one browser are a second-account signal for screening.
    device: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)


class LoginFailure(Base):
    """Failed sign-ins, kept for the sign-in delays (domain/login_throttle.py) and the alerts."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(120), index=True)
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Made through a device where the account signed in before (its cookie's SHA-256).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    device_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TrustedDevice(Base):
    """A browser where an account signed in (OWASP device cookie): its owner's way in while
    the account is being guessed from elsewhere. The cookie holds a random id; this its SHA-256."""

    __tablename__ = "trusted_devices"
    __table_args__ = (UniqueConstraint("account_key", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(120))
    device_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
