"""The waiting room for starts: one ticket per person who tapped Start while the site was full."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class StartTicket(Base):
    """A place in the queue to start a round. The id is the order of arrival for every process
    and host (the database hands it out). `seen_at` is refreshed while the waiting page keeps
    asking; a ticket not seen for a while no longer counts (the person left)."""

    __tablename__ = "start_tickets"
    __table_args__ = (
        # The place in the queue: live waiting tickets with a smaller id.
        Index("ix_start_tickets_state_id", "state", "id"),
        Index("ix_start_tickets_participant_round", "participant_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(8))  # waiting | served | left
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="SET NULL"), nullable=True
    )
