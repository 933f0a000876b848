"""Password resets: a link by email, a code by SMS or from the helpdesk; only hashes are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class PasswordReset(Base):
    """One way back into one account, usable once before it expires (domain/resets.py).
    `secret_hash` is an HMAC of the link's token or the code, keyed by the site's secret, so a
    copy of the database alone opens nothing."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(12))  # email | sms | helpdesk
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    # The helpdesk: who issued the code, what they checked and how.
    issued_by: Mapped[str] = mapped_column(String(120), default="")
    checks: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
