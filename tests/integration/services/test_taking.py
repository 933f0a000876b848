from datetime import timedelta

import pytest
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError
from contest.models import Answer, QuestionVersion
from contest.services import taking


@pytest.fixture
def setup(db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 10
    rnd.time_limit_seconds = 15 * 60
    rnd.max_attempts = 2
    rnd.prediction_vi = "Có bao nhiêu người trả lời đúng tất cả?"
    db.commit()
    make_round_bank(db, rnd, count=12)
    participant = make_participant(db, contest)
    return contest, rnd, participant


def right_indexes(db, attempt, position):
    item = attempt.paper[position]
    options = db.get(QuestionVersion, item["v"]).options
    right = {o["id"] for o in options if o["correct"]}
    return [i for i, oid in enumerate(item["o"]) if oid in right]


def test_start_draws_a_paper_of_distinct_questions_and_resume_returns_it(db, setup):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    assert attempt.question_count == 10
    assert len({item["q"] for item in attempt.paper}) == 10
    assert all(sorted(item["o"]) == [1, 2, 3, 4] for item in attempt.paper)
    assert attempt.deadline_at == attempt.started_at + timedelta(minutes=15)
    again = taking.start_attempt(db, participant, rnd)
    assert again.id == attempt.id


def test_the_draw_pool_follows_the_rounds_banks_read_with_the_round(db, setup):
    """The Start button reads its banks' stamp with the round: the process's pool is rebuilt
    when a bank changes or another bank is linked, never drawn from stale."""
    from contest.models import Question, QuestionBank, RoundBank

    contest, rnd, participant = setup
    first = {q.question_id for q in taking.round_pool(db, rnd.id).questions}
    assert len(first) == 12
    assert taking.round_for_start(db, contest.slug, rnd.number).id == rnd.id
    assert taking.round_for_start(db, contest.slug, 99) is None
    assert taking.round_pool(db, rnd.id).questions  # the stamp read with the round, used once
    # A question retired (its bank's revision moves on), then a second bank linked.
    retired = db.get(Question, next(iter(first)))
    retired.retired_at = clock.now()
    db.get(QuestionBank, retired.bank_id).revision += 1
    db.commit()
    taking.round_for_start(db, contest.slug, rnd.number)
    assert {q.question_id for q in taking.round_pool(db, rnd.id).questions} == first - {retired.id}
    make_round_bank(db, rnd, count=3, code="ngan-hang-hai")
    assert db.query(RoundBank).filter_by(round_id=rnd.id).count() == 2
    taking.round_for_start(db, contest.slug, rnd.number)
    assert len(taking.round_pool(db, rnd.id).questions) == 11 + 3
    # Without the round read first, the pool reads the stamp itself.
    assert len(taking.round_pool(db, rnd.id).questions) == 14


def test_saves_are_idempotent_and_an_older_retry_never_overwrites_a_newer_answer(db, setup):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    taking.save_answer(db, participant.id, attempt.id, 0, [2], order=100)
    taking.save_answer(db, participant.id, attempt.id, 0, [2], order=100)
    late = taking.save_answer(db, participant.id, attempt.id, 0, [1], order=50)
    assert late.applied is False
    rows = db.execute(select(Answer).where(Answer.attempt_id == attempt.id)).scalars().all()
    assert len(rows) == 1 and rows[0].chosen == [attempt.paper[0]["o"][2]]


def test_save_within_grace_is_accepted_and_after_grace_refused_then_attempt_is_final_and_scored(
    db, setup
):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    taking.save_answer(db, participant.id, attempt.id, 0, right_indexes(db, attempt, 0), 1)
    clock.freeze(attempt.deadline_at + timedelta(seconds=29))
    taking.save_answer(db, participant.id, attempt.id, 1, right_indexes(db, attempt, 1), 2)
    clock.freeze(attempt.deadline_at + timedelta(seconds=31))
    with pytest.raises(taking.AttemptClosed) as exc:
        taking.save_answer(db, participant.id, attempt.id, 2, right_indexes(db, attempt, 2), 3)
    assert "hết giờ" in exc.value.message_vi
    view = taking.attempt_view(db, participant.id, attempt.id)
    assert view.final
    db.refresh(attempt)
    assert (attempt.correct, attempt.finish_reason, attempt.duration_ms) == (
        2,
        "expired",
        15 * 60 * 1000,
    )


def test_sweeper_scores_abandoned_attempts_once(db, setup):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    taking.save_answer(db, participant.id, attempt.id, 3, right_indexes(db, attempt, 3), 1)
    clock.freeze(attempt.deadline_at + timedelta(minutes=5))
    assert taking.sweep(db) == 1
    assert taking.sweep(db) == 0
    db.refresh(attempt)
    assert attempt.correct == 1 and attempt.finalised_at is not None


def test_submit_scores_all_or_nothing_and_needs_the_prediction(db, setup):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    for pos in range(10):
        idx = (
            right_indexes(db, attempt, pos)
            if pos < 7
            else [(right_indexes(db, attempt, pos)[0] + 1) % 4]
        )
        taking.save_answer(db, participant.id, attempt.id, pos, idx, pos + 1)
    with pytest.raises(ContestError) as exc:
        taking.submit(db, participant, attempt.id, None)
    assert exc.value.field == "prediction"
    done = taking.submit(db, participant, attempt.id, 1886)
    assert (done.correct, done.prediction, done.finish_reason) == (7, 1886, "submitted")
    with pytest.raises(taking.AttemptClosed):
        taking.save_answer(db, participant.id, attempt.id, 0, [0], 99)


def test_attempts_limit_is_enforced(db, setup):
    _, rnd, participant = setup
    for _ in range(2):
        a = taking.start_attempt(db, participant, rnd)
        taking.submit(db, participant, a.id, 5)
    with pytest.raises(ContestError) as exc:
        taking.start_attempt(db, participant, rnd)
    assert "lượt" in exc.value.message_vi or "attempt" in exc.value.message_en
    statuses = taking.lobby(db, participant)
    assert (
        statuses[0].attempts_used == 2
        and statuses[0].attempts_left == 0
        and not statuses[0].can_start
    )


def test_best_attempt_counts_in_the_lobby(db, setup):
    _, rnd, participant = setup
    first = taking.start_attempt(db, participant, rnd)
    taking.save_answer(db, participant.id, first.id, 0, right_indexes(db, first, 0), 1)
    taking.submit(db, participant, first.id, 5)
    second = taking.start_attempt(db, participant, rnd)
    for pos in range(3):
        taking.save_answer(
            db, participant.id, second.id, pos, right_indexes(db, second, pos), pos + 1
        )
    taking.submit(db, participant, second.id, 5)
    assert taking.lobby(db, participant)[0].counting_attempt_id == second.id


def test_a_round_that_closes_cuts_the_deadline(db, setup):
    _, rnd, participant = setup
    rnd.closes_at = clock.now() + timedelta(minutes=5)
    db.commit()
    attempt = taking.start_attempt(db, participant, rnd)
    assert attempt.deadline_at == rnd.closes_at


def test_someone_else_cannot_save_into_an_attempt(db, setup):
    contest, rnd, participant = setup
    other = make_participant(
        db,
        contest,
        citizen_id="020085000002",
        gender="male",
        date_of_birth="01/01/1985",
        phone="0987000111",
    )
    attempt = taking.start_attempt(db, participant, rnd)
    with pytest.raises(ContestError):
        taking.save_answer(db, other.id, attempt.id, 0, [0], 1)


def test_key_is_hidden_until_the_rules_allow(db, setup):
    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    view = taking.attempt_view(db, participant.id, attempt.id)
    assert all(o.correct is None for q in view.questions for o in q.options)
    assert all(q.explanation is None for q in view.questions)
    taking.submit(db, participant, attempt.id, 3)
    view = taking.attempt_view(db, participant.id, attempt.id)
    assert view.final and view.show_score and not view.show_key  # key after the round closes
    # Someone who started late may still save during the grace period after the close:
    # the key waits until nobody can.
    clock.freeze(rnd.closes_at + timedelta(seconds=1))
    assert not taking.attempt_view(db, participant.id, attempt.id).show_key
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    view = taking.attempt_view(db, participant.id, attempt.id)
    assert view.show_key and any(o.correct for o in view.questions[0].options)


def test_the_key_shown_after_the_round_is_the_corrected_one(db, setup):
    from contest.services import statistics
    from contest.services.context import Actor

    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    taking.submit(db, participant, attempt.id, 3)
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    first = attempt.paper[0]
    bank_key = {o["id"] for o in db.get(QuestionVersion, first["v"]).options if o["correct"]}
    new_key = next(oid for oid in first["o"] if oid not in bank_key)
    statistics.correct_key(
        db,
        Actor("staff", 1, "giamkhao"),
        rnd,
        first["v"],
        [str(new_key)],
        "Đáp án mới theo Nghị định",
    )
    shown = [
        o.correct for o in taking.attempt_view(db, participant.id, attempt.id).questions[0].options
    ]
    assert shown == [oid == new_key for oid in first["o"]]


def test_a_corrected_key_with_two_right_options_turns_the_question_into_check_boxes(db, setup):
    # The kind of question follows the key scoring uses, not the bank's, and the key stays hidden.
    from contest.services import statistics
    from contest.services.context import Actor

    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    first = attempt.items[0]
    bank_key = {o["id"] for o in db.get(QuestionVersion, first.version_id).options if o["correct"]}
    assert len(bank_key) == 1
    assert not taking.attempt_view(db, participant.id, attempt.id).questions[0].multiple
    other = next(oid for oid in first.option_order if oid not in bank_key)
    statistics.correct_key(
        db,
        Actor("staff", 1, "giamkhao"),
        rnd,
        first.version_id,
        [str(oid) for oid in (*bank_key, other)],
        "Hai phương án đều đúng",
    )
    question = taking.attempt_view(db, participant.id, attempt.id).questions[0]
    assert question.multiple
    assert all(o.correct is None for o in question.options)


def test_which_attempt_counts_is_not_shown_while_scores_are_hidden(db, setup):
    _, rnd, participant = setup
    rnd.show_score = "after_close"
    db.commit()
    a = taking.start_attempt(db, participant, rnd)
    taking.submit(db, participant, a.id, 1)
    status = taking.lobby(db, participant)[0]
    assert status.counting_attempt_id is None and not status.scores_visible
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    status = taking.lobby(db, participant)[0]
    assert status.scores_visible and status.counting_attempt_id == a.id


# ---------------------------------------------------------------------------- the one-statement save


def _signed_in(db, participant):
    from contest.services import sessions

    token = sessions.open_session(db, participant_id=participant.id)
    db.commit()
    return token


@pytest.fixture
def warm(db, setup):
    """A started attempt, its participant's session token, and one save made through the full
    path, which leaves this process the ticket for the one-statement path."""
    contest, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    token = _signed_in(db, participant)
    taking.save_answer_for_session(db, token, attempt.id, 0, [1], 1)
    return contest, participant, attempt, token


def _stored(db, attempt_id, position):
    db.expire_all()
    return db.execute(
        select(Answer.chosen, Answer.client_seq).where(
            Answer.attempt_id == attempt_id, Answer.position == position
        )
    ).one_or_none()


def test_a_warm_save_is_one_statement_and_still_refuses_an_older_retry(db, setup):
    from sqlalchemy import event

    _, rnd, participant = setup
    attempt = taking.start_attempt(db, participant, rnd)
    token = _signed_in(db, participant)
    taking.save_answer_for_session(
        db, token, attempt.id, 0, [1], 10
    )  # the first save checks everything
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        newer = taking.save_answer_for_session(db, token, attempt.id, 0, [3], 20)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    assert newer.applied
    assert [s.split()[0] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))] == [
        "INSERT"
    ]
    older = taking.save_answer_for_session(db, token, attempt.id, 0, [2], 15)
    assert older.applied is False
    assert _stored(db, attempt.id, 0) == ([attempt.paper[0]["o"][3]], 20)


