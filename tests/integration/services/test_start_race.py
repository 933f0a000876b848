"""Many Start taps at once for one person (finding 8 of the trust review: on PostgreSQL 40 of 80
simultaneous taps got 500 from the unique constraint on the attempt number): every tap answers
the one attempt that was started."""

from __future__ import annotations

import threading

import pytest
import scratch_db
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest.db import make_engine
from contest.migrate import upgrade
from contest.models import Attempt, Participant, Round
from contest.services import taking

TAPS = 24


@pytest.fixture
def committed_engine():
    reason = scratch_db.unavailable()
    if reason:
        pytest.skip(reason)
    with scratch_db.throwaway_database("contest_start_race") as url:
        upgrade(url)
        engine = make_engine(url, pool_size=TAPS)
        yield engine
        engine.dispose()


def test_simultaneous_start_taps_all_answer_the_one_attempt(committed_engine):
    with Session(committed_engine) as db:
        contest = make_contest(db)
        rnd = contest.rounds[0]
        rnd.questions_per_attempt = 5
        rnd.max_attempts = 3
        db.commit()
        make_round_bank(db, rnd, count=8)
        participant_id = make_participant(db, contest).id
        round_id = rnd.id
    barrier = threading.Barrier(TAPS)
    answers: list[int] = []
    errors: list[BaseException] = []

    def tap() -> None:
        with Session(committed_engine, expire_on_commit=False) as db:
            person = db.get(Participant, participant_id)
            the_round = db.get(Round, round_id)
            barrier.wait()
            try:
                answers.append(taking.start_attempt(db, person, the_round).id)
            except BaseException as exc:  # noqa: BLE001 - every failure is counted
                errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(TAPS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(answers) == TAPS and len(set(answers)) == 1
    with Session(committed_engine) as db:
        assert db.execute(select(func.count()).select_from(Attempt)).scalar_one() == 1
