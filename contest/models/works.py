"""Works contests: settings, author groups, works and their files, judges, assignments and scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.models.base import Base, UTCDateTime


class WorksSettings(Base):
    """A works contest's (or works round's) settings; the rubric is JSON because it is read
    and replaced as a whole and no query looks inside a criterion."""

    __tablename__ = "works_settings"

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), nullable=True
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    allowed_types: Mapped[list] = mapped_column(JSON)  # ["pdf", "docx", "png", "jpeg", "mp4"]
    max_bytes: Mapped[dict] = mapped_column(JSON)  # {"pdf": 20971520, …}
    max_files: Mapped[int] = mapped_column(Integer, default=5)
    trim: Mapped[int] = mapped_column(
        Integer, default=0
    )  # highest and lowest totals dropped; 0 = plain mean
    theme_vi: Mapped[str] = mapped_column(Text, default="")
    # CCCD numbers of the organising committee, jury and secretariat, who may not enter.
    excluded_citizen_ids: Mapped[list] = mapped_column(JSON, default=list)
    rubric: Mapped[list] = mapped_column(
        JSON
    )  # [{"code", "label_vi", "label_en", "max_points", "weight"}]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthorGroup(Base):
    __tablename__ = "author_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    contact_participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[AuthorGroupMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AuthorGroupMember.position"
    )


class AuthorGroupMember(Base):
    __tablename__ = "author_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("author_groups.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # An invited member is "pending" until they accept on their own page: nobody becomes a
    # co-author, or has their name shown to the group, without consenting.
    status: Mapped[str] = mapped_column(String(16), default="accepted", server_default="accepted")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Work(Base):
    """An entry of a works contest, by one participant or by an author group."""

    __tablename__ = "works"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), nullable=True
    )
    author_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id"), nullable=True, index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("author_groups.id"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(16), default="article")
    description: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    declaration: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    files: Mapped[list[WorkFile]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WorkFile.id"
    )
    group: Mapped[AuthorGroup | None] = relationship(lazy="joined")


class WorkFile(Base):
    """An uploaded file, kept under var/uploads outside anything served statically."""

    __tablename__ = "work_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sniffed_type: Mapped[str] = mapped_column(String(16))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JudgeDeclaration(Base):
    """A judge's conflict-of-interest declaration for a contest: the units they belong to."""

    __tablename__ = "judge_declarations"
    __table_args__ = (UniqueConstraint("contest_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    unit_ids: Mapped[list] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JudgeAssignment(Base):
    __tablename__ = "judge_assignments"
    __table_args__ = (UniqueConstraint("work_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(120))
    conflict: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # declared by the judge on this work
    conflict_note: Mapped[str] = mapped_column(Text, default="")


class WorkScore(Base):
    """One judge's score sheet for one work. A re-score request marks the sheet reopened and
    the judge's next sheet is a new row, so every earlier score stays on record."""

    __tablename__ = "work_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    values: Mapped[dict] = mapped_column(JSON)
    total: Mapped[float | None] = mapped_column(Float, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reopen_reason: Mapped[str] = mapped_column(Text, default="")
