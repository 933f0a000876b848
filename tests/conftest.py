"""Shared fixtures: a real database per backend (SQLite and PostgreSQL) built by the Alembic
migrations, each test inside a savepoint so the services' commits roll back afterwards."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("CONTEST_SECRET_KEY", "test-secret-" + "x" * 32)
os.environ.setdefault("CONTEST_RATE_LIMIT_STORAGE", "memory://")
os.environ.setdefault("CONTEST_SWEEP_INTERVAL_SECONDS", "0")
os.environ.setdefault("CONTEST_AUDIT_SEAL_INTERVAL_SECONDS", "0")
# Queue messages stay in the test process; tests run jobs themselves (`jobs.run`).
os.environ.setdefault("CONTEST_QUEUE_URL", "memory://")
# The live page's counters are written when the page is read, inside the test's transaction.
os.environ.setdefault("CONTEST_LIVE_FLUSH_SECONDS", "0")

import pytest
import scratch_db
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from contest import clock
from contest.db import make_engine
from contest.migrate import upgrade

PG_ADMIN_URL = scratch_db.ADMIN_URL
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


def _postgres_available() -> str | None:
    return scratch_db.unavailable()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'contest.db'}"
        return
    reason = scratch_db.unavailable()
    if reason:
        pytest.skip(reason)
    with scratch_db.throwaway_database("contest_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    eng = make_engine(database_url, pool_size=5)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one outer transaction rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_clock_and_limits() -> Iterator[None]:
    from contest.services import live
    from contest.services.admission import reset as reset_admission
    from contest.services.ratelimit import reset_limits
    from contest.services.taking import clear_process_caches

    clock.reset()
    reset_limits()
    live.reset()
    # Rolled-back tests let SQLite hand the same ids to other rows.
    clear_process_caches()
    reset_admission()
    yield
    clock.reset()


@pytest.fixture
def app(db: Session):
    from contest.web.app import create_app
    from contest.web.deps import get_db

    application = create_app()

    def _test_db() -> Iterator[Session]:
        yield db

    application.dependency_overrides[get_db] = _test_db
    return application


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def random_suffix() -> str:
    return secrets.token_hex(3)
