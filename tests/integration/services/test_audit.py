from sqlalchemy import text

from contest.services import audit
from contest.services.context import Actor
from factories import make_contest


def test_chain_verifies_after_real_actions_and_names_a_tampered_row(db):
    make_contest(db)
    actor = Actor("staff", 7, "admin", "10.0.0.1")
    entries = [audit.record(db, actor, "test.action", "thing", i, {"ghi chú": "Hoàng Đức Thắng"}) for i in range(3)]
    db.commit()
    result = audit.verify(db)
    assert result.ok and result.checked >= 5
    target = entries[1].seq
    db.execute(text("UPDATE audit_log SET actor = 'staff:8:intruder' WHERE seq = :seq"), {"seq": target})
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
    entry = audit.record(db, Actor("staff", 3, "bantochuc", "192.0.2.5"), "units.import", "contest", 12, {"file": "đơn-vị.csv"})
    db.commit()
    assert entry.actor == "staff:3:bantochuc" and entry.ip == "192.0.2.5"
    assert entry.object_type == "contest" and entry.object_id == "12"
    assert entry.at.tzinfo is not None and '"file":"đơn-vị.csv"' in entry.details
