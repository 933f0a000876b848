"""Taking a round: lobby, start (draw a paper), save answers, submit, finalise and sweep.

The hot paths (start, save) avoid ORM object graphs. A save is usually one self-committing
statement (`try_fast_save`); the first save of an attempt in a process, and any refusal, take
the full path (`_save_checked`). Whether an attempt is final is worked out from the clock on
every read, so correctness never waits for the sweeper.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Engine,
    Row,
    ScalarSelect,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from contest import clock, metrics
from contest.domain.attempts import (
    AttemptClock,
    ResultVisibility,
    RoundWindow,
    can_start,
    issue_page,
    may_show_key,
    may_show_score,
)
from contest.domain.draw import DrawSettings, PoolQuestion, PreparedPool, Quota, draw_paper
from contest.domain.errors import ContestError, NotFound
from contest.domain.paper import (
    Option,
    PictureRef,
    QuestionKind,
    bank_key,
    option_order_at,
    option_orders,
    read_options,
    read_pictures,
    write_paper,
)
from contest.domain.ranking import DEFAULT_ORDER
from contest.domain.scoring import CountingPolicy, ScoredAttempt, counting_attempt
from contest.models import (
    Answer,
    Attempt,
    Contest,
    KeyCorrection,
    Participant,
    Question,
    QuestionBank,
    QuestionVersion,
    Round,
    RoundBank,
    RoundResult,
    WebSession,
)
from contest.services import audit, live, prize_plans, sessions
from contest.services.attempt_scoring import (
    attempt_clock,
    effective_keys,
    is_settled,
    materialise,
)
from contest.services.context import Actor

MAX_PREDICTION = 10**12


class AttemptClosed(ContestError):
    """A save or submit arrived after deadline + grace, or after submission."""


# ---------------------------------------------------------------------------- draw pools


@dataclass
class _CachedPool:
    stamp: tuple[str, ...]
    pool: PreparedPool


_pools: dict[int, _CachedPool] = {}
_pools_lock = threading.Lock()


def _stamp_of(round_id) -> ScalarSelect:
    """The round's banks as one text, "id:revision:created_at" for each: a bank's questions
    change only with its revision, and created_at guards against a deleted and recreated bank
    reusing an id and a revision. A scalar, so the Start button reads it with its round."""
    part = (
        cast(QuestionBank.id, String)
        + ":"
        + cast(QuestionBank.revision, String)
        + ":"
        + cast(QuestionBank.created_at, String)
    )
    return (
        select(func.aggregate_strings(part, ","))
        .join(RoundBank, RoundBank.bank_id == QuestionBank.id)
        .where(RoundBank.round_id == round_id)
        .scalar_subquery()
    )


# Statements every start or attempt page runs, built once (and so is their cache key).
_STAMP = select(_stamp_of(bindparam("round_id")))
_ROUND_FOR_START = (
    select(Round, _stamp_of(Round.id))
    .join(Round.contest)
    .options(contains_eager(Round.contest))
    .where(Contest.slug == bindparam("slug"), Round.number == bindparam("number"))
)
_STAMPS = "contest.bank_stamps"  # in Session.info: read with the round, for the draw after it
_MY_ATTEMPTS = (
    select(Attempt)
    .where(Attempt.participant_id == bindparam("participant_id"))
    .order_by(Attempt.round_id, Attempt.number)
)
_MY_ATTEMPTS_OF_ROUND = (
    select(Attempt)
    .where(
        Attempt.round_id == bindparam("round_id"),
        Attempt.participant_id == bindparam("participant_id"),
    )
    .order_by(Attempt.number)
)
# With the attempt: whether it has any answer and whether its round has any key correction, so
# the page asks for those only when there are some (a fresh attempt in a round without
# corrections: neither).
_ATTEMPT_PAGE = (
    select(
        Attempt,
        Round,
        exists().where(Answer.attempt_id == Attempt.id).label("answered"),
        exists().where(KeyCorrection.round_id == Round.id).label("corrected"),
    )
    .join(Round, Round.id == Attempt.round_id)
    .join(Round.contest)
    .options(contains_eager(Round.contest))
    .where(Attempt.id == bindparam("attempt_id"))
)
_ANSWERS = select(Answer).where(Answer.attempt_id == bindparam("attempt_id"))


def _stamp(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(text.split(","))) if text else ()


def _bank_stamp(db: Session, round_id: int) -> tuple[str, ...]:
    read = db.info.get(_STAMPS)
    if read and round_id in read:
        return read.pop(round_id)  # read with the round in this request: used once
    return _stamp(db.execute(_STAMP, {"round_id": round_id}).scalar())


def round_for_start(db: Session, slug: str, number: int) -> Round | None:
    """A round with its contest, for the Start button, in one statement that also reads the
    stamp of its banks (what the draw checks its process's pool against)."""
    row = db.execute(_ROUND_FOR_START, {"slug": slug, "number": number}).one_or_none()
    if row is None:
        return None
    db.info.setdefault(_STAMPS, {})[row[0].id] = _stamp(row[1])
    return row[0]


def round_pool(db: Session, round_id: int) -> PreparedPool:
    """The round's draw pool, built once per process and rebuilt when a bank changes."""
    stamp = _bank_stamp(db, round_id)
    cached = _pools.get(round_id)
    if cached is not None and cached.stamp == stamp:
        return cached.pool
    rows = db.execute(
        select(
            Question.id,
            QuestionVersion.id,
            QuestionVersion.topic,
            QuestionVersion.difficulty,
            QuestionVersion.options,
        )
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(RoundBank, RoundBank.bank_id == Question.bank_id)
        .where(RoundBank.round_id == round_id, Question.retired_at.is_(None))
        .order_by(Question.bank_id, Question.position, Question.id)
    ).all()
    pool = PreparedPool(
        PoolQuestion(qid, vid, topic, difficulty, tuple(int(o["id"]) for o in options))
        for qid, vid, topic, difficulty, options in rows
    )
    with _pools_lock:
        _pools[round_id] = _CachedPool(stamp, pool)
    return pool


def draw_settings(rnd: Round) -> DrawSettings:
    return DrawSettings(
        questions_per_attempt=rnd.questions_per_attempt,
        quotas=tuple(
            Quota(q.get("topic"), q.get("difficulty"), int(q["count"]))
            for q in (rnd.draw_quotas or [])
        ),
        shuffle_questions=rnd.shuffle_questions,
        shuffle_options=rnd.shuffle_options,
    )


# ---------------------------------------------------------------------------- lobby


def round_window(rnd: Round) -> RoundWindow:
    return RoundWindow(rnd.opens_at, rnd.closes_at)


def is_final(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt_clock(attempt).is_final(now or clock.now(), attempt.submitted_at)


@dataclass
class RoundStatus:
    round: Round
    state: str  # upcoming | open | closed
    attempts_used: int
    attempts_left: int | None  # None = unlimited
    open_attempt: Attempt | None
    attempts: list[Attempt] = field(default_factory=list)
    counting_attempt_id: int | None = None
    scores_visible: bool = False
    can_start: bool = False
    refusal_vi: str = ""
    refusal_en: str = ""


def lobby(
    db: Session, participant: Participant, rounds: list[Round] | None = None
) -> list[RoundStatus]:
    """Each round of the participant's contest as the lobby shows it; `rounds` when the caller
    has them already (loaded with the contest)."""
    now = clock.now()
    if rounds is None:
        rounds = list(
            db.execute(
                select(Round)
                .where(Round.contest_id == participant.contest_id)
                .order_by(Round.number)
            ).scalars()
        )
    attempts = list(db.execute(_MY_ATTEMPTS, {"participant_id": participant.id}).scalars())
    if materialise(db, attempts, now):
        db.commit()
    by_round: dict[int, list[Attempt]] = {}
    for a in attempts:
        by_round.setdefault(a.round_id, []).append(a)
    out = []
    for rnd in rounds:
        mine = by_round.get(rnd.id, [])
        window = round_window(rnd)
        state = (
            "open"
            if window.is_open(now)
            else ("upcoming" if not window.has_opened(now) else "closed")
        )
        open_attempt = next((a for a in mine if not is_final(a, now)), None)
        check = can_start(len(mine), rnd.max_attempts, window, now)
        # Which attempt counts says which scored best: shown only where the score may be.
        scores_visible = may_show_score(
            ResultVisibility(show_score=rnd.show_score, show_key=rnd.show_key),
            True,
            is_settled(db, rnd, now),
        )
        counted = (
            counting_attempt(
                [scored_attempt(a) for a in mine if a.finalised_at],
                CountingPolicy(rnd.counting),
                **_ranking_of(db, rnd),
            )
            if scores_visible and mine
            else None
        )
        out.append(
            RoundStatus(
                round=rnd,
                state=state,
                attempts_used=len(mine),
                attempts_left=None
                if rnd.max_attempts == 0
                else max(0, rnd.max_attempts - len(mine)),
                open_attempt=open_attempt,
                attempts=mine,
                counting_attempt_id=int(counted.attempt_id) if counted else None,
                scores_visible=scores_visible,
                can_start=bool(check) and open_attempt is None,
                refusal_vi=check.message_vi or "",
                refusal_en=check.message_en or "",
            )
        )
    # What a participant can do now comes first: open, then upcoming, then past rounds, latest first.
    order = {"open": 0, "upcoming": 1, "closed": 2}
    out.sort(
        key=lambda st: (
            order[st.state],
            st.round.number if st.state != "closed" else -st.round.number,
        )
    )
    return out


def _ranking_of(db: Session, rnd: Round) -> dict:
    """The round's ranking order and, once closed, its true figure: what chooses the best attempt."""
    plan = prize_plans.plan_for(db, rnd.contest_id, rnd.id, required=False)
    closed = db.get(RoundResult, rnd.id)
    return {
        "order": plan.order if plan is not None else DEFAULT_ORDER,
        "true_figure": closed.true_figure if closed is not None else None,
    }


def scored_attempt(a: Attempt, eligible: bool = True) -> ScoredAttempt:
    """A final attempt as the counting and ranking rules see it."""
    return ScoredAttempt(
        attempt_id=str(a.id),
        participant_id=str(a.participant_id),
        correct=a.correct or 0,
        question_count=a.question_count,
        duration_seconds=(a.duration_ms or 0) / 1000,
        submitted_at=a.started_at + timedelta(milliseconds=a.duration_ms or 0),
        prediction=a.prediction,
        eligible=eligible,
    )


# ---------------------------------------------------------------------------- start


def start_attempt(
    db: Session, participant: Participant, rnd: Round, ip: str = "", device: str = ""
) -> Attempt:
    """Resume the open attempt of this round, or draw a new paper and start one."""
    now = clock.now()
    found = open_or_next(db, participant, rnd, now)
    if isinstance(found, Attempt):
        return found
    return begin_attempt(db, participant, rnd, found, now, ip, device)


def open_or_next(db: Session, participant: Participant, rnd: Round, now: datetime) -> Attempt | int:
    """The open attempt of this round, or the number a new one would get; refuses (a
    ContestError) when the rules do not let this person start one now."""
    if rnd.contest_id != participant.contest_id:
        raise NotFound("Không có đợt thi này.", "No such round.")
    mine = list(
        db.execute(
            _MY_ATTEMPTS_OF_ROUND, {"round_id": rnd.id, "participant_id": participant.id}
        ).scalars()
    )
    for a in mine:
        if not is_final(a, now):
            return a
    can_start(len(mine), rnd.max_attempts, round_window(rnd), now).raise_if_refused()
    return len(mine) + 1


def begin_attempt(
    db: Session,
    participant: Participant,
    rnd: Round,
    number: int,
    now: datetime,
    ip: str = "",
    device: str = "",
    *,
    details: dict | None = None,
    commit: bool = True,
) -> Attempt:
    """Draw a paper and start attempt `number` at `now` (the clock starts when the paper is
    served). With commit=False the caller adds its own writes to the same transaction."""
    pool = round_pool(db, rnd.id)
    paper = draw_paper(pool, draw_settings(rnd), random.Random(secrets.randbits(64)))
    attempt = Attempt(
        round_id=rnd.id,
        participant_id=participant.id,
        number=number,
        started_at=now,
        deadline_at=min(now + timedelta(seconds=rnd.time_limit_seconds), rnd.closes_at),
        grace_seconds=rnd.grace_seconds,
        paper=write_paper(paper),
        question_count=len(paper),
        start_ip=ip[:64],
        start_device=device[:40],
    )
    db.add(attempt)
    try:
        db.flush()
    except IntegrityError:
        # Another tap of the same person won the race for this attempt number (the unique
        # constraint waited for it to commit): answer the attempt it started.
        db.rollback()
        for a in db.execute(
            select(Attempt)
            .where(Attempt.round_id == rnd.id, Attempt.participant_id == participant.id)
            .order_by(Attempt.number)
        ).scalars():
            if not is_final(a, now):
                return a
        raise
    audit.queue(
        db,
        Actor("participant", participant.id, "", ip),
        "attempt.start",
        "attempt",
        attempt.id,
        {"round": rnd.id, "number": attempt.number, **(details or {})},
    )
    if commit:
        db.commit()
    metrics.STARTS.inc()
    return attempt


# ---------------------------------------------------------------------------- save


@dataclass(frozen=True)
class SaveResult:
    position: int
    saved_at: datetime
    remaining_seconds: int
    # True when what is stored now is what this save sent (written now, or already there).
    # False when a newer choice was stored first: `stored` then says what that is, as display
    # indexes (0 = A), so the page can show it instead of claiming this save.
    applied: bool
    stored: tuple[int, ...] = ()


def _load_for_write(
    db: Session, participant_id: int, attempt_id: int, *, lock: bool = False
) -> Attempt:
    attempt = db.get(Attempt, attempt_id, with_for_update=lock or None, populate_existing=lock)
    if attempt is None or attempt.participant_id != participant_id:
        raise NotFound("Không tìm thấy bài thi.", "Attempt not found.")
    return attempt


def _refuse_if_closed(attempt: Attempt | Row, now: datetime):
    ac = attempt_clock(attempt)
    if not ac.accepts_saves_at(now, attempt.submitted_at):
        raise _closed(submitted=attempt.submitted_at is not None)
    return ac


def _closed(*, submitted: bool) -> AttemptClosed:
    if submitted:
        return AttemptClosed(
            "Bài thi đã được nộp; không thể thay đổi câu trả lời.",
            "The attempt has been submitted; answers can no longer change.",
        )
    return AttemptClosed(
        "Đã hết giờ làm bài; câu trả lời này không được lưu.",
        "Time is up; this answer was not saved.",
    )


_SAVE_COLUMNS = (
    Attempt.id,
    Attempt.round_id,
    Attempt.participant_id,
    Attempt.started_at,
    Attempt.deadline_at,
    Attempt.grace_seconds,
    Attempt.submitted_at,
    Attempt.paper,
)


def save_answer(
    db: Session,
    participant_id: int,
    attempt_id: int,
    position: int,
    shown: list[int],
    order: int,
) -> SaveResult:
    """Store the options chosen for one question. `shown` are display indexes (0 = A); `order`
    is the save's server-decided order (`domain.attempts.save_order`).

    Idempotent: the same save twice changes nothing; a save ordered before the stored answer
    (an old retry, a page older than the one that saved) changes nothing and says what is stored.
    """
    # The few columns a save needs as a plain row, no ORM object in the identity map.
    attempt = db.execute(select(*_SAVE_COLUMNS).where(Attempt.id == attempt_id)).one_or_none()
    if attempt is None or attempt.participant_id != participant_id:
        raise NotFound("Không tìm thấy bài thi.", "Attempt not found.")
    now = clock.now()
    result = _save(db, attempt, position, shown, order, now)
    db.commit()
    count_saved(attempt.round_id, 1)
    return result


def save_paper(
    db: Session,
    participant_id: int,
    attempt_id: int,
    choices: dict[int, list[int]],
    order: int,
    prediction: int | None | str = "",
) -> list[SaveResult]:
    """The whole page sent as one form (the Save button, the review before submitting): every
    question with a choice on the page, or with one stored, in one transaction, all with the
    page's order. `prediction` "" leaves the prediction as it is."""
    attempt = db.execute(select(*_SAVE_COLUMNS).where(Attempt.id == attempt_id)).one_or_none()
    if attempt is None or attempt.participant_id != participant_id:
        raise NotFound("Không tìm thấy bài thi.", "Attempt not found.")
    now = clock.now()
    stored = set(
        db.execute(select(Answer.position).where(Answer.attempt_id == attempt_id)).scalars()
    )
    results = [
        _save(db, attempt, pos, choices.get(pos, []), order, now)
        for pos in range(len(attempt.paper))
        if choices.get(pos) or pos in stored
    ]
    if prediction != "":
        _set_prediction(db, attempt_id, prediction)  # type: ignore[arg-type]
    db.commit()
    if results:
        count_saved(attempt.round_id, len(results))
    return results


class NoSession(Exception):
    """The cookie names no live participant session (the caller answers as for a signed-out user)."""


@dataclass(frozen=True)
class _SaveTicket:
    """What a save needs of an attempt that cannot change after start, remembered per process
    once a full check has passed for this session. It grants nothing by itself: the one-statement
    save below still checks the session, the owner, submission and finalisation in the database."""

    token_hash: str
    checked_at: datetime
    round_id: int
    participant_id: int
    started_at: datetime
    deadline_at: datetime
    grace_seconds: int
    orders: tuple[tuple[int, ...], ...]
    # Worked out once per ticket rather than per save: the attempt's clock, and the guard values
    # as the batch writer sends them (participant, token hash, start and deadline as naive UTC).
    clock: AttemptClock
    guard_text: tuple[str, str, str, str]


def _utc_text(value: datetime) -> str:
    """A stored (naive UTC, models.base.UTCDateTime) timestamp as PostgreSQL reads it."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


_tickets: dict[int, _SaveTicket] = {}
_TICKETS_MAX = (
    50_000  # a few MB; cleared wholesale when full (the next save of each attempt refills it)
)


def _remember(attempt_id: int, token_hash: str, row: Row | Attempt, now: datetime) -> None:
    if len(_tickets) >= _TICKETS_MAX:
        _tickets.clear()
    _tickets[attempt_id] = _SaveTicket(
        token_hash,
        now,
        row.round_id,
        row.participant_id,
        row.started_at,
        row.deadline_at,
        row.grace_seconds or 0,
        option_orders(row.paper),
        attempt_clock(row),
        (
            str(row.participant_id),
            token_hash,
            _utc_text(row.started_at),
            _utc_text(row.deadline_at),
        ),
    )


def prepare_fast_saves(raw_token: str | None, attempt: Attempt) -> None:
    """The attempt page was just shown to this session's participant: leave this process the
    ticket, so the answers that follow from the page take the fast path from the first one."""
    if raw_token and len(raw_token) <= 100:
        _remember(attempt.id, sessions.token_hash(raw_token), attempt, clock.now())


# The upsert is guarded by the attempt row itself: it inserts only while the attempt is this
# participant's, not submitted, not scored, and its start and deadline are the ones the caller
# checked the clock against (and took the option order from). On PostgreSQL the attempt row is
# share-locked for the statement, so a save and a submit (or the scorer, which locks the row
# before it reads answers) never interleave: the save lands before the score is computed, or it
# finds the attempt final and inserts nothing. SQLite runs one writer at a time, which gives the
# same order without a row lock. The fast path adds the session check, so the whole save is one
# statement and one round trip.
_GUARDED_UPSERT = (
    "INSERT INTO answers (attempt_id, position, chosen, client_seq, saved_at) "
    "SELECT a.id, :position, :chosen, :client_seq, :saved_at FROM attempts a "
    "WHERE a.id = :attempt_id AND a.participant_id = :participant_id AND a.submitted_at IS NULL "
    "AND a.finalised_at IS NULL AND a.started_at = :started_at AND a.deadline_at = :deadline_at{session}{lock} "
    "ON CONFLICT (attempt_id, position) DO UPDATE SET chosen = excluded.chosen, "
    "client_seq = excluded.client_seq, saved_at = excluded.saved_at "
    "WHERE answers.client_seq < excluded.client_seq"
)
_SESSION_LIVE = (
    " AND EXISTS (SELECT 1 FROM web_sessions s WHERE s.token_hash = :token_hash "
    "AND s.participant_id = a.participant_id AND s.ended_at IS NULL AND s.expires_at > :saved_at)"
)
# Plain SQL with typed parameters: the dialects' ON CONFLICT constructs have no cache key, so
# SQLAlchemy would compile them again on every save.
_TYPED = (
    bindparam("chosen", type_=Answer.__table__.c.chosen.type),
    bindparam("saved_at", type_=Answer.__table__.c.saved_at.type),
    bindparam("started_at", type_=Attempt.__table__.c.started_at.type),
    bindparam("deadline_at", type_=Attempt.__table__.c.deadline_at.type),
)
_UPSERTS = {
    (dialect, with_session): text(
        _GUARDED_UPSERT.format(
            session=_SESSION_LIVE if with_session else "",
            lock=" FOR SHARE OF a" if dialect == "postgresql" else "",
        )
    ).bindparams(*_TYPED)
    for dialect in ("postgresql", "sqlite")
    for with_session in (False, True)
}


def _upsert_statement(db: Session, with_session: bool):
    return _UPSERTS[(db.get_bind().dialect.name, with_session)]


def save_answer_for_session(
    db: Session,
    raw_token: str | None,
    attempt_id: int,
    position: int,
    shown: list[int],
    order: int,
) -> SaveResult:
    """`save_answer` for the web's hottest path: the fast path when it applies, else the full one,
    which tells the reasons apart (signed out, not yours, submitted, time up, a newer answer
    already stored) and answers as `save_answer` does."""
    if not raw_token or len(raw_token) > 100:
        raise NoSession()
    return try_fast_save(db, raw_token, attempt_id, position, shown, order) or _save_checked(
        db, raw_token, attempt_id, position, shown, order
    )


@dataclass(frozen=True, slots=True)
class FastSave:
    """A save this process's ticket lets be written without reading first: the guarded upsert's
    parameters (`saved_at` is set when it is written) and what its answer needs."""

    params: dict
    round_id: int
    clock: AttemptClock
    # The ticket's participant, token hash, start and deadline as text (save_batches).
    guard_text: tuple[str, str, str, str] = ()  # type: ignore[assignment]

    @property
    def key(self) -> tuple[int, int]:
        return self.params["attempt_id"], self.params["position"]

    def result(self, now: datetime) -> SaveResult:
        return SaveResult(self.params["position"], now, self.clock.remaining(now), True)


def fast_save(
    raw_token: str, attempt_id: int, position: int, shown: list[int], order: int, now: datetime
) -> FastSave | None:
    """The fast path's save, when this process holds a ticket for this session and attempt and
    the clock still accepts it; None sends the caller to the full path."""
    hashed = sessions.token_hash(raw_token)
    ticket = _tickets.get(attempt_id)
    if (
        ticket is None
        or ticket.token_hash != hashed
        or now - ticket.checked_at >= sessions.TOUCH_EVERY
    ):
        return None
    chosen = _chosen_ids(ticket.orders, position, shown)
    ac = ticket.clock
    if chosen is None or not ac.accepts_saves_at(now, None):
        return None
    params = {
        "attempt_id": attempt_id,
        "participant_id": ticket.participant_id,
        "position": position,
        "chosen": chosen,
        "client_seq": order,
        "saved_at": now,
        "token_hash": hashed,
        "started_at": ticket.started_at,
        "deadline_at": ticket.deadline_at,
    }
    return FastSave(params, ticket.round_id, ac, ticket.guard_text)


def try_fast_save(
    db: Session, raw_token: str, attempt_id: int, position: int, shown: list[int], order: int
) -> SaveResult | None:
    """One self-committing statement, once this process has checked the session and the attempt
    (a ticket). None, with nothing written, whenever it does not apply: no ticket yet, a refusal
    to explain, or a newer answer already stored; the caller then takes the full path."""
    now = clock.now()
    save = fast_save(raw_token, attempt_id, position, shown, order, now)
    if save is None:
        return None
    if _execute_alone(db, _upsert_statement(db, with_session=True), save.params) != 1:
        return None
    count_saved(save.round_id, 1)
    return save.result(now)


def count_saved(round_id: int, n: int) -> None:
    """Count stored saves for the operators (metrics) and the organisers' live page."""
    metrics.SAVES.inc(n)
    live.count(round_id, "save", n)


def _execute_alone(db: Session, statement, params: dict) -> int:
    """Run one statement as its own transaction; returns the row count.

    On PostgreSQL in autocommit: one round trip, where BEGIN, statement, COMMIT would be three.
    When the session is bound to a connection (a caller's outer transaction) it joins that instead.
    """
    bind = db.get_bind()
    if isinstance(bind, Engine):
        if bind.dialect.name == "postgresql":
            with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return conn.execute(statement, params).rowcount or 0
        with bind.begin() as conn:
            return conn.execute(statement, params).rowcount or 0
    count = db.execute(statement, params).rowcount or 0
    db.commit()
    return count


def _chosen_ids(
    orders: tuple[tuple[int, ...], ...], position: int, shown: list[int]
) -> list[int] | None:
    """The option ids behind display indexes, or None when the position or an index is not valid."""
    if not 0 <= position < len(orders):
        return None
    order = orders[position]
    if any(not 0 <= i < len(order) for i in shown) or len(set(shown)) != len(shown):
        return None
    return sorted(order[i] for i in shown)


def _save_checked(
    db: Session, raw_token: str, attempt_id: int, position: int, shown: list[int], order: int
) -> SaveResult:
    """The full path: the session, its participant's attempt and the checks in one SELECT, then
    the upsert and the commit; a success leaves this process a ticket for the fast path."""
    hashed = sessions.token_hash(raw_token)
    row = db.execute(
        select(
            WebSession.id.label("session_id"),
            WebSession.participant_id.label("session_participant"),
            WebSession.ended_at,
            WebSession.expires_at,
            WebSession.last_seen_at,
            *_SAVE_COLUMNS,
        )
        .select_from(WebSession)
        .outerjoin(
            Attempt,
            and_(Attempt.id == attempt_id, Attempt.participant_id == WebSession.participant_id),
        )
        .where(WebSession.token_hash == hashed)
    ).one_or_none()
    now = clock.now()
    if (
        row is None
        or row.session_participant is None
        or row.ended_at is not None
        or row.expires_at <= now
    ):
        raise NoSession()
    if row.id is None:
        raise NotFound("Không tìm thấy bài thi.", "Attempt not found.")
    if now - row.last_seen_at > sessions.TOUCH_EVERY:
        db.execute(
            update(WebSession).where(WebSession.id == row.session_id).values(last_seen_at=now)
        )
    result = _save(db, row, position, shown, order, now)
    db.commit()
    count_saved(row.round_id, 1)
    _remember(attempt_id, hashed, row, now)
    return result


def _save(
    db: Session, attempt: Row, position: int, shown: list[int], order: int, now: datetime
) -> SaveResult:
    """The guarded upsert of one answer inside the caller's transaction (the caller commits)."""
    ac = _refuse_if_closed(attempt, now)
    if not 0 <= position < len(attempt.paper):
        raise ContestError(
            "Câu hỏi không có trong đề.", "That question is not on this paper.", field="position"
        )
    order_ids = option_order_at(attempt.paper, position)
    chosen = _chosen_ids((order_ids,), 0, shown)
    if chosen is None:
        raise ContestError("Phương án không hợp lệ.", "That option is not valid.", field="chosen")
    written = (
        db.execute(
            _upsert_statement(db, with_session=False),
            {
                "attempt_id": attempt.id,
                "participant_id": attempt.participant_id,
                "position": position,
                "chosen": chosen,
                "client_seq": order,
                "saved_at": now,
                "started_at": attempt.started_at,
                "deadline_at": attempt.deadline_at,
            },
        ).rowcount
        or 0
    ) > 0
    if written:
        return SaveResult(position, now, ac.remaining(now), True)
    # Either a save ordered after this one is stored, or the attempt became final between the
    # check above and the upsert (a submit in another tab, the scorer).
    latest = db.execute(
        select(Attempt.submitted_at, Attempt.finalised_at).where(Attempt.id == attempt.id)
    ).one()
    if latest.submitted_at is not None or latest.finalised_at is not None:
        db.rollback()
        raise _closed(submitted=latest.submitted_at is not None)
    kept = db.execute(
        select(Answer.chosen, Answer.saved_at).where(
            Answer.attempt_id == attempt.id, Answer.position == position
        )
    ).one_or_none()
    if kept is None:  # nothing stored and nothing written: the attempt is no longer open
        db.rollback()
        raise _closed(submitted=False)
    stored = tuple(i for i, oid in enumerate(order_ids) if oid in set(kept.chosen or []))
    same = sorted(kept.chosen or []) == chosen
    return SaveResult(position, kept.saved_at, ac.remaining(now), same, stored)


def save_prediction(
    db: Session, participant_id: int, attempt_id: int, prediction: int | None
) -> SaveResult:
    now = clock.now()
    attempt = _load_for_write(db, participant_id, attempt_id)
    ac = _refuse_if_closed(attempt, now)
    _set_prediction(db, attempt.id, prediction)
    db.commit()
    return SaveResult(-1, now, ac.remaining(now), True)


def _set_prediction(db: Session, attempt_id: int, prediction: int | None) -> None:
    # Guarded like an answer: a submit from another tab between the check and this write wins.
    changed = db.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id, Attempt.submitted_at.is_(None), Attempt.finalised_at.is_(None)
        )
        .values(prediction=_valid_prediction(prediction))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.rollback()
        submitted = db.execute(
            select(Attempt.submitted_at).where(Attempt.id == attempt_id)
        ).scalar_one()
        raise _closed(submitted=submitted is not None)


def _valid_prediction(value: int | None) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= MAX_PREDICTION:
        raise ContestError(
            "Số dự đoán phải là số nguyên không âm.",
            "The prediction must be a whole number, zero or more.",
            field="prediction",
        )
    return value


# ---------------------------------------------------------------------------- submit, finalise, sweep


def submit(
    db: Session,
    participant: Participant,
    attempt_id: int,
    prediction: int | None,
    *,
    auto: bool = False,
    ip: str = "",
) -> Attempt:
    """Submit and score. An attempt already final (submitted, or expired) is returned as it is."""
    # The row lock first, then the clock: a save from another tab that holds the row commits
    # before this submit's time is taken, so no answer looks saved after the submission.
    attempt = _load_for_write(db, participant.id, attempt_id, lock=True)
    now = clock.now()
    if is_final(attempt, now):
        if attempt.finalised_at is None:
            finalise(db, attempt)
        return attempt
    rnd = db.get(Round, attempt.round_id)
    if prediction is not None:
        attempt.prediction = _valid_prediction(prediction)
    if rnd.prediction_vi and rnd.prediction_required and attempt.prediction is None and not auto:
        raise ContestError(
            "Vui lòng trả lời câu hỏi dự đoán trước khi nộp bài.",
            "Please answer the prediction question before submitting.",
            field="prediction",
        )
    # Only the first submit wins, even if two tabs submit at once.
    won = db.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=now, prediction=attempt.prediction)
    ).rowcount
    db.refresh(attempt)
    if won:
        materialise(db, [attempt], now)
        db.refresh(attempt)
        audit.queue(
            db,
            Actor("participant", participant.id, "", ip),
            "attempt.submit",
            "attempt",
            attempt.id,
            {"auto": auto, "correct": attempt.correct},
        )
    db.commit()
    if won:
        metrics.FINISHED.labels("submitted").inc()
    return attempt


