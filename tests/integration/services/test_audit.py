from factories import make_contest
from sqlalchemy import text

from contest.services import audit
from contest.services.context import Actor


def test_chain_verifies_after_real_actions_and_names_a_tampered_row(db):
    make_contest(db)
    actor = Actor("staff", 7, "admin", "10.0.0.1")
    entries = [
        audit.record(db, actor, "test.action", "thing", i, {"ghi chú": "Hoàng Đức Thắng"})
        for i in range(3)
    ]
    db.commit()
    result = audit.verify(db)
    assert result.ok and result.checked >= 5
    target = entries[1].seq
    db.execute(
        text("UPDATE audit_log SET actor = 'staff:8:intruder' WHERE seq = :seq"), {"seq": target}
    )
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.broken.seq == target


def test_deleting_the_last_row_is_detected(db):
    make_contest(db)
    last_seq = audit.record(db, Actor("system"), "test.last").seq
    db.commit()
    db.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": last_seq})
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.broken.seq == last_seq


def test_rows_keep_who_what_when_and_where(db):
    entry = audit.record(
        db,
        Actor("staff", 3, "bantochuc", "192.0.2.5"),
        "units.import",
        "contest",
        12,
        {"file": "đơn-vị.csv"},
    )
    db.commit()
    assert entry.actor == "staff:3:bantochuc" and entry.ip == "192.0.2.5"
    assert entry.object_type == "contest" and entry.object_id == "12"
    assert entry.at.tzinfo is not None and '"file":"đơn-vị.csv"' in entry.details


def test_queued_entries_are_chained_in_order_by_the_sealer_and_then_verified(db):
    make_contest(db)
    for i in range(3):
        audit.queue(
            db,
            Actor("participant", 40 + i, "", "192.0.2.9"),
            "attempt.start",
            "attempt",
            100 + i,
            {"vòng": 1},
        )
    db.commit()
    before = audit.verify(db)
    assert before.ok and before.pending == 3
    assert audit.seal_pending(db) == 3
    after = audit.verify(db)
    assert after.ok and after.pending == 0 and after.checked == before.checked + 3
    tail = audit.recent(db, 3)[::-1]
    assert [(e.actor, e.object_id) for e in tail] == [
        ("participant:40", "100"),
        ("participant:41", "101"),
        ("participant:42", "102"),
    ]
    assert '"vòng":1' in tail[0].details
    assert audit.seal_pending(db) == 0


def test_a_chained_record_takes_the_queue_first_so_the_chain_keeps_the_order(db):
    make_contest(db)
    audit.queue(db, Actor("participant", 7), "attempt.submit", "attempt", 5)
    entry = audit.record(db, Actor("staff", 3, "bantochuc"), "round.close", "round", 1)
    db.commit()
    previous = audit.recent(db, 2)[1]
    assert previous.action == "attempt.submit" and entry.seq == previous.seq + 1
    assert audit.verify(db).ok and audit.pending_count(db) == 0


def test_tampering_with_a_sealed_entry_is_caught(db):
    make_contest(db)
    audit.queue(db, Actor("participant", 9), "participant.sign_in", "participant", 9)
    db.commit()
    audit.seal_pending(db)
    sealed = audit.recent(db, 1)[0]
    db.execute(text("UPDATE audit_log SET object_id = '10' WHERE seq = :seq"), {"seq": sealed.seq})
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.broken.seq == sealed.seq
