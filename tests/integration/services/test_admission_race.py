"""Two processes calling the head of the waiting room at the same moment, on committed data:
each process counts only the people its own call moved, and gives back the tokens it did not
use, so the site's rate is not overstated."""

from __future__ import annotations

import threading
import time

import pytest
import scratch_db
from factories import make_contest, make_participant
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from contest import clock
from contest.db import make_engine
from contest.domain.admission import AdmissionSettings, StartController
from contest.migrate import upgrade
from contest.models import StartTicket
from contest.services import admission

pytestmark = pytest.mark.timeout(60)


def _queue(engine, people: int) -> list[int]:
    """`people` waiting tickets for one round, committed: their ids, oldest first."""
    with Session(engine, expire_on_commit=False) as db:
        contest = make_contest(db)
        rnd = contest.rounds[0]
        now = clock.now()
        ids = []
        for i in range(people):
            person = make_participant(
                db, contest, citizen_id=f"020190{i + 700:06d}", phone=f"098{i:07d}"
            )
            ticket = StartTicket(
                round_id=rnd.id,
                participant_id=person.id,
                state="waiting",
                created_at=now,
                seen_at=now,
            )
            db.add(ticket)
            db.flush()
            ids.append(ticket.id)
        db.commit()
    return ids


def _with_tokens(tokens: int) -> StartController:
    """This process's controller, holding `tokens` starts' room and gaining no more meanwhile."""
    admission.reset()
    c = StartController(
        AdmissionSettings(initial_rate=0.0001, increase=0.0, max_concurrent=9, burst_seconds=1e5)
    )
    c.tokens = float(tokens)
    admission._controller = c
    return c


def _states(engine) -> dict[int, str]:
    with Session(engine) as db:
        return {i: state for i, state in db.execute(select(StartTicket.id, StartTicket.state))}


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_engine(request, tmp_path):
    with scratch_db.committed_database(request.param, "contest_call_race", tmp_path) as url:
        upgrade(url)
        engine = make_engine(url, pool_size=4)
        try:
            yield engine
        finally:
            engine.dispose()


def test_calls_in_turn_count_each_person_once_on_both_databases(committed_engine):
    first, second, third = _queue(committed_engine, 3)
    c = _with_tokens(2)
    with Session(committed_engine) as db:
        assert admission._call_heads(db, clock.now()) == {first, second}
    c.tokens = 2.0  # the next call (here or at another process) has room for two again
    with Session(committed_engine) as db:
        assert admission._call_heads(db, clock.now()) == {third}
    assert c.tokens == pytest.approx(1.0, abs=0.01)  # the token nobody was left for is given back
    assert _states(committed_engine) == {first: "called", second: "called", third: "called"}


def test_a_head_called_by_another_process_meanwhile_is_not_counted_twice(committed_engine):
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock before reading the head: calls cannot overlap")
    first, second, third = _queue(committed_engine, 3)
    c = _with_tokens(3)
    # Another process calls the first person and has not committed yet: it holds the row.
    other = Session(committed_engine)
    other.execute(
        update(StartTicket)
        .where(StartTicket.id == first, StartTicket.state == "waiting")
        .values(state="called")
    )
    result: dict[str, object] = {}

    def call() -> None:
        try:
            with Session(committed_engine) as db:
                result["called"] = admission._call_heads(db, clock.now())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc

    this = threading.Thread(target=call)
    this.start()
    # This process has read the head (all three waiting) and its UPDATE waits for the row.
    with committed_engine.connect() as watch:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            waiting_on_lock = watch.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            watch.rollback()
            if waiting_on_lock:
                break
            time.sleep(0.05)
        else:
            pytest.fail("this process's call never waited for the other's")
    other.commit()
    other.close()
    this.join(timeout=20)
    assert "error" not in result, result.get("error")
    assert result["called"] == {second, third}
    assert c.tokens == pytest.approx(
        1.0, abs=0.01
    )  # the first person's token is this process's again
    assert _states(committed_engine) == {first: "called", second: "called", third: "called"}
