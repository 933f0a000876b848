"""Throwaway PostgreSQL databases for the test suite and the benchmarks, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

# A server the suite may create databases on (trust auth on developer and CI machines).
ADMIN_URL = os.environ.get(
    "CONTEST_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def unavailable(admin_url: str = ADMIN_URL) -> str | None:
    """None when a PostgreSQL server answers, else the reason to print when skipping."""
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server answers at {admin_url}: {type(exc).__name__}"


@contextmanager
def throwaway_database(prefix: str, admin_url: str = ADMIN_URL) -> Iterator[str]:
    """Create a fresh database, yield its URL, drop it (connections and all) at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def committed_database(kind: str, prefix: str, folder: Path) -> Iterator[str]:
    """An empty database of `kind` ("postgresql": a throwaway one; "sqlite": a file in `folder`)
    for tests whose sessions must see each other's commits. Skips without PostgreSQL."""
    if kind == "postgresql":
        reason = unavailable()
        if reason:
            import pytest

            pytest.skip(reason)
        with throwaway_database(prefix) as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'contest.db'}"
