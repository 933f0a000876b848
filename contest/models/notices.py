"""Messages owed to people (SMS or email), and claims on a CCCD someone else registered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime

# pending → sent | failed | cancelled (news to someone who unsubscribed); a pending message is
# due at next_attempt_at (a worker that takes it moves that forward by a lease, so two workers
# never send it together).
NOTICE_STATES = ("pending", "sent", "failed", "cancelled")


class Notice(Base):
    """One message for one person on one channel: the outbox (services/messages.py owns it).
    The worker sends it, records every try (NoticeAttempt) and retries with a growing delay;
    after the configured number of failures it is marked failed and shown to the admins."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int | None] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), nullable=True, index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    address: Mapped[str] = mapped_column(String(200))  # the phone number or email address
    kind: Mapped[str] = mapped_column(String(40))  # e.g. registration_attempt, password_reset
    subject_vi: Mapped[str] = mapped_column(String(200), default="", server_default="")
    subject_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    # Sent even to someone who opted out of messages (reset codes, security notices).
    essential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # One message per key, ever (e.g. "round_opens:12:345"): periodic sweeps stay idempotent.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class NoticeAttempt(Base):
    """One try to deliver a message: when, how it went, and the sender's error if any."""

    __tablename__ = "notice_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(12))  # sent | error
    error: Mapped[str] = mapped_column(Text, default="")
    # What the gateway or mail server answered (its message id, status line), for support.
    detail: Mapped[str] = mapped_column(String(300), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class CitizenIdClaim(Base):
    """Someone says a registered CCCD is theirs and asks the committee for it
    (domain/citizen_id_claims.py). The account holding it is kept as filed."""

    __tablename__ = "citizen_id_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(15))
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    evidence: Mapped[str] = mapped_column(Text)
    holder_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | rejected
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")


class CitizenIdClaimDecision(Base):
    """A committee decision on a claim, never deleted: the latest one counts."""

    __tablename__ = "citizen_id_claim_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_id_claims.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
