"""Messages owed to people (SMS or email), and claims on a CCCD someone else registered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class Notice(Base):
    """One message for one participant on one channel. The platform has no SMS or mail sender
    yet: rows wait with sent_at empty, in order, for one to deliver them and fill sent_at."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    address: Mapped[str] = mapped_column(String(200))  # the phone number or email address
    kind: Mapped[str] = mapped_column(String(40))  # e.g. registration_attempt
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


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