def test_a_warm_save_is_refused_once_the_session_ends_or_the_attempt_is_submitted(db, warm):
    from contest.models import WebSession
    from contest.services import sessions

    _, participant, attempt, token = warm
    ws = db.execute(
        select(WebSession).where(WebSession.token_hash == sessions.token_hash(token))
    ).scalar_one()
    ws.ended_at = clock.now()
    db.commit()
    with pytest.raises(taking.NoSession):
        taking.save_answer_for_session(db, token, attempt.id, 1, [1], 2)
    assert _stored(db, attempt.id, 1) is None

    token = _signed_in(db, participant)
    taking.save_answer_for_session(db, token, attempt.id, 1, [1], 3)
    taking.submit(db, participant, attempt.id, 5)
    with pytest.raises(taking.AttemptClosed, match="submitted"):
        taking.save_answer_for_session(db, token, attempt.id, 2, [1], 4)
    assert _stored(db, attempt.id, 2) is None


def test_a_warm_save_after_the_grace_period_is_refused_and_not_stored(db, warm):
    _, _, attempt, token = warm
    clock.freeze(attempt.deadline_at + timedelta(seconds=attempt.grace_seconds + 1))
    with pytest.raises(taking.AttemptClosed, match="Time is up"):
        taking.save_answer_for_session(db, token, attempt.id, 1, [1], 2)
    assert _stored(db, attempt.id, 1) is None


