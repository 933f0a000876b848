"""A database that is slow or gone: a connect gives up within seconds, and a statement of a web
request is cancelled past its limit.

The silent and refusing databases are addresses on this machine (no PostgreSQL needed); the
statement limit is PostgreSQL's own and runs against a throwaway database.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import scratch_db
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from contest.config import get_settings
from contest.db import make_engine

pytestmark = pytest.mark.timeout(120)
PORTS = range(18540, 18560)


@contextmanager
def _address(listening: bool) -> Iterator[str]:
    """A PostgreSQL URL on this machine whose host takes connections and never answers a word
    (`listening`: the kernel completes the handshake for a listening socket) or refuses them (a
    bound port nobody listens on)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for port in PORTS:
        try:
            sock.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port for the database that does not answer")
    if listening:
        sock.listen(64)
    try:
        yield f"postgresql+psycopg://contest@127.0.0.1:{port}/contest"
    finally:
        sock.close()


@pytest.fixture
def settings(monkeypatch):
    def use(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_the_engine_gives_up_a_connect_to_a_database_that_does_not_answer(settings):
    settings(CONTEST_DB_CONNECT_TIMEOUT_SECONDS="2")
    with _address(listening=True) as url:
        engine = make_engine(url)
        t0 = time.monotonic()
        with pytest.raises(OperationalError) as caught:
            engine.connect()
        elapsed = time.monotonic() - t0
        engine.dispose()
    assert 1.5 <= elapsed < 10  # libpq's own default would wait about 130 s
    assert "timeout" in str(caught.value).lower()


def test_the_earlier_name_of_the_connect_timeout_still_sets_it(settings):
    settings(CONTEST_SAVE_CONNECT_TIMEOUT_SECONDS="5")
    assert get_settings().db_connect_timeout_seconds == 5
    settings(CONTEST_DB_CONNECT_TIMEOUT_SECONDS="4")
    assert get_settings().db_connect_timeout_seconds == 4  # the new name wins


@pytest.fixture(scope="module")
def pg_url():
    reason = scratch_db.unavailable()
    if reason:
        pytest.skip(f"statement_timeout is PostgreSQL's: {reason}")
    with scratch_db.throwaway_database("contest_dbdown") as url:
        yield url


def test_a_web_request_statement_is_cancelled_past_its_limit_and_jobs_have_none(pg_url, settings):
    settings(CONTEST_DB_STATEMENT_TIMEOUT_SECONDS="0.5")
    web, jobs = make_engine(pg_url, requests=True), make_engine(pg_url)
    try:
        with web.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "500ms"
            with pytest.raises(OperationalError) as caught:
                conn.execute(text("SELECT pg_sleep(3)"))
        assert "statement timeout" in str(caught.value)
        with jobs.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
            conn.execute(text("SELECT pg_sleep(0.7)"))
    finally:
        web.dispose()
        jobs.dispose()


def test_no_statement_limit_when_the_setting_is_zero(pg_url, settings):
    settings(CONTEST_DB_STATEMENT_TIMEOUT_SECONDS="0")
    web = make_engine(pg_url, requests=True)
    try:
        with web.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        web.dispose()


def test_a_pooler_that_refuses_the_statement_limit_gets_connections_without_it(
    pg_url, settings, monkeypatch, caplog
):
    """PgBouncer refuses `options` it does not track ("unsupported startup parameter"): the web
    engine then connects without the limit and says so, rather than failing every request."""
    import psycopg

    settings(CONTEST_DB_STATEMENT_TIMEOUT_SECONDS="5")
    web = make_engine(pg_url, requests=True)
    real = web.dialect.connect

    def pooler(*args, **kwargs):
        if "options" in kwargs:
            raise psycopg.OperationalError(
                "unsupported startup parameter in options: statement_timeout"
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(web.dialect, "connect", pooler)
    try:
        with web.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        web.dispose()
    assert "refuses the statement limit" in caplog.text
