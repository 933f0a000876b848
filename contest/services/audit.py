"""Append to and verify the audit log; appends join the caller's transaction.

Two ways in. `record` chains the entry at once, holding the chain's head row until the caller
commits: right for staff actions, which are few. `queue` is for the paths a contest day runs
thousands of times a minute (starts, submits): it inserts into `audit_pending` without any lock,
and `seal_pending` (the background thread of every server process, every few seconds, and
`contest audit seal`) moves queued entries into the chain in the order they were queued. Until
then a queued entry is an ordinary row; `verify` counts how many wait. Without this split every
start on the site queued on one row lock, and under a burst most database connections waited
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.audit_chain import (
    AuditRecord,
    ChainBreak,
    canonical_details,
    record_hash,
    verify_chain,
)
from contest.models import AuditCheckpoint, AuditEntry, AuditHead, AuditPending
from contest.services import audit_checkpoints
from contest.services.context import Actor


def record(
    db: Session,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: object = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one chained row. Locks the head row so concurrent appends stay a single chain;
    entries already queued are chained first (a batch of them), so the chain keeps, as near as
    it can, the order things happened in."""
    head = _locked_head(db)
    _chain_pending(db, head)
    entry = _chain(db, head, _fields(actor, action, object_type, object_id, details))
    db.flush()
    return entry


def queue(
    db: Session,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: object = "",
    details: dict | None = None,
) -> None:
    """Add an entry to the caller's transaction without touching the chain's lock."""
    db.execute(_QUEUE, _fields(actor, action, object_type, object_id, details))


# The table's own INSERT, built once: no ORM bulk-insert machinery and no RETURNING per start.
_QUEUE = insert(cast(Table, AuditPending.__table__))


def seal_pending(db: Session, batch: int = 5000) -> int:
    """Chain queued entries (committed ones, oldest first); returns how many. Safe on every host
    at once: sealers take turns on the head row."""
    if db.execute(select(AuditPending.id).limit(1)).first() is None and not _unsigned_head(db):
        db.rollback()
        return 0  # nothing queued and the head signed: no need to take the head's lock
    sealed = _chain_pending(db, _locked_head(db), batch)
    db.flush()
    audit_checkpoints.checkpoint(db)
    db.commit()
    return sealed


def _unsigned_head(db: Session) -> bool:
    """Entries chained by `record` since the last signed checkpoint."""
    last_signed = db.execute(select(func.max(AuditCheckpoint.seq))).scalar_one() or 0
    return (
        db.execute(select(AuditHead.last_seq).where(AuditHead.id == 1)).scalar_one() > last_signed
    )


def pending_count(db: Session) -> int:
    return db.execute(select(func.count()).select_from(AuditPending)).scalar_one()


def _fields(
    actor: Actor, action: str, object_type: str, object_id: object, details: dict | None
) -> dict:
    return {
        "at": clock.now(),
        "actor": actor.audit_name[:120],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id)[:60],
        "ip": actor.ip[:64],
        "details": canonical_details(details),
    }


def _locked_head(db: Session) -> AuditHead:
    return db.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()


def _link(head: AuditHead, fields: dict) -> dict:
    """The next row of the chain as column values; moves the head on."""
    linked = AuditRecord(seq=head.last_seq + 1, prev_hash=head.last_hash, **fields)
    values = {
        **fields,
        "seq": linked.seq,
        "prev_hash": linked.prev_hash,
        "hash": record_hash(linked),
    }
    head.last_seq, head.last_hash = values["seq"], values["hash"]
    return values


def _chain(db: Session, head: AuditHead, fields: dict) -> AuditEntry:
    entry = AuditEntry(**_link(head, fields))
    db.add(entry)
    return entry


def _chain_pending(db: Session, head: AuditHead, batch: int = 5000) -> int:
    columns = (
        AuditPending.id,
        AuditPending.at,
        AuditPending.actor,
        AuditPending.action,
        AuditPending.object_type,
        AuditPending.object_id,
        AuditPending.ip,
        AuditPending.details,
    )
    rows = db.execute(select(*columns).order_by(AuditPending.id).limit(batch)).all()
    if not rows:
        return 0
    db.execute(
        insert(AuditEntry),
        [_link(head, {k: v for k, v in row._asdict().items() if k != "id"}) for row in rows],
    )
    db.execute(delete(AuditPending).where(AuditPending.id.in_([row.id for row in rows])))
    return len(rows)


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken: ChainBreak | None
    pending: int = 0  # queued entries not yet chained (normally sealed within seconds)

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(db: Session, batch: int = 5000) -> VerifyResult:
    bind = db.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        # One snapshot for the head and every row: a seal committing during the scan would
        # otherwise look like rows deleted from the end.
        with (
            bind.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            Session(conn) as snapshot,
        ):
            return _verify(snapshot, batch)
    # SQLite: the transaction starts with BEGIN IMMEDIATE, which keeps writers out until it ends.
    return _verify(db, batch)


def _verify(db: Session, batch: int) -> VerifyResult:
    head = db.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()

    columns = (
        AuditEntry.seq,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.ip,
        AuditEntry.details,
        AuditEntry.prev_hash,
        AuditEntry.hash,
    )

    def rows():
        # Plain column rows in batches: no ORM identity map growing with the whole log.
        last = 0
        while True:
            chunk = db.execute(
                select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
            ).all()
            if not chunk:
                return
            for row in chunk:
                yield AuditRecord(*row)
            last = chunk[-1].seq

    checked, broken = verify_chain(rows(), head.last_seq, head.last_hash)
    return VerifyResult(checked, broken, pending_count(db))


def recent(db: Session, limit: int = 100) -> list[AuditEntry]:
    return list(
        db.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)).scalars()
    )


def recent_actions(db: Session, action: str, since, limit: int = 50) -> list[AuditEntry]:
    """Chained entries of one kind since a time, newest first (e.g. sign-in guessing alerts)."""
    return list(
        db.execute(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.at >= since)
            .order_by(AuditEntry.seq.desc())
            .limit(limit)
        ).scalars()
    )