def finalise(db: Session, attempt: Attempt) -> None:
    """Materialise the score of a final attempt (idempotent; safe when several processes race)."""
    if materialise(db, [attempt], clock.now()):
        db.commit()
    db.refresh(attempt)


def sweep(db: Session, limit: int = 1000) -> int:
    """Score attempts whose time ran out without a submit. Safe to run on every host."""
    now = clock.now()
    candidates = list(
        db.execute(
            select(Attempt)
            .where(
                Attempt.finalised_at.is_(None),
                Attempt.submitted_at.is_(None),
                Attempt.deadline_at < now,
            )
            .order_by(Attempt.deadline_at)
            .limit(limit)
        ).scalars()
    )
    done = materialise(db, candidates, now)
    db.commit()
    if done:
        metrics.FINISHED.labels("expired").inc(done)
    return done


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True)
class OptionView:
    index: int  # display position: 0 = A
    letter: str
    text: str
    chosen: bool
    correct: bool | None  # None unless the key may be shown
    pictures: tuple[PictureRef, ...] = ()
    option_id: int = 0  # the bank's id: the page's cached fragments are keyed by it


@dataclass(frozen=True)
class QuestionView:
    position: int
    stem: str
    text_format: str
    multiple: bool
    options: tuple[OptionView, ...]
    saved_at: datetime | None
    explanation: str | None  # only when the key may be shown
    pictures: tuple[PictureRef, ...] = ()
    version_id: int = 0  # never changes once written: the page renders its text once a process


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    round: Round
    final: bool
    remaining_seconds: int
    questions: tuple[QuestionView, ...]
    show_score: bool
    show_key: bool
    # This rendering's page number: the saves it sends are ordered after every stored answer.
    page: int = 0

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if any(o.chosen for o in q.options))


LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class QuestionText:
    stem: str
    text_format: str
    options: tuple[dict, ...]
    explanation: str | None
    pictures: tuple[PictureRef, ...] = ()
    # The options read once when the version is loaded (each page asks for them by id).
    by_id: dict[int, Option] = field(default_factory=dict)


_texts: dict[int, QuestionText] = {}
_TEXTS_MAX = 100_000


def question_texts(db: Session, version_ids: list[int]) -> dict[int, QuestionText]:
    """Question versions as the attempt page shows them. A version never changes once written
    (an edit makes a new one), so each process reads it once: a start burst renders the same few
    hundred questions thousands of times."""
    found = {vid: _texts[vid] for vid in version_ids if vid in _texts}
    missing = [vid for vid in set(version_ids) if vid not in found]
    if missing:
        if len(_texts) + len(missing) > _TEXTS_MAX:
            _texts.clear()
        for vid, stem, text_format, options, explanation, pictures in db.execute(
            select(
                QuestionVersion.id,
                QuestionVersion.stem,
                QuestionVersion.text_format,
                QuestionVersion.options,
                QuestionVersion.explanation,
                QuestionVersion.pictures,
            ).where(QuestionVersion.id.in_(missing))
        ):
            found[vid] = _texts[vid] = QuestionText(
                stem,
                text_format,
                tuple(options),
                explanation,
                read_pictures(pictures),
                {o.id: o for o in read_options(options)},
            )
    return found


