"""Screening data kept per contest: the list of people who may not enter (excluded staff)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class ExcludedPerson(Base):
    """A member of the organising committee, jury or secretariat, who may not enter the contest.

    Keyed by CCCD because that is what the committee's own list holds; a participant whose
    CCCD is here is flagged by screening. The list is replaced as a whole by an import."""

    __tablename__ = "excluded_people"
    __table_args__ = (UniqueConstraint("contest_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    row: Mapped[int] = mapped_column(Integer, default=0)  # row in the imported file
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(120))
