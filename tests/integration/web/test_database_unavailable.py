"""A database that is slow or gone: a connect gives up within seconds, a statement of a web request
is cancelled past its limit, and a citizen gets "the system is busy" (503, in Vietnamese and
English, with Retry-After), never a bare 500; an answer save gets a 503 that the attempt page's
script treats as not saved (it retries), never "saved".

The silent and refusing databases are addresses on this machine (no PostgreSQL needed); the
statement limit is PostgreSQL's own and runs against a throwaway database.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import scratch_db
from event_loop import run
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from contest import db as contest_db
from contest.config import get_settings
from contest.db import make_engine
from contest.web import csrf
from contest.web.unavailable import database_unavailable

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


@contextmanager
def _app_on(url: str) -> Iterator[httpx.AsyncClient]:
    from contest.web.app import create_app

    engine = make_engine(url, requests=True)
    before = contest_db._engine
    contest_db.use_engine(engine)
    try:
        app = create_app()
        yield httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="https://testserver",
        )
    finally:
        contest_db.use_engine(before)
        engine.dispose()


def _get(url: str, path: str, cookies: str = "") -> tuple[httpx.Response, float]:
    with _app_on(url) as http:

        async def go():
            async with http:
                t0 = time.monotonic()
                reply = await http.get(path, headers={"Cookie": cookies} if cookies else {})
                return reply, time.monotonic() - t0

        return run(go())


def _save(url: str) -> httpx.Response:
    """An answer save as the attempt page's script sends it (HTMX, session cookie, CSRF header)."""
    token = "t" * 43
    with _app_on(url) as http:

        async def go():
            async with http:
                return await http.post(
                    "/attempts/7/answers/2",
                    content=b"q2=1&page=1764280000000&seq=3",
                    headers={
                        "Cookie": f"{csrf.SESSION_COOKIE}={token}",
                        "X-CSRF-Token": csrf.token_for_session(token),
                        "HX-Request": "true",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )

        return run(go())


def _is_busy_page(reply: httpx.Response) -> None:
    assert reply.status_code == 503
    assert int(reply.headers["retry-after"]) > 0
    assert reply.headers["cache-control"] == "no-store"
    assert "Hệ thống đang bận" in reply.text and "The system is busy" in reply.text


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
    assert database_unavailable(caught.value)


def test_the_earlier_name_of_the_connect_timeout_still_sets_it(settings):
    settings(CONTEST_SAVE_CONNECT_TIMEOUT_SECONDS="5")
    assert get_settings().db_connect_timeout_seconds == 5
    settings(CONTEST_DB_CONNECT_TIMEOUT_SECONDS="4")
    assert get_settings().db_connect_timeout_seconds == 4  # the new name wins


def test_a_page_on_a_database_that_does_not_answer_is_answered_busy_within_seconds(settings):
    settings(CONTEST_DB_CONNECT_TIMEOUT_SECONDS="2")
    with _address(listening=True) as url:
        reply, elapsed = _get(url, "/c/tinh-lang-son")
    _is_busy_page(reply)
    assert elapsed < 15


def test_a_page_on_a_database_that_refuses_connections_is_answered_busy(settings):
    settings()
    with _address(listening=False) as url:
        reply, elapsed = _get(url, "/c/tinh-lang-son")
    _is_busy_page(reply)
    assert '<p lang="vi">' in reply.text  # the site's own error page, not a bare 500
    assert elapsed < 5


def test_the_signed_in_lobby_and_attempt_page_on_a_refusing_database_are_answered_busy(settings):
    """Served by the start lane in front of the router, whose errors the routes' handlers never
    see."""
    settings()
    session = f"{csrf.SESSION_COOKIE}={'t' * 43}"
    with _address(listening=False) as url:
        lobby, _ = _get(url, "/c/tinh-lang-son", session)
        paper, _ = _get(url, "/attempts/7", session)
    _is_busy_page(lobby)
    _is_busy_page(paper)


def test_an_api_request_on_a_refusing_database_is_a_json_503(settings):
    settings()
    with _address(listening=False) as url:
        reply, _ = _get(url, "/api/v1/contests")
    assert reply.status_code == 503 and reply.headers["retry-after"]
    assert reply.headers["content-type"].startswith("application/json")


def test_an_answer_save_on_a_refusing_database_is_not_called_saved_and_is_retryable(settings):
    """The attempt page's script marks any save answered outside 2xx "not saved yet — will
    retry" and keeps it queued (static/js/attempt.js): a 503 is that answer."""
    settings()
    with _address(listening=False) as url:
        reply = _save(url)
    assert reply.status_code == 503
    assert int(reply.headers["retry-after"]) > 0
    assert "Đã lưu" not in reply.text and "x-stored" not in reply.headers


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
        assert database_unavailable(caught.value)
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


def test_sqlite_errors_that_are_not_about_reaching_the_database_stay_errors(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'contest.db'}")
    with engine.connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text("SELECT * FROM no_such_table"))
    engine.dispose()
    assert not database_unavailable(caught.value)


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
