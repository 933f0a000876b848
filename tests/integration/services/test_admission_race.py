"""Two processes calling the head of the waiting room at the same moment, on committed data:
each process counts only the people its own call moved, and gives back the tokens it did not
use, so the site's rate is not overstated."""

from __future__ import annotations

import threading

import pytest
import scratch_db
from factories import make_contest, make_participant
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contest import clock
from contest.db import make_engine
from contest.domain.admission import AdmissionSettings, StartController
from contest.migrate import upgrade
from contest.models import StartTicket
from contest.repositories import admission as tickets
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


def test_a_head_another_process_holds_is_passed_over_without_waiting(committed_engine):
    """Two processes calling heads whose rows they each hold would deadlock if either waited
    for the other (PostgreSQL found such a deadlock under a 2x start spike); a call passes over
    the rows another transaction holds and counts only the people its own statement moved."""
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock before reading the head: calls cannot overlap")
    first, second, third = _queue(committed_engine, 3)
    c = _with_tokens(3)
    # Another process is calling the first person and has not committed yet: it holds the row.
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
    this.join(timeout=10)  # while the other still holds its row: no waiting on it
    assert not this.is_alive(), "the call waited for a row another process holds"
    assert "error" not in result, result.get("error")
    assert result["called"] == {second, third}
    assert c.tokens == pytest.approx(1.0, abs=0.01)  # the first person's token is given back
    other.commit()
    other.close()
    assert _states(committed_engine) == {first: "called", second: "called", third: "called"}


def test_the_last_asks_time_skips_rows_another_process_holds(committed_engine):
    """The best-effort write of the last ask's time takes only the rows no one holds."""
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes the write lock before writing: no row is ever held by another")
    first, second, _ = _queue(committed_engine, 3)
    later = clock.now().replace(microsecond=0)
    other = Session(committed_engine)
    other.execute(update(StartTicket).where(StartTicket.id == first).values(state="called"))
    with Session(committed_engine) as db:
        db.execute(
            update(StartTicket)
            .where(StartTicket.id.in_(tickets.free_of([first, second]).scalar_subquery()))
            .values(seen_at=later)
            .execution_options(synchronize_session=False)
        )
        db.commit()
    other.commit()
    other.close()
    with Session(committed_engine) as db:
        seen = dict(db.execute(select(StartTicket.id, StartTicket.seen_at)).all())
    assert seen[second] == later
    assert seen[first] != later
