from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contest.domain.audit_chain import (
    GENESIS_HASH,
    AuditRecord,
    canonical_details,
    record_hash,
    verify_chain,
)


def chain(n: int) -> list[AuditRecord]:
    records, prev = [], GENESIS_HASH
    start = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)
    for seq in range(1, n + 1):
        r = AuditRecord(
            seq,
            start + timedelta(seconds=seq),
            "staff:1:admin",
            "units.import",
            "contest",
            "1",
            "10.0.0.1",
            canonical_details({"n": seq, "tên": "Lạng Sơn"}),
            prev,
        )
        r = replace(r, hash=record_hash(r))
        records.append(r)
        prev = r.hash
    return records


def test_intact_chain_verifies():
    records = chain(5)
    assert verify_chain(records, 5, records[-1].hash) == (5, None)


def test_edited_field_is_found_at_its_row():
    records = chain(5)
    records[2] = replace(records[2], actor="staff:2:someone-else")
    checked, broken = verify_chain(records)
    assert (checked, broken.seq) == (2, 3)


def test_recomputed_hash_after_an_edit_breaks_the_next_link():
    records = chain(5)
    forged = replace(records[1], details=canonical_details({"n": 999}))
    records[1] = replace(forged, hash=record_hash(forged))
    _, broken = verify_chain(records)
    assert broken.seq == 3


def test_deleted_middle_row_is_reported_as_missing():
    records = chain(5)
    del records[2]
    _, broken = verify_chain(records)
    assert broken.seq == 3 and "missing" in broken.reason_en


def test_deleted_tail_is_caught_by_the_head():
    records = chain(5)
    _, broken = verify_chain(records[:4], 5, records[-1].hash)
    assert broken is not None and broken.seq == 5


def test_details_are_canonical_whatever_the_key_order():
    assert (
        canonical_details({"b": 1, "a": "ữ"})
        == canonical_details({"a": "ữ", "b": 1})
        == '{"a":"ữ","b":1}'
    )
