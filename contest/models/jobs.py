"""Background jobs: what was asked, how far it got, and which worker holds it right now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime

# queued → running → done | failed | cancelled; a running job whose lease ran out goes back
# to queued (or to failed once its attempts are used up).
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")


class Job(Base):
    """One piece of background work; the queue only delivers its id, this row is the truth."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_lease", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # certificates.issue | certificates.bundle | …
    contest_id: Mapped[int | None] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), nullable=True, index=True
    )
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # Kind-specific figures shown with the progress, e.g. {"issued": 3, "skipped": 1}.
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    # Changed by every claim: a worker whose lease was taken over finds its token gone.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    worker: Mapped[str] = mapped_column(String(120), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_vi: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    # A file the job built (a ZIP, a merged PDF, an export), kept in the file store.
    result_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    result_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    result_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    result_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
