"""Group commit of answer saves on PostgreSQL (services.save_batches behind the answer lane): saves
sent together are written together, each acknowledged one is in the database, and a save the
batch did not apply is never called saved.

These run the application on its own engine (no test session override: the lane only batches for
the app's own PostgreSQL engine) against a throwaway database, with real commits.
"""

from __future__ import annotations

import asyncio
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import scratch_db
from event_loop import run
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contest import clock
from contest import db as contest_db
from contest.config import get_settings
from contest.db import make_engine
from contest.models import Answer, Attempt, Participant, WebSession
from contest.services import save_batches, sessions, taking
from contest.web import csrf

pytestmark = pytest.mark.timeout(120)
SAVED = "Đã lưu"


@pytest.fixture(scope="module")
def pg_url():
    reason = scratch_db.unavailable()
    if reason:
        pytest.skip(f"group commit is PostgreSQL's: {reason}")
    from contest.migrate import upgrade

    with scratch_db.throwaway_database("contest_batches") as url:
        upgrade(url)
        yield url


@pytest.fixture
def engine(pg_url):
    engine = make_engine(pg_url, pool_size=4)
    before = contest_db._engine
    contest_db.use_engine(engine)
    yield engine
    contest_db.use_engine(before)
    engine.dispose()


@pytest.fixture
def app(engine):
    from contest.web.app import create_app

    return create_app()


@pytest.fixture
def people(engine):
    """Three participants, each signed in with an attempt open and the attempt page's ticket in
    this process: (token, attempt) each."""
    clock.freeze(clock.now())
    with Session(engine, expire_on_commit=False) as db:
        contest = make_contest(db, slug=f"gom-{clock.now().timestamp():.0f}-{id(db) % 997}")
        rnd = contest.rounds[0]
        rnd.questions_per_attempt = 6
        rnd.prediction_vi = ""
        db.commit()
        make_round_bank(db, rnd, count=8, code=f"nh-{contest.id}")
        out = []
        for i in range(3):
            p = make_participant(
                db,
                contest,
                citizen_id=f"0201900{contest.id % 100:02d}{i:03d}",
                phone=f"09{contest.id % 1000:03d}{i:05d}",
            )
            token = sessions.open_session(db, participant_id=p.id, ip="127.0.0.1", user_agent="t")
            db.commit()
            attempt = taking.start_attempt(db, db.get(Participant, p.id), rnd)
            taking.prepare_fast_saves(token, attempt)
            out.append((token, attempt))
    return out


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver")


def _page() -> int:
    return int(clock.now().timestamp() * 1000) - 1000


async def _tap(http, token, attempt, pos, shown, seq, page=None):
    return await http.post(
        f"/attempts/{attempt.id}/answers/{pos}",
        data={f"q{pos}": str(shown), "page": str(page or _page()), "seq": str(seq)},
        headers={
            "Cookie": f"{csrf.SESSION_COOKIE}={token}",
            "X-CSRF-Token": csrf._token_for("s:" + token),
            "HX-Request": "true",
        },
    )


def _stored(engine, attempt, pos):
    with Session(engine) as db:
        chosen = db.execute(
            select(Answer.chosen).where(Answer.attempt_id == attempt.id, Answer.position == pos)
        ).scalar_one_or_none()
    return None if chosen is None else [attempt.paper[pos]["o"].index(o) for o in chosen]


def _run(app, body):
    async def main():
        async with app.router.lifespan_context(app), _client(app) as http:
            return await body(http)

    return run(main())


def test_saves_sent_together_are_written_together_and_each_acknowledged_one_is_stored(
    app, engine, people
):
    taps = [(token, attempt, pos) for token, attempt in people for pos in range(6)]

    async def body(http):
        replies = await asyncio.gather(
            *(_tap(http, token, a, pos, pos % 4, 1) for token, a, pos in taps)
        )
        return replies, save_batches._batcher

    replies, batcher = _run(app, body)
    assert [r.status_code for r in replies] == [200] * len(taps)
    assert all(SAVED in r.text for r in replies)
    assert all(r.headers["x-request-id"] and r.headers["x-remaining"] for r in replies)
    assert replies[0].headers["content-security-policy"].startswith("default-src 'self'")
    for _, attempt, pos in taps:
        assert _stored(engine, attempt, pos) == [pos % 4]
    # Written by the batcher, not one statement per save.
    assert batcher is not None and batcher.written == len(taps)
    assert batcher.batches < len(taps)


