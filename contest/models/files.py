"""Stored files (uploads, files built by jobs) kept in the database as chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class StoredFile(Base):
    """One file of the database file store, named by a key such as works/12/ab34…"""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StoredFileChunk(Base):
    """1 MiB of a stored file: small enough for any driver, read one at a time when streaming."""

    __tablename__ = "stored_file_chunks"

    key: Mapped[str] = mapped_column(
        ForeignKey("stored_files.key", ondelete="CASCADE"), primary_key=True
    )
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
