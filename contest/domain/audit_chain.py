"""Hash chaining of audit rows: each row's SHA-256 covers its fields and the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    ip: str
    details: str  # canonical JSON
    prev_hash: str
    hash: str = ""


def canonical_details(details: dict | None) -> str:
    return json.dumps(
        details or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def record_hash(record: AuditRecord) -> str:
    payload = json.dumps(
        [
            record.seq,
            record.at.isoformat(timespec="microseconds"),
            record.actor,
            record.action,
            record.object_type,
            record.object_id,
            record.ip,
            record.details,
            record.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason_vi: str
    reason_en: str


def verify_chain(
    records: Iterable[AuditRecord], head_seq: int | None = None, head_hash: str | None = None
) -> tuple[int, ChainBreak | None]:
    """Check every link; return (rows checked, first break or None).

    The head (last seq and hash kept apart from the rows) catches a deleted tail, which the
    links alone cannot see.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for record in records:
        if record.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq,
                f"Thiếu dòng nhật ký số {expected_seq} (dòng kế tiếp là {record.seq}).",
                f"Audit row {expected_seq} is missing (the next row is {record.seq}).",
            )
        if record.prev_hash != expected_prev:
            return checked, ChainBreak(
                record.seq,
                f"Dòng {record.seq}: mã băm dòng trước không khớp — dòng trước đã bị sửa hoặc xoá.",
                f"Row {record.seq}: previous hash does not match — the row before was edited or deleted.",
            )
        if record_hash(record) != record.hash:
            return checked, ChainBreak(
                record.seq,
                f"Dòng {record.seq}: nội dung đã bị sửa (mã băm không khớp).",
                f"Row {record.seq}: its content was edited (hash does not match).",
            )
        expected_prev = record.hash
        expected_seq += 1
        checked += 1
    if head_seq is not None and (head_seq != checked or head_hash != expected_prev):
        return checked, ChainBreak(
            checked + 1,
            f"Nhật ký dừng ở dòng {checked} nhưng đầu chuỗi ghi {head_seq}: các dòng cuối đã bị xoá.",
            f"The log ends at row {checked} but the head records {head_seq}: trailing rows were deleted.",
        )
    return checked, None
