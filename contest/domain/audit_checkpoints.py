"""Signed checkpoints of the audit chain: what is signed, and how a chain is checked against
checkpoints kept outside the database (exported or published earlier).

A checkpoint says "row `seq` of the chain had hash `hash` at time `at`", signed with a key
the database never holds. Someone with only database access can rewrite rows and recompute
every hash, but cannot sign the new head, and the checkpoints saved before no longer match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    signature: str = ""  # hex Ed25519 signature of signed_message()
    key_id: str = ""


@dataclass(frozen=True)
class CheckpointProblem:
    seq: int
    reason_vi: str
    reason_en: str


def signed_message(seq: int, chain_hash: str, at: datetime) -> bytes:
    """The exact bytes signed: canonical JSON, so any language can check a checkpoint."""
    return json.dumps(
        ["contest-audit-checkpoint/1", seq, chain_hash, at.isoformat(timespec="microseconds")],
        separators=(",", ":"),
    ).encode("utf-8")


def compare(
    checkpoints: Iterable[Checkpoint], chain_hashes: Mapping[int, str], chain_length: int
) -> list[CheckpointProblem]:
    """Each checkpoint (already known to be authentic) against the chain as it is now."""
    problems = []
    for cp in checkpoints:
        if cp.seq > chain_length:
            problems.append(
                CheckpointProblem(
                    cp.seq,
                    f"Điểm kiểm tra ký ở dòng {cp.seq} nhưng nhật ký chỉ còn {chain_length} dòng: "
                    "các dòng đã bị xoá.",
                    f"A checkpoint was signed at row {cp.seq} but the log now has {chain_length} "
                    "rows: rows were deleted.",
                )
            )
        elif chain_hashes.get(cp.seq) != cp.hash:
            problems.append(
                CheckpointProblem(
                    cp.seq,
                    f"Dòng {cp.seq}: mã băm không khớp điểm kiểm tra đã ký lúc {cp.at:%d/%m/%Y %H:%M} UTC "
                    "— nhật ký đã bị viết lại (kể cả khi chuỗi băm được tính lại).",
                    f"Row {cp.seq}: its hash does not match the checkpoint signed at "
                    f"{cp.at:%Y-%m-%d %H:%M} UTC — the log was rewritten (even if the chain's "
                    "hashes were recomputed).",
                )
            )
    return problems