def test_another_participants_session_cannot_use_a_warm_attempt(db, warm):
    from contest.domain.errors import NotFound

    contest, _, attempt, _ = warm
    intruder = make_participant(
        db,
        contest,
        citizen_id="020085000002",
        gender="male",
        date_of_birth="01/01/1985",
        phone="0987000002",
    )
    with pytest.raises(NotFound):
        taking.save_answer_for_session(db, _signed_in(db, intruder), attempt.id, 0, [2], 2)
    assert _stored(db, attempt.id, 0) == ([attempt.paper[0]["o"][1]], 1)


def test_a_warm_save_with_a_bad_option_gets_the_full_paths_error(db, warm):
    _, _, attempt, token = warm
    with pytest.raises(ContestError, match="not valid"):
        taking.save_answer_for_session(db, token, attempt.id, 0, [9], 2)
    with pytest.raises(ContestError, match="not on this paper"):
        taking.save_answer_for_session(db, token, attempt.id, 99, [0], 3)


def test_key_waits_for_attempts_still_running_after_the_close_was_moved_earlier(db, setup):
    # Finding 2 of the trust review: an organiser moves the close earlier while someone is
    # mid-attempt; that attempt keeps its deadline, so the key must wait for it too.
    contest, rnd, participant = setup
    rnd.show_key = rnd.show_score = "after_close"
    db.commit()
    early = taking.start_attempt(db, participant, rnd)
    taking.submit(db, participant, early.id, 3)
    other = make_participant(
        db,
        contest,
        citizen_id="020085000003",
        gender="male",
        date_of_birth="01/01/1985",
        phone="0987000222",
    )
    running = taking.start_attempt(db, other, rnd)
    rnd.closes_at = clock.now() + timedelta(minutes=1)
    db.commit()
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    # The running attempt can still save, so nobody may read the key yet.
    taking.save_answer(db, other.id, running.id, 0, [0], 1)
    assert not taking.attempt_view(db, participant.id, early.id).show_key
    assert not taking.lobby(db, participant)[0].scores_visible
    clock.freeze(running.deadline_at + timedelta(seconds=running.grace_seconds + 1))
    assert taking.attempt_view(db, participant.id, early.id).show_key
    assert taking.lobby(db, participant)[0].scores_visible