def test_a_save_past_its_deadline_is_refused_within_a_batch_while_the_others_apply(
    app, engine, people
):
    (late_token, late), (token, on_time), _ = people
    now = clock.now()
    with Session(engine) as db:
        db.execute(
            update(Attempt)
            .where(Attempt.id == late.id)
            .values(deadline_at=now + timedelta(seconds=10), grace_seconds=0)
        )
        db.commit()
        late = db.get(Attempt, late.id)
        taking.prepare_fast_saves(late_token, late)
    page = _page()
    # Both pass the clock when they arrive; the write comes after the late one's deadline.
    saves = [
        taking.fast_save(late_token, late.id, 0, [1], (page << 20) | 1, now),
        taking.fast_save(token, on_time.id, 0, [2], (page << 20) | 1, now),
    ]
    assert None not in saves
    clock.freeze(now + timedelta(seconds=11))

    async def body(http):
        batcher = save_batches.batcher(_conninfo(engine))
        results = await asyncio.gather(*(batcher.save(s) for s in saves))  # type: ignore[arg-type]
        refused = await _tap(http, late_token, late, 0, 1, 2, page=page)
        return results, refused

    (late_result, on_time_result), refused = _run(app, body)
    assert late_result is None
    assert on_time_result is not None and on_time_result.applied
    assert _stored(engine, late, 0) is None
    assert _stored(engine, on_time, 0) == [2]
    # The full path explains the refusal.
    assert refused.status_code == 409 and "hết giờ" in refused.text


def _conninfo(engine) -> str:
    return save_batches.conninfo_of(engine.url)


def test_an_older_save_sent_with_a_newer_one_is_never_called_saved(app, engine, people):
    (token, attempt), *_ = people
    page = _page()

    async def body(http):
        first = await _tap(http, token, attempt, 2, 0, 5, page=page)
        older, newer = await asyncio.gather(
            _tap(http, token, attempt, 2, 1, 3, page=page),
            _tap(http, token, attempt, 2, 3, 7, page=page),
        )
        return first, older, newer

    first, older, newer = _run(app, body)
    assert SAVED in first.text and SAVED in newer.text
    assert older.status_code == 200 and SAVED not in older.text
    assert older.headers["x-stored"] in ("0", "3")  # what the database held when it answered
    assert _stored(engine, attempt, 2) == [3]


def test_a_batch_that_cannot_be_written_acknowledges_nothing_and_the_full_path_stores_each(
    app, engine, people, monkeypatch
):
    monkeypatch.setattr(save_batches, "_BATCH_UPSERT", "SELECT no_such_function()")
    taps = [(token, attempt, pos) for token, attempt in people for pos in range(3)]

    async def body(http):
        first = await asyncio.gather(*(_tap(http, t, a, pos, 1, 1) for t, a, pos in taps))
        # For a moment after a failed write the full path takes the saves straight away.
        batcher = save_batches._batcher
        assert batcher is not None and batcher.paused_until > 0
        batches = batcher.batches
        then = await asyncio.gather(*(_tap(http, t, a, pos, 2, 2) for t, a, pos in taps))
        assert batcher.batches == batches
        return first + then

    replies = _run(app, body)
    assert [r.status_code for r in replies] == [200] * 2 * len(taps)
    assert all(SAVED in r.text for r in replies)
    for _, attempt, pos in taps:
        assert _stored(engine, attempt, pos) == [2]


def test_a_save_after_sign_out_is_not_written(app, engine, people):
    (token, attempt), *_ = people
    with Session(engine) as db:
        db.execute(
            update(WebSession)
            .where(WebSession.token_hash == sessions.token_hash(token))
            .values(ended_at=clock.now())
        )
        db.commit()

    async def body(http):
        return await _tap(http, token, attempt, 4, 1, 1)

    reply = _run(app, body)
    assert reply.status_code == 403
    assert _stored(engine, attempt, 4) is None


@contextmanager
def _silent_database():
    """An address that takes connections (the kernel completes them for a listening socket) and
    never answers a word: a database host that hangs. Its port, in this machine's test range."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for port in range(18490, 18500):
        try:
            listener.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port for the silent database")
    listener.listen(64)
    try:
        yield f"host=127.0.0.1 port={port} dbname=contest user=contest"
    finally:
        listener.close()


def test_a_database_that_does_not_answer_the_connect_sends_the_saves_to_the_full_path(
    app, engine, people, monkeypatch
):
    """The batch's connect gives up after CONTEST_SAVE_CONNECT_TIMEOUT_SECONDS, nothing is called
    saved by it, and the full path (the application's own pool, which answers) stores each."""
    monkeypatch.setenv("CONTEST_SAVE_CONNECT_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    taps = [(token, attempt, pos) for token, attempt in people for pos in range(2)]
    try:
        with _silent_database() as silent:
            monkeypatch.setattr(save_batches, "conninfo_of", lambda url: silent)

            async def body(http):
                t0 = time.monotonic()
                # Far less than psycopg's own 130 s when no timeout is given.
                replies = await asyncio.wait_for(
                    asyncio.gather(*(_tap(http, t, a, pos, 3, 1) for t, a, pos in taps)), 30
                )
                return replies, time.monotonic() - t0, save_batches._batcher

            replies, elapsed, batcher = _run(app, body)
    finally:
        get_settings.cache_clear()
    assert batcher is not None and batcher.connect_timeout == 2
    assert batcher.written == 0 and batcher.paused_until > 0 and batcher.conn is None
    assert 1.5 <= elapsed < 15  # the connect waited for its timeout, then the full path served
    assert [r.status_code for r in replies] == [200] * len(taps)
    assert all(SAVED in r.text for r in replies)
    for _, attempt, pos in taps:
        assert _stored(engine, attempt, pos) == [3]