# What other layers remember of question versions (the page's rendered fragments) registers here.
_clear_hooks: list[Callable[[], None]] = []


def on_clear_process_caches(hook: Callable[[], None]) -> None:
    _clear_hooks.append(hook)


def clear_process_caches() -> None:
    """Forget what this process remembers of papers, question versions and draw pools, for tests
    that roll back (SQLite then hands the same ids to other rows). After restoring a database from
    a backup, restart the server processes, which has the same effect (docs/deploy.md)."""
    _texts.clear()
    for hook in _clear_hooks:
        hook()
    _tickets.clear()
    with _pools_lock:
        _pools.clear()


def attempt_view(db: Session, participant_id: int, attempt_id: int) -> AttemptView:
    """What the participant may see of their attempt now; the key only when the rules allow."""
    now = clock.now()
    # The attempt, its round and the contest in one statement (the page shows all three; the
    # contest stays in the session for the page's frame).
    row = db.execute(_ATTEMPT_PAGE, {"attempt_id": attempt_id}).one_or_none()
    if row is None or row[0].participant_id != participant_id:
        raise NotFound("Không tìm thấy bài thi.", "Attempt not found.")
    attempt, rnd = row[0], row[1]
    final = is_final(attempt, now)
    if final and attempt.finalised_at is None:
        finalise(db, attempt)
    # Only a final attempt may show its score or key, so only then is the round's settling time
    # (an aggregate over every attempt of the round) asked for: a start never pays for it.
    round_closed = final and is_settled(db, rnd, now)
    visibility = ResultVisibility(show_score=rnd.show_score, show_key=rnd.show_key)
    show_key = may_show_key(visibility, final, round_closed)
    show_score = may_show_score(visibility, final, round_closed)
    items = attempt.items
    versions = question_texts(db, [item.version_id for item in items])
    # The key as scoring sees it: a committee's key correction takes precedence over the bank's.
    # The kind of question follows it too, so a corrected key with two right options is offered
    # with check boxes, shown or not.
    keys = {vid: bank_key(t.options) for vid, t in versions.items()}
    if row.corrected:
        keys = effective_keys(db, keys, rnd.id)
    answers = (
        {a.position: a for a in db.execute(_ANSWERS, {"attempt_id": attempt.id}).scalars()}
        if row.answered
        else {}
    )
    questions = []
    for pos, item in enumerate(items):
        version = versions[item.version_id]
        key = keys[item.version_id]
        by_id = version.by_id
        chosen = set(answers[pos].chosen) if pos in answers else set()
        multiple = QuestionKind.of_key(key) is QuestionKind.MULTIPLE
        options = tuple(
            OptionView(
                i,
                LETTERS[i],
                by_id[oid].text,
                oid in chosen,
                str(oid) in key if show_key else None,
                by_id[oid].pictures,
                oid,
            )
            for i, oid in enumerate(item.option_order)
        )
        questions.append(
            QuestionView(
                pos,
                version.stem,
                version.text_format,
                multiple,
                options,
                answers[pos].saved_at if pos in answers else None,
                version.explanation if show_key else None,
                version.pictures,
                item.version_id,
            )
        )
    return AttemptView(
        attempt,
        rnd,
        final,
        attempt_clock(attempt).remaining(now),
        tuple(questions),
        show_score,
        show_key,
        issue_page(now, [a.client_seq or 0 for a in answers.values()]),
    )


def participant_attempt_counts(db: Session, round_id: int) -> int:
    return db.execute(
        select(func.count()).select_from(Attempt).where(Attempt.round_id == round_id)
    ).scalar_one()


def expired_unfinalised(db: Session) -> int:
    now = clock.now()
    return db.execute(
        select(func.count())
        .select_from(Attempt)
        .where(
            and_(
                Attempt.finalised_at.is_(None),
                Attempt.submitted_at.is_(None),
                Attempt.deadline_at < now,
            )
        )
    ).scalar_one()
