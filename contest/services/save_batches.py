"""Group commit for answer saves on PostgreSQL: the fast-path saves that arrive in one process
while its previous write is in flight are written together, in one statement and one commit.

A save is answered only after the commit that holds it, and says "saved" only when the
statement's RETURNING names it: the same guarded upsert as one save alone (the session is live,
the attempt is this participant's, not submitted or scored, its start and deadline are the
ticket's, and no newer answer is stored), applied row by row. A save it does not name, and
every save of a batch whose write failed, goes to the full path, which writes or explains.

Nothing waits on a timer: the first save after a quiet moment is written at once, and under load
a batch is whatever arrived during the previous write (a millisecond or two). One statement and
one commit for dozens of saves is what lets a process keep up with a contest day's saves on a
few cores; the database does far less work per save, and the server has no thread hop per save.
The writer uses its own psycopg connection on the event loop (autocommit, prepared statement).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contest import clock, metrics
from contest import db as database
from contest.config import get_settings
from contest.services import taking

log = logging.getLogger("contest.saves")

MAX_BATCH = 500
# After a failed write (the database away, no connection to be had) the full path serves this
# process's saves for a moment instead of every batch trying a new connection first.
PAUSE_SECONDS = 2.0

# The single save's guarded upsert (services.taking), applied to each element of the arrays.
# The session is looked up per row through its unique token index (a scalar subquery the planner
# cannot turn into a join), so the plan is index lookups whatever the tables' statistics say.
_BATCH_UPSERT = (
    "INSERT INTO answers (attempt_id, position, chosen, client_seq, saved_at) "
    "SELECT a.id, b.position, b.chosen, b.client_seq, %(saved_at)s "
    "FROM unnest(%(attempt_id)s::text::bigint[], %(participant_id)s::text::bigint[], "
    "%(position)s::text::integer[], %(chosen)s::text::json[], %(client_seq)s::text::bigint[], "
    "%(token_hash)s::text::varchar[], %(started_at)s::text::timestamp[], "
    "%(deadline_at)s::text::timestamp[]) "
    "AS b(attempt_id, participant_id, position, chosen, client_seq, token_hash, started_at, "
    "deadline_at) "
    "JOIN attempts a ON a.id = b.attempt_id "
    "WHERE a.participant_id = b.participant_id AND a.submitted_at IS NULL "
    "AND a.finalised_at IS NULL AND a.started_at = b.started_at AND a.deadline_at = b.deadline_at "
    "AND (SELECT s.participant_id FROM web_sessions s WHERE s.token_hash = b.token_hash "
    "AND s.ended_at IS NULL AND s.expires_at > %(saved_at)s LIMIT 1) = a.participant_id "
    "FOR SHARE OF a "
    "ON CONFLICT (attempt_id, position) DO UPDATE SET chosen = excluded.chosen, "
    "client_seq = excluded.client_seq, saved_at = excluded.saved_at "
    "WHERE answers.client_seq < excluded.client_seq "
    "RETURNING attempt_id, position"
)


def _utc(value: datetime) -> datetime:
    """Stored as naive UTC (models.base.UTCDateTime)."""
    return value.astimezone(UTC).replace(tzinfo=None)


def _array(items: list[str]) -> str:
    """A PostgreSQL array literal of elements that need no quoting (digits, hex, ISO times)."""
    return "{" + ",".join(items) + "}"


def batch_parameters(saves: list[taking.FastSave], now: datetime) -> dict:
    """The batch statement's arrays, one element per save (at most one per attempt and question).

    Each array is sent as its text literal, built here from values that need no escaping
    (integers, hex digests, ISO timestamps; a choice is a JSON list of integers, quoted): psycopg's
    generic list adaptation inspected every element of every array on each batch, which cost
    more than the rest of the save's work in the process."""
    p = [s.params for s in saves]
    guards = [s.guard_text or _guard_text(s.params) for s in saves]
    return {
        "saved_at": _utc(now),
        "attempt_id": _array([str(x["attempt_id"]) for x in p]),
        "participant_id": _array([g[0] for g in guards]),
        "position": _array([str(x["position"]) for x in p]),
        "chosen": _array(['"[' + ",".join(map(str, x["chosen"])) + ']"' for x in p]),
        "client_seq": _array([str(x["client_seq"]) for x in p]),
        "token_hash": _array([g[1] for g in guards]),
        "started_at": _array([g[2] for g in guards]),
        "deadline_at": _array([g[3] for g in guards]),
    }


def _guard_text(params: dict) -> tuple[str, str, str, str]:
    return (
        str(int(params["participant_id"])),
        str(params["token_hash"]),
        _utc(params["started_at"]).isoformat(),
        _utc(params["deadline_at"]).isoformat(),
    )


@dataclass
class _Waiting:
    save: taking.FastSave
    done: asyncio.Future


