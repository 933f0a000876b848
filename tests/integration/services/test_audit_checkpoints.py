"""Signed audit checkpoints on SQLite and PostgreSQL: a chain rewritten by someone with only
database access (rows edited, every hash recomputed, the head moved) verifies clean on its
own, but not against checkpoints exported earlier."""

from __future__ import annotations

import json

import pytest
from factories import make_contest
from sqlalchemy import select, text

from contest.domain.audit_chain import AuditRecord, record_hash
from contest.domain.errors import ContestError
from contest.models import AuditCheckpoint, AuditEntry, AuditHead
from contest.services import audit, audit_checkpoints
from contest.services.context import Actor


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path, monkeypatch):
    from contest.config import get_settings

    path = tmp_path / "keys" / "audit_signing_key.pem"
    monkeypatch.setattr(get_settings(), "audit_signing_key_file", path)
    return path


def _rewrite_from(db, seq: int, new_actor: str) -> None:
    """What a database administrator can do: edit a row and recompute every hash after it."""
    rows = db.execute(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq))
    prev = db.execute(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)).scalar_one()
    for entry in rows.scalars().all():
        if entry.seq == seq:
            entry.actor = new_actor
        entry.prev_hash = prev
        fields = {c: getattr(entry, c) for c in AuditRecord.__dataclass_fields__ if c != "hash"}
        entry.hash = record_hash(AuditRecord(**fields))
        prev = entry.hash
    head = db.get(AuditHead, 1)
    head.last_hash = prev
    db.flush()


def test_every_seal_signs_the_head_with_a_key_outside_the_database(db, signing_key_file):
    make_contest(db)
    audit.queue(db, Actor("participant", 1, "", "10.0.0.1"), "test.start")
    db.commit()
    audit.seal_pending(db)
    head = db.get(AuditHead, 1)
    checkpoint = (
        db.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())).scalars().first()
    )
    assert (checkpoint.seq, checkpoint.hash) == (head.last_seq, head.last_hash)
    assert signing_key_file.exists() and oct(signing_key_file.stat().st_mode)[-3:] == "600"
    exported = audit_checkpoints.export(db)
    assert exported["public_key"] and "PRIVATE" not in json.dumps(exported)
    assert audit_checkpoints.verify_against(db, exported).ok
    # A record chained alone (a staff action) is signed by the next seal even with no queue.
    audit.record(db, Actor("staff", 7, "admin"), "test.staff_action")
    db.commit()
    audit.seal_pending(db)
    assert (
        db.execute(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq.desc()))
        .scalars()
        .first()
        == db.get(AuditHead, 1).last_seq
    )


def test_a_rewritten_chain_with_recomputed_hashes_is_caught_by_earlier_checkpoints(db):
    """Issue 13, finding 9: the chain and its head live in one database, so recomputing the
    hashes after an edit verified clean."""
    make_contest(db)
    actor = Actor("staff", 7, "admin", "10.0.0.1")
    target = audit.record(db, actor, "prize_list.approve", "prize_list", 1).seq
    for i in range(3):
        audit.record(db, actor, "test.after", "thing", i)
    db.commit()
    audit.seal_pending(db)
    exported = json.loads(json.dumps(audit_checkpoints.export(db)))  # as saved to a file

    _rewrite_from(db, target, "staff:9:someone-else")
    assert audit.verify(db).ok  # the chain alone cannot tell
    report = audit_checkpoints.verify_against(db, exported)
    assert not report.ok
    assert (
        "rewritten" in report.problems[0].reason_en and "viết lại" in report.problems[0].reason_vi
    )

    # Moving the database's own checkpoint rows along does not help: they are not signed.
    head = db.get(AuditHead, 1)
    db.execute(
        text("UPDATE audit_checkpoints SET hash = :h WHERE seq = :s"),
        {"h": head.last_hash, "s": head.last_seq},
    )
    report = audit_checkpoints.verify_against(db, exported)
    assert any("no valid signature" in p.reason_en for p in report.problems)


def test_deleting_rows_after_a_checkpoint_is_caught(db):
    make_contest(db)
    last = audit.record(db, Actor("system"), "test.last").seq
    db.commit()
    audit.seal_pending(db)
    exported = audit_checkpoints.export(db)
    db.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
    head = db.get(AuditHead, 1)
    head.last_seq = last - 1
    head.last_hash = db.execute(
        select(AuditEntry.hash).where(AuditEntry.seq == last - 1)
    ).scalar_one()
    db.flush()
    assert audit.verify(db).ok
    report = audit_checkpoints.verify_against(db, exported)
    assert any("deleted" in p.reason_en for p in report.problems)


def test_a_forged_checkpoint_file_is_refused(db):
    make_contest(db)
    audit.record(db, Actor("system"), "test.x")
    db.commit()
    audit.seal_pending(db)
    exported = audit_checkpoints.export(db)
    exported["checkpoints"][-1]["hash"] = "0" * 64
    with pytest.raises(ContestError) as exc:
        audit_checkpoints.verify_against(db, exported)
    assert "signature" in exc.value.message_en and "chữ ký" in exc.value.message_vi
    with pytest.raises(ContestError):
        audit_checkpoints.verify_against(db, {"format": "something else"})
