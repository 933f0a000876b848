"""Contests, their unit trees and rounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.models.base import Base, UTCDateTime


class Contest(Base):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    organiser_vi: Mapped[str] = mapped_column(String(300), default="")
    place_vi: Mapped[str] = mapped_column(String(100), default="")
    rules_vi: Mapped[str] = mapped_column(Text, default="")
    rules_en: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    kind: Mapped[str] = mapped_column(String(16), default="quiz")  # quiz | works
    min_age: Mapped[int] = mapped_column(Integer, default=0)
    age_cutoff: Mapped[date | None] = mapped_column(Date, nullable=True)
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Screening thresholds: an attempt faster than this many seconds per question is flagged
    # (None: no speed flag); an attempt with a question left blank is flagged when required.
    min_seconds_per_question: Mapped[float | None] = mapped_column(
        Float, nullable=True, default=1.0, server_default="1.0"
    )
    require_all_answered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Four eyes: whoever allocated or proposed a prize list version may not approve it.
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # draft: only staff see it (a preview); published: the public does. New contests are drafts.
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="published")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The rules' answer to "does a participant caught cheating in one attempt lose the others?"
    cheating_voids_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    rounds: Mapped[list[Round]] = relationship(
        back_populates="contest", order_by="Round.number", cascade="all, delete-orphan"
    )


class Unit(Base):
    """A node of a contest's unit tree (province, agency, district, commune…), any depth."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("contest_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    headcount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Participants register in leaves; an inner unit (an agency with no sub-units listed for
    # some of its staff) only when marked selectable.
    selectable: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("contest_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    questions_per_attempt: Mapped[int] = mapped_column(Integer, default=20)
    time_limit_seconds: Mapped[int] = mapped_column(Integer, default=20 * 60)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)  # 0 = unlimited
    counting: Mapped[str] = mapped_column(String(8), default="best")  # best | first | last
    grace_seconds: Mapped[int] = mapped_column(Integer, default=30)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    prediction_vi: Mapped[str] = mapped_column(Text, default="")
    prediction_en: Mapped[str] = mapped_column(Text, default="")
    prediction_target: Mapped[str] = mapped_column(String(16), default="all_correct")
    prediction_required: Mapped[bool] = mapped_column(Boolean, default=True)
    show_score: Mapped[str] = mapped_column(String(16), default="on_submit")
    show_key: Mapped[str] = mapped_column(String(16), default="after_close")
    # [{"topic": str | None, "difficulty": str | None, "count": int}]
    draw_quotas: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    contest: Mapped[Contest] = relationship(back_populates="rounds")
