"""Question banks, questions and their immutable versions (papers point at versions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class QuestionBank(Base):
    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    # Bumped on every change, so cached draw pools know when to rebuild.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("question_banks.id", ondelete="CASCADE"), index=True
    )
    # No foreign key: the two tables point at each other; the bank service keeps them in step.
    current_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str | None] = mapped_column(String(200), nullable=True)
    difficulty: Mapped[str | None] = mapped_column(String(16), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QuestionVersion(Base):
    """Never updated once written: an edit adds a version, and drawn papers keep theirs.

    `options` is a JSON list of {"id": int, "text": str, "correct": bool}; ids are stable
    within the version, and only texts and ids ever reach a browser before an attempt is final.
    """

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    stem: Mapped[str] = mapped_column(Text)
    text_format: Mapped[str] = mapped_column(String(8), default="plain")
    options: Mapped[list] = mapped_column(JSON)
    topic: Mapped[str | None] = mapped_column(String(200), nullable=True)
    difficulty: Mapped[str | None] = mapped_column(String(16), nullable=True)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The stem's pictures as [{"sha", "w", "h", "alt", "x2"}] (contest/domain/paper.py); [] for none.
    pictures: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Picture(Base):
    """A question picture, named by the SHA-256 of its WebP bytes; its files are in the file store
    as ``pictures/<sha>.webp``, ``.jpg`` and, when there is one, ``.2x.webp``. Never changed once
    written: a picture replaced on a question is a new picture, and papers keep the old one."""

    __tablename__ = "pictures"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    webp_bytes: Mapped[int] = mapped_column(Integer)
    jpeg_bytes: Mapped[int] = mapped_column(Integer)
    webp_2x_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoundBank(Base):
    """Which banks a round draws from."""

    __tablename__ = "round_banks"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("question_banks.id", ondelete="CASCADE"), primary_key=True
    )
