"""Live counters: events per 10-second bucket, added by each web process every few seconds."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base


class LiveCount(Base):
    """`scope` is a round id, or 0 for the whole site (requests, server errors, refusals)."""

    __tablename__ = "live_counts"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[int] = mapped_column(
        BigInteger, primary_key=True
    )  # Unix seconds, a multiple of 10
    count: Mapped[int] = mapped_column(BigInteger, default=0)