def test_round_close_waits_for_attempts_still_running(db, setup):
    from contest.services import results
    from contest.services.context import Actor

    _, rnd, participant = setup
    running = taking.start_attempt(db, participant, rnd)
    rnd.closes_at = clock.now() + timedelta(minutes=1)
    db.commit()
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    with pytest.raises(ContestError):
        results.close_round(db, Actor("staff", 1, "giamkhao"), rnd)
    clock.freeze(running.deadline_at + timedelta(seconds=running.grace_seconds + 1))
    results.close_round(db, Actor("staff", 1, "giamkhao"), rnd)


def _second_round_sharing_the_bank(db, contest, rnd):
    from contest.models import Round, RoundBank

    second = Round(
        contest_id=contest.id,
        number=2,
        title_vi="Tuần 2",
        title_en="Week 2",
        opens_at=rnd.opens_at,
        closes_at=rnd.closes_at,
        questions_per_attempt=rnd.questions_per_attempt,
        time_limit_seconds=rnd.time_limit_seconds,
        max_attempts=1,
    )
    db.add(second)
    db.flush()
    bank_id = db.execute(select(RoundBank.bank_id).where(RoundBank.round_id == rnd.id)).scalar_one()
    db.add(RoundBank(round_id=second.id, bank_id=bank_id))
    db.commit()
    return second


