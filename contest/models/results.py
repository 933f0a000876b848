"""Results: prize plans, eligibility decisions, round results, versioned prize lists, key corrections."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.models.base import Base, UTCDateTime


class PrizePlanRecord(Base):
    """A contest's prize plan (cơ cấu giải), kept as JSON and validated into the domain dataclasses.

    JSON rather than rows: a plan is read and replaced as a whole, its shape (group quotas,
    size bands, points schemes) follows the domain dataclasses, and no query ever looks
    inside a tier. ``round_id`` None is the whole-contest plan; ``kind`` is individual or
    collective.
    """

    __tablename__ = "prize_plans"
    __table_args__ = (UniqueConstraint("contest_id", "kind", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="individual")  # individual | collective
    spec: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120), default="")


class EligibilityDecision(Base):
    """A committee ruling on a participant or an attempt. Rows are only ever added: the latest
    for a subject wins, and reversing a decision is a new row."""

    __tablename__ = "eligibility_decisions"
    __table_args__ = (Index("ix_eligibility_decisions_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    subject_kind: Mapped[str] = mapped_column(String(16))  # participant | attempt
    subject_id: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoundResult(Base):
    """What closing a round fixed: the prediction's true figure and the counts behind it."""

    __tablename__ = "round_results"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(120))
    prediction_target: Mapped[str] = mapped_column(String(16))
    true_figure: Mapped[int] = mapped_column(Integer)
    entrants: Mapped[int] = mapped_column(Integer)
    eligible_entrants: Mapped[int] = mapped_column(Integer)
    scored_at_close: Mapped[int] = mapped_column(Integer, default=0)


class PrizeList(Base):
    """One version of a prize list: draft → proposed → approved (frozen) → published.

    A correction of an approved list is a new version; the old one stays as it was, so the
    decision that was signed can always be shown again. ``services.prize_lists`` owns the
    states and their transitions."""

    __tablename__ = "prize_lists"
    __table_args__ = (Index("ix_prize_lists_scope", "contest_id", "kind", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # individual | collective
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # prize_lists.ListStatus
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("prize_lists.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    # Who filled the current lines (an allocation refills a draft) and who proposed them,
    # by staff id too: four eyes keeps both from approving.
    allocated_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    allocated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    proposed_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(120), nullable=True)

    entries: Mapped[list[PrizeListEntry]] = relationship(
        order_by="PrizeListEntry.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PrizeListEntry(Base):
    """One line of a prize list: a participant (individual) or a unit (collective)."""

    __tablename__ = "prize_list_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    prize_list_id: Mapped[int] = mapped_column(
        ForeignKey("prize_lists.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), nullable=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), nullable=True)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id"), nullable=True)
    tier_code: Mapped[str] = mapped_column(String(32))
    tier_label_vi: Mapped[str] = mapped_column(String(100))
    tier_label_en: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason_vi: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    # The one-prize rule the allocation followed for this line (domain.prizes.LineRule).
    rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The committee's tie decision that placed this line, when one did.
    tie_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("tie_decisions.id"), nullable=True
    )


class TieDecisionRecord(Base):
    """The committee's decision on entries tied on every key at a prize boundary: their order
    (or a shared prize) by a documented criterion, with the reason, who and when.

    Rows are only ever added: every allocation of the same kind of list in the contest (a
    draft refilled, a correction version) follows the latest decision about exactly the same
    tied set, so a settled tie stays settled; a changed set is asked again."""

    __tablename__ = "tie_decisions"
    __table_args__ = (Index("ix_tie_decisions_scope", "contest_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # individual | collective | works
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), nullable=True
    )
    prize_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("prize_lists.id", ondelete="SET NULL"), nullable=True
    )
    # Allocation entry ids (attempt ids; unit ids for collectives), best first.
    entry_ids: Mapped[list] = mapped_column(JSON)
    criterion: Mapped[str] = mapped_column(String(32))  # domain.prizes.TieCriterion
    reason_vi: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyCorrection(Base):
    """A corrected answer key for a question version already on papers.

    Versions are never edited, so the correction sits beside the version and scoring reads
    it; the question also gets a new version so later draws carry the right key."""

    __tablename__ = "key_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    correct_options: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(120))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report: Mapped[dict] = mapped_column(JSON)