@dataclass
class SaveBatcher:
    """One per process and event loop: saves queue here while a write is in flight."""

    conninfo: str
    loop: asyncio.AbstractEventLoop
    # Seconds a connect may take (settings.db_connect_timeout_seconds): a failed or timed-out
    # connect fails the batch like any write, and its saves go to the full path.
    connect_timeout: int = 3
    # libpq options of the connection: the web requests' statement limit (`db.statement_limit`).
    options: str = ""
    pending: list[_Waiting] = field(default_factory=list)
    writing: asyncio.Task | None = None
    conn: object | None = None
    batches: int = 0
    written: int = 0
    paused_until: float = 0.0

    async def save(self, save: taking.FastSave) -> taking.SaveResult | None:
        """The save's result once it is committed, or None (nothing acknowledged): full path."""
        if self.paused_until and self.loop.time() < self.paused_until:
            return None
        waiting = _Waiting(save, self.loop.create_future())
        self.pending.append(waiting)
        if self.writing is None:
            self.writing = self.loop.create_task(self._drain())
        return await waiting.done

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch: list[_Waiting] = []
                later: list[_Waiting] = []
                seen: set[tuple[int, int]] = set()
                for w in self.pending:
                    # Two saves of one question in one statement would touch its row twice:
                    # the later one waits for the next batch, as it would have waited its turn.
                    if w.save.key in seen or len(batch) >= MAX_BATCH:
                        later.append(w)
                    else:
                        seen.add(w.save.key)
                        batch.append(w)
                self.pending = later
                try:
                    await self._write(batch)
                except BaseException:
                    # Whatever happened, no save waits for ever or is called saved.
                    waiting, self.pending = batch + self.pending, []
                    for w in waiting:
                        if not w.done.done():
                            w.done.set_result(None)
                    raise
        finally:
            self.writing = None

    async def _write(self, batch: list[_Waiting]) -> None:
        now = clock.now()
        # The clock is checked again at the write: a save that waited past its deadline is
        # refused by the full path, whatever the others in the batch do.
        due = [w for w in batch if w.save.clock.accepts_saves_at(now, None)]
        applied: set[tuple[int, int]] = set()
        if due:
            try:
                started = self.loop.time()
                applied = await self._execute(sorted(due, key=lambda w: w.save.key), now)
                metrics.BATCH_SECONDS.observe(self.loop.time() - started)
                metrics.BATCH_SAVES.observe(len(due))
            except Exception:
                log.warning(
                    "answer saves: a batch of %d could not be written", len(due), exc_info=True
                )
                await self._close()
                self.paused_until = self.loop.time() + PAUSE_SECONDS
                applied = set()
        rounds: Counter[int] = Counter()
        for w in batch:
            ok = w.save.key in applied
            if ok:
                rounds[w.save.round_id] += 1
            if not w.done.done():
                w.done.set_result(w.save.result(now) if ok else None)
        for round_id, n in rounds.items():
            taking.count_saved(round_id, n)
        self.batches += 1
        self.written += len(applied)

    async def _execute(self, due: list[_Waiting], now: datetime) -> set[tuple[int, int]]:
        import psycopg

        if self.conn is None or self.conn.closed:  # type: ignore[attr-defined]
            limits: dict[str, Any] = {"options": self.options} if self.options else {}
            try:
                self.conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, connect_timeout=self.connect_timeout, **limits
                )
            except psycopg.OperationalError as exc:
                if not (self.options and database.refuses_options(exc)):
                    raise
                self.options = ""  # a pooler that does not pass the limit on (db.make_engine)
                self.conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, connect_timeout=self.connect_timeout
                )
        conn: psycopg.AsyncConnection = self.conn  # type: ignore[assignment]
        cur = await conn.execute(
            _BATCH_UPSERT, batch_parameters([w.save for w in due], now), prepare=True
        )
        return {(a, p) for a, p in await cur.fetchall()}

    async def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                await conn.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a broken connection is dropped either way
                pass


_batcher: SaveBatcher | None = None


def conninfo_of(url) -> str:
    """A libpq address from a SQLAlchemy URL (postgresql+psycopg://…)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def batcher(conninfo: str) -> SaveBatcher:
    """This process's batcher on the running event loop (a test's new loop gets a new one)."""
    global _batcher
    loop = asyncio.get_running_loop()
    if _batcher is None or _batcher.loop is not loop or _batcher.conninfo != conninfo:
        _batcher = SaveBatcher(
            conninfo,
            loop,
            connect_timeout=get_settings().db_connect_timeout_seconds,
            options=database.statement_limit(),
        )
    return _batcher


async def close() -> None:
    """Close this process's connection (application shutdown)."""
    global _batcher
    if _batcher is not None and _batcher.loop is asyncio.get_running_loop():
        await _batcher._close()
    _batcher = None