def test_a_key_correction_changes_only_the_round_it_was_posted_under(db, setup):
    # Finding 5 of the trust review: a correction under one round changed another round's key.
    from contest.models import Attempt
    from contest.services import statistics
    from contest.services.context import Actor

    contest, rnd, participant = setup
    rnd.questions_per_attempt = 12  # every question of the bank on every paper
    db.commit()
    second = _second_round_sharing_the_bank(db, contest, rnd)
    first_attempt = taking.start_attempt(db, participant, rnd)
    for pos in range(12):
        taking.save_answer(
            db, participant.id, first_attempt.id, pos, right_indexes(db, first_attempt, pos), 1
        )
    taking.submit(db, participant, first_attempt.id, 3)
    second_attempt = taking.start_attempt(db, participant, second)
    taking.submit(db, participant, second_attempt.id, 3)
    assert db.get(Attempt, first_attempt.id).correct == 12
    version = first_attempt.paper[0]["v"]
    bank_key = {o["id"] for o in db.get(QuestionVersion, version).options if o["correct"]}
    wrong = next(oid for oid in first_attempt.paper[0]["o"] if oid not in bank_key)
    statistics.correct_key(
        db, Actor("staff", 1, "giamkhao"), second, version, [str(wrong)], "Sửa đáp án tuần 2"
    )
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    from contest.services import results

    results.close_round(db, Actor("staff", 1, "giamkhao"), rnd)
    assert db.get(Attempt, first_attempt.id).correct == 12
    pos = next(i for i, item in enumerate(first_attempt.paper) if item["v"] == version)
    shown = taking.attempt_view(db, participant.id, first_attempt.id).questions[pos].options
    assert [o.correct for o in shown] == [oid in bank_key for oid in first_attempt.paper[pos]["o"]]


def test_a_key_correction_is_refused_for_a_version_not_on_the_rounds_papers(db, setup):
    from contest.services import statistics
    from contest.services.context import Actor

    contest, rnd, participant = setup
    second = _second_round_sharing_the_bank(db, contest, rnd)
    attempt = taking.start_attempt(db, participant, rnd)
    taking.submit(db, participant, attempt.id, 3)
    version = attempt.paper[0]["v"]
    with pytest.raises(ContestError) as exc:
        statistics.correct_key(db, Actor("staff", 1, "giamkhao"), second, version, ["1"], "Sai")
    assert "đề" in exc.value.message_vi and "paper" in exc.value.message_en
