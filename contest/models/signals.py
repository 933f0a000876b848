"""Cheating signals: the thresholds of a contest and the clusters each computation found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class SignalSettingsRecord(Base):
    """A contest's signal thresholds (contest.domain.signals.SignalSettings as JSON); missing
    keys take the defaults, so a new threshold needs no migration."""

    __tablename__ = "signal_settings"

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    spec: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120))


class SignalRun(Base):
    """One computation of a round's signals; the newest is what the committee sees. Older runs
    stay, so a decision can be read against the evidence shown at the time."""

    __tablename__ = "signal_runs"
    __table_args__ = (Index("ix_signal_runs_round", "round_id", "computed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_by: Mapped[str] = mapped_column(String(120))
    seconds: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict] = mapped_column(JSON)
    # entries, candidate pairs, skipped buckets, band, clusters
    stats: Mapped[dict] = mapped_column(JSON)


class SignalCluster(Base):
    """Accounts a run tied together, with the evidence, strongest first (position 1)."""

    __tablename__ = "signal_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("signal_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    kinds: Mapped[list] = mapped_column(JSON)
    participant_ids: Mapped[list] = mapped_column(JSON)
    attempt_ids: Mapped[list] = mapped_column(JSON)
    reason_vi: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    # [{kind, participant_ids, attempt_ids, score, message_vi, message_en, detail}]
    evidence: Mapped[list] = mapped_column(JSON)
