"""The waiting room for starts on both databases: who waits, in what order, when the paper is
served, what expires, and what is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest import clock
from contest.domain.admission import AdmissionSettings, StartController
from contest.domain.errors import ContestError
from contest.models import Attempt, AuditPending, StartTicket
from contest.services import admission, sessions


@pytest.fixture
def full_site():
    """A controller that lets nobody through until the test opens it."""
    admission.reset()
    admission._controller = StartController(
        AdmissionSettings(initial_rate=0.0001, increase=0.0, max_concurrent=3)
    )
    return admission._controller


def _later(seconds: float) -> None:
    clock.freeze(clock.now() + timedelta(seconds=seconds))


def _people(db, n):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 5
    db.commit()
    make_round_bank(db, rnd, count=10)
    people = [
        make_participant(db, contest, citizen_id=f"020190{i + 100:06d}", phone=f"09{i:08d}")
        for i in range(n)
    ]
    return contest, rnd, people


def test_with_room_and_nobody_waiting_the_paper_comes_at_once(db):
    _, rnd, (person,) = _people(db, 1)
    found = admission.start_or_wait(db, person, rnd)
    assert isinstance(found, Attempt)
    assert db.execute(select(StartTicket)).first() is None


def test_a_full_site_queues_people_in_order_of_arrival(db, full_site):
    _, rnd, people = _people(db, 3)
    places = [admission.start_or_wait(db, p, rnd) for p in people]
    assert [w.place for w in places] == [1, 2, 3]
    assert all(isinstance(w, admission.Waiting) and w.wait_seconds > 0 for w in places)
    # Tapping Start again keeps the place.
    again = admission.start_or_wait(db, people[1], rnd)
    assert isinstance(again, admission.Waiting) and again.place == 2
    assert db.execute(select(AuditPending).where(AuditPending.action == "attempt.wait")).all()


def test_the_paper_is_served_when_the_turn_comes_and_the_clock_starts_then(db, full_site):
    _, rnd, people = _people(db, 2)
    clock.freeze(clock.now())
    for p in people:
        admission.start_or_wait(db, p, rnd)
    _later(20)
    still = admission.wait_turn(db, people[0], rnd)
    assert isinstance(still, admission.Waiting) and still.place == 1
    full_site.tokens = 1.0  # one start's room
    served = admission.wait_turn(db, people[0], rnd)
    assert isinstance(served, Attempt)
    assert served.started_at == clock.now()  # not when the person tapped Start
    assert served.deadline_at == clock.now() + timedelta(seconds=rnd.time_limit_seconds)
    ticket = db.execute(
        select(StartTicket).where(StartTicket.participant_id == people[0].id)
    ).scalar_one()
    assert ticket.state == "served" and ticket.attempt_id == served.id
    # The next one moves up; asking again after being served answers the same attempt.
    nxt = admission.wait_turn(db, people[1], rnd)
    assert isinstance(nxt, admission.Waiting) and nxt.place == 1
    assert admission.wait_turn(db, people[0], rnd).id == served.id
    audit = (
        db.execute(select(AuditPending.details).where(AuditPending.action == "attempt.start"))
        .scalars()
        .all()
    )
    assert any(json.loads(d).get("ticket") == ticket.id for d in audit)


def test_only_the_head_of_the_queue_goes_first(db, full_site):
    _, rnd, people = _people(db, 5)
    for p in people:
        admission.start_or_wait(db, p, rnd)
    full_site.tokens = 1.0
    # The window at this rate is one person: the last in line may not pass the first.
    assert isinstance(admission.wait_turn(db, people[4], rnd), admission.Waiting)
    assert isinstance(admission.wait_turn(db, people[0], rnd), Attempt)


def test_a_ticket_whose_page_stopped_asking_expires_and_rejoins_at_the_back(db, full_site):
    _, rnd, people = _people(db, 3)
    clock.freeze(clock.now())
    admission.start_or_wait(db, people[0], rnd)
    _later(5)
    admission.start_or_wait(db, people[1], rnd)
    admission.start_or_wait(db, people[2], rnd)
    _later(42)  # the first is 47 s old: gone (45 s); the others 42 s: live
    assert admission.wait_turn(db, people[1], rnd).place == 1
    back = admission.wait_turn(db, people[0], rnd)
    assert isinstance(back, admission.Waiting) and back.place == 3
    states = dict(
        db.execute(
            select(StartTicket.id, StartTicket.state).where(
                StartTicket.participant_id == people[0].id
            )
        ).all()
    )
    assert sorted(states.values()) == ["left", "waiting"]


def test_people_who_may_not_start_are_refused_and_never_queued(db, full_site):
    _, rnd, (person,) = _people(db, 1)
    rnd.closes_at = clock.now() - timedelta(minutes=1)
    db.commit()
    with pytest.raises(ContestError):
        admission.start_or_wait(db, person, rnd)
    assert db.execute(select(StartTicket)).first() is None


def test_someone_waiting_means_newcomers_queue_even_with_room(db, full_site):
    _, rnd, people = _people(db, 2)
    admission.start_or_wait(db, people[0], rnd)
    full_site.tokens = 5.0
    admission._seen.clear()
    found = admission.start_or_wait(db, people[1], rnd)
    assert isinstance(found, admission.Waiting) and found.place == 2


def _snapshot(db) -> None:
    """This process's next look at the queue (as the waiting page's next ask would take it)."""
    admission._view.taken_at = float("-inf")
    admission._view.called_at = float("-inf")
    admission._last_tidy = float("-inf")
    admission.maintain(db)


def test_asks_are_answered_from_a_snapshot_of_the_queue(db, full_site):
    _, rnd, people = _people(db, 3)
    waits = [admission.start_or_wait(db, p, rnd) for p in people]
    assert admission.peek(waits[2].ticket_id) is None  # no snapshot yet: the full path answers
    _snapshot(db)
    seen = [admission.peek(w.ticket_id, rnd.id) for w in waits]
    assert [w.place for w in seen] == [1, 2, 3]
    assert seen[2].wait_seconds > seen[0].wait_seconds and seen[2].poll_ms >= seen[0].poll_ms
    assert admission.peek(waits[0].ticket_id, rnd.id + 1) is None  # another round's address
    # The head is called with the tokens this process has: its page is told to load the paper
    # from the full path, which serves it; the others move up in the snapshot.
    full_site.tokens = 1.0
    _snapshot(db)
    assert admission.peek(waits[0].ticket_id) == admission.Called(waits[0].ticket_id)
    assert admission.peek(waits[1].ticket_id).place == 1
    assert isinstance(admission.wait_turn(db, people[0], rnd), Attempt)
    _snapshot(db)
    assert admission.peek(waits[0].ticket_id) is None  # served: the full path answers


def test_a_ticket_newer_than_the_snapshot_is_behind_everyone_in_it(db, full_site):
    _, rnd, people = _people(db, 3)
    first, second = (admission.start_or_wait(db, p, rnd) for p in people[:2])
    _snapshot(db)
    late = admission.start_or_wait(db, people[2], rnd)
    assert late.place == 3  # its place when it joined came from the snapshot too
    assert admission.peek(late.ticket_id).place == 3
    assert admission.peek(second.ticket_id).place == 2


def test_asks_answered_from_memory_keep_the_ticket_live(db, full_site):
    _, rnd, people = _people(db, 2)
    clock.freeze(clock.now())
    kept, dropped = (admission.start_or_wait(db, p, rnd) for p in people)
    _snapshot(db)
    _later(40)
    assert admission.peek(kept.ticket_id) is not None  # only this one's page asks
    admission._view.seen_written = float("-inf")
    _snapshot(db)  # writes the asks remembered
    _later(40)  # 80 s after joining; the kept one asked 40 s ago (lifetime 45 s)
    _snapshot(db)
    assert admission.peek(kept.ticket_id).place == 1
    assert admission.peek(dropped.ticket_id) is None
    states = dict(db.execute(select(StartTicket.id, StartTicket.state)).all())
    assert states == {kept.ticket_id: "waiting", dropped.ticket_id: "left"}


def test_nobody_is_called_while_the_process_has_pages_queued(db, full_site):
    _, rnd, people = _people(db, 2)
    for p in people:
        admission.start_or_wait(db, p, rnd)
    full_site.tokens = 2.0
    gate = admission.page_gate()
    gate.waiting = gate.limit + 1  # a crowd of lobbies and Starts waits its turn
    assert isinstance(admission.wait_turn(db, people[0], rnd), admission.Waiting)
    assert full_site.tokens == 2.0  # kept for when the crowd has passed
    gate.waiting = 0
    assert isinstance(admission.wait_turn(db, people[0], rnd), Attempt)


def test_an_ask_signed_for_a_session_that_ended_is_not_answered_from_the_snapshot(db, full_site):
    _, rnd, people = _people(db, 2)
    clock.freeze(clock.now())
    tokens = [sessions.open_session(db, participant_id=p.id) for p in people]
    earlier = sessions.open_session(db, participant_id=people[0].id)
    db.commit()
    sessions.end_sessions_of(
        db, participant_id=people[0].id, keep_session_id=_session_id(db, tokens[0])
    )
    db.commit()  # a session that ended before the ticket was taken: it never had it signed
    _later(1)
    waits = [admission.start_or_wait(db, p, rnd) for p in people]
    _snapshot(db)
    hashes = [sessions.token_hash(t) for t in tokens]
    assert admission.peek(waits[0].ticket_id, session_hash=hashes[0]).place == 1
    assert admission._view.ended_sessions == frozenset()
    _later(1)
    sessions.end_sessions_of(db, participant_id=people[0].id)  # signed out, here or elsewhere
    db.commit()
    _snapshot(db)
    assert admission._view.ended_sessions == {hashes[0]}
    assert sessions.token_hash(earlier) not in admission._view.ended_sessions
    assert admission.peek(waits[0].ticket_id, session_hash=hashes[0]) is None  # the full path
    assert admission.peek(waits[1].ticket_id, session_hash=hashes[1]).place == 2


def _session_id(db, token: str) -> int:
    from contest.models import WebSession

    return db.execute(
        select(WebSession.id).where(WebSession.token_hash == sessions.token_hash(token))
    ).scalar_one()
