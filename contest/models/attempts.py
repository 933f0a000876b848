"""Attempts (a participant's go at a round, with the paper drawn for it) and saved answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.domain.paper import Paper, read_paper
from contest.models.base import Base, UTCDateTime


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("round_id", "participant_id", "number"),
        Index("ix_attempts_round_final", "round_id", "finalised_at"),
        # settled_at reads the longest grace in a round on every lobby and attempt page: an index
        # lookup, not a scan of the round's attempts (100,000 in a provincial week).
        Index("ix_attempts_round_grace", "round_id", "grace_seconds"),
        # The live page counts a round's starts of the last hour by minute: a range on the index.
        Index("ix_attempts_round_started", "round_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the round for this participant
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # min(start + time limit, round close): fixed at start so every process agrees.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=30)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the score is materialised (on submit, or by whoever first sees it expired).
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(
        String(16), nullable=True
    )  # submitted | expired
    # Stored in the shape contest.domain.paper reads; code that handles one attempt uses `items`.
    paper: Mapped[list] = mapped_column(JSON)
    question_count: Mapped[int] = mapped_column(Integer)
    correct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prediction: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Where the attempt was started from, for the cheating signals (bursts of starts).
    start_ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    start_device: Mapped[str] = mapped_column(String(40), default="", server_default="")

    @property
    def items(self) -> Paper:
        """The paper as PaperItems, read once per loaded row."""
        cached = self.__dict__.get("_paper_items")
        if cached is None or cached[0] is not self.paper:
            cached = (self.paper, read_paper(self.paper))
            self.__dict__["_paper_items"] = cached
        return cached[1]


class Answer(Base):
    """One row per question of a paper, upserted on every save."""

    __tablename__ = "answers"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # index in the paper
    chosen: Mapped[list] = mapped_column(JSON)  # option ids
    # The save's order, decided by the server (domain.attempts.save_order: the page number the
    # server issued, then the page's own change count); a save with a smaller one never
    # overwrites. The column keeps its first name.
    client_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
