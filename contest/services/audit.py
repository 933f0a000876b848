"""Append to and verify the audit log; appends join the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.audit_chain import AuditRecord, ChainBreak, canonical_details, record_hash, verify_chain
from contest.models import AuditEntry, AuditHead
from contest.services.context import Actor


def record(
    db: Session,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: object = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one chained row. Locks the head row so concurrent appends stay a single chain."""
    head = db.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    fields = AuditRecord(
        seq=head.last_seq + 1,
        at=clock.now(),
        actor=actor.audit_name[:120],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:60],
        ip=actor.ip[:64],
        details=canonical_details(details),
        prev_hash=head.last_hash,
    )
    digest = record_hash(fields)
    entry = AuditEntry(
        seq=fields.seq,
        at=fields.at,
        actor=fields.actor,
        action=fields.action,
        object_type=fields.object_type,
        object_id=fields.object_id,
        ip=fields.ip,
        details=fields.details,
        prev_hash=fields.prev_hash,
        hash=digest,
    )
    db.add(entry)
    head.last_seq = fields.seq
    head.last_hash = digest
    db.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(db: Session, batch: int = 5000) -> VerifyResult:
    head = db.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()

    columns = (AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.object_type,
               AuditEntry.object_id, AuditEntry.ip, AuditEntry.details, AuditEntry.prev_hash, AuditEntry.hash)

    def rows():
        # Plain column rows in batches: no ORM identity map growing with the whole log.
        last = 0
        while True:
            chunk = db.execute(select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)).all()
            if not chunk:
                return
            for row in chunk:
                yield AuditRecord(*row)
            last = chunk[-1].seq

    checked, broken = verify_chain(rows(), head.last_seq, head.last_hash)
    return VerifyResult(checked, broken)


def recent(db: Session, limit: int = 100) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)).scalars())
