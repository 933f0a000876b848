"""Files every host can read: works uploads, staged bank uploads, files built by jobs.

One small interface (`FileStore`) with one backend chosen by `CONTEST_STORAGE_URL`:
`database` (the default) keeps a file as 1 MiB chunks in `stored_file_chunks` (bytea on
PostgreSQL, BLOB on SQLite), written in the caller's transaction, so a file and the row that
names it commit together and no host needs a shared folder. A file is read back a chunk at a
time, so a download streams without holding the whole file in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.models.files import StoredFile, StoredFileChunk

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileInfo:
    key: str
    size: int
    content_type: str
    created_at: datetime
    chunks: int


class FileStore(Protocol):
    def put(
        self, db: Session, key: str, chunks: Iterable[bytes], content_type: str = ""
    ) -> FileInfo:
        """Store (or replace) `key` from `chunks`, in the caller's transaction."""
        ...

    def info(self, db: Session, key: str) -> FileInfo | None: ...

    def read(self, db: Session, key: str) -> Iterator[bytes]:
        """The file's bytes, a chunk at a time."""
        ...

    def delete(self, db: Session, key: str) -> None: ...

    def delete_older(self, db: Session, prefix: str, before: datetime) -> int:
        """Remove files under `prefix` created before `before`; returns how many."""
        ...


def rechunk(pieces: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Pieces of any size as chunks of `size` bytes (the last one shorter)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class DatabaseStore:
    """Files as chunks in the database: every app and worker host reads what any one wrote."""

    def put(
        self, db: Session, key: str, chunks: Iterable[bytes], content_type: str = ""
    ) -> FileInfo:
        self.delete(db, key)
        row = StoredFile(
            key=key, size=0, chunks=0, content_type=content_type, created_at=clock.now()
        )
        db.add(row)
        db.flush()
        for n, chunk in enumerate(rechunk(chunks)):
            piece = StoredFileChunk(key=key, n=n, data=chunk)
            db.add(piece)
            row.size += len(chunk)
            row.chunks = n + 1
            db.flush()
            db.expunge(piece)  # one chunk in memory at a time, however large the file
        return self._info(row)

    @staticmethod
    def _info(row: StoredFile) -> FileInfo:
        return FileInfo(row.key, row.size, row.content_type, row.created_at, row.chunks)

    def info(self, db: Session, key: str) -> FileInfo | None:
        row = db.get(StoredFile, key)
        return self._info(row) if row is not None else None

    def read(self, db: Session, key: str) -> Iterator[bytes]:
        count = db.execute(select(StoredFile.chunks).where(StoredFile.key == key)).scalar()
        for n in range(count or 0):
            yield db.execute(
                select(StoredFileChunk.data).where(
                    StoredFileChunk.key == key, StoredFileChunk.n == n
                )
            ).scalar_one()

    def read_bytes(self, db: Session, key: str) -> bytes:
        return b"".join(self.read(db, key))

    def delete(self, db: Session, key: str) -> None:
        db.execute(delete(StoredFileChunk).where(StoredFileChunk.key == key))
        db.execute(delete(StoredFile).where(StoredFile.key == key))

    def delete_older(self, db: Session, prefix: str, before: datetime) -> int:
        keys = list(
            db.execute(
                select(StoredFile.key).where(
                    StoredFile.key.startswith(prefix, autoescape=True),
                    StoredFile.created_at < before,
                )
            ).scalars()
        )
        for key in keys:
            self.delete(db, key)
        return len(keys)

    def total_bytes(self, db: Session, prefix: str = "") -> int:
        return int(
            db.execute(
                select(func.coalesce(func.sum(StoredFile.size), 0)).where(
                    StoredFile.key.startswith(prefix, autoescape=True)
                )
            ).scalar_one()
        )


def get_store() -> DatabaseStore:
    url = get_settings().storage_url or "database"
    if url == "database":
        return DatabaseStore()
    raise ValueError(
        f"CONTEST_STORAGE_URL={url!r}: only 'database' is supported (files kept in the database)"
    )
