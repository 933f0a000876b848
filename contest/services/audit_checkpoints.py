"""Signed checkpoints of the audit chain: every seal signs the head with an Ed25519 key kept
outside the database; export them, publish them, and check the chain against them.

The key lives in a file (CONTEST_AUDIT_SIGNING_KEY_FILE; for `make run` it is generated into
var/ like the secret key). Keep a copy of the public key and of exported checkpoints somewhere
the database's administrators cannot write: that is what makes a rewrite detectable.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.domain.audit_checkpoints import (
    Checkpoint,
    CheckpointProblem,
    compare,
    signed_message,
)
from contest.domain.errors import ContestError
from contest.models import AuditCheckpoint, AuditEntry, AuditHead

FORMAT = "contest-audit-checkpoints/1"
log = logging.getLogger(__name__)
_key_lock = threading.Lock()
_keys: dict[Path, Ed25519PrivateKey] = {}


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    """Create the key file exclusively and private (0600), so two workers starting together
    agree on one key; then read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    for _ in range(50):  # another process may be between creating and writing the file
        data = path.read_bytes()
        if data:
            key = serialization.load_pem_private_key(data, password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise RuntimeError(f"{path} does not hold an Ed25519 private key")
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def signing_key() -> Ed25519PrivateKey:
    path = get_settings().audit_signing_key_file
    with _key_lock:
        if path not in _keys:
            _keys[path] = _load_or_create(path)
        return _keys[path]


def public_key_hex(key: Ed25519PublicKey | None = None) -> str:
    key = key or signing_key().public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def checkpoint(db: Session) -> AuditCheckpoint | None:
    """Sign the chain's head if it moved since the last checkpoint. Called by every seal, in
    its transaction, while it holds the head; a missing key file never stops the seal."""
    head = db.get(AuditHead, 1)
    if head is None or head.last_seq == 0:
        return None
    last = db.execute(select(func.max(AuditCheckpoint.seq))).scalar_one()
    if last is not None and last >= head.last_seq:
        return None
    try:
        key = signing_key()
    except (OSError, ValueError, RuntimeError):
        log.exception("audit checkpoint not signed: the signing key cannot be read")
        return None
    at = clock.now()
    public_hex = public_key_hex(key.public_key())
    row = AuditCheckpoint(
        seq=head.last_seq,
        hash=head.last_hash,
        at=at,
        signature=key.sign(signed_message(head.last_seq, head.last_hash, at)).hex(),
        key_id=key_id(public_hex),
    )
    db.add(row)
    return row


def recent(db: Session, limit: int = 50) -> list[AuditCheckpoint]:
    return list(
        db.execute(
            select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit)
        ).scalars()
    )


def export(db: Session, *, limit: int | None = None) -> dict:
    """Checkpoints (oldest first) with the public key that checks them, as JSON data."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())
    if limit:
        query = query.limit(limit)
    rows = sorted(db.execute(query).scalars(), key=lambda r: r.seq)
    public_hex = public_key_hex()
    return {
        "format": FORMAT,
        "public_key": public_hex,
        "key_id": key_id(public_hex),
        "exported_at": clock.now().isoformat(),
        "checkpoints": [
            {
                "seq": r.seq,
                "hash": r.hash,
                "at": r.at.isoformat(timespec="microseconds"),
                "signature": r.signature,
                "key_id": r.key_id,
            }
            for r in rows
        ],
    }


@dataclass
class CheckpointReport:
    checkpoints: int = 0  # checkpoints from the file, each authentic
    database_checkpoints: int = 0
    problems: list[CheckpointProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _bad_file(vi: str, en: str) -> ContestError:
    return ContestError(
        f"Tệp điểm kiểm tra không dùng được: {vi}", f"Checkpoint file unusable: {en}"
    )


def _authentic(public: Ed25519PublicKey, cp: Checkpoint) -> bool:
    try:
        public.verify(bytes.fromhex(cp.signature), signed_message(cp.seq, cp.hash, cp.at))
    except (InvalidSignature, ValueError):
        return False
    return True


def _parse(exported: dict) -> tuple[Ed25519PublicKey, list[Checkpoint]]:
    if not isinstance(exported, dict) or exported.get("format") != FORMAT:
        raise _bad_file(
            "không phải tệp xuất bởi 'contest audit checkpoints export'.",
            "not a file written by 'contest audit checkpoints export'.",
        )
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(exported["public_key"]))
        items = [
            Checkpoint(
                int(c["seq"]), str(c["hash"]), datetime.fromisoformat(c["at"]), str(c["signature"])
            )
            for c in exported["checkpoints"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_file(
            "thiếu trường hoặc sai định dạng.", "a field is missing or malformed."
        ) from exc
    return public, items


def verify_against(db: Session, exported: dict) -> CheckpointReport:
    """The chain as it is now against checkpoints exported earlier (their public key is the
    one trusted): each must be authentic and match the row it names; and every checkpoint
    kept in the database must carry a valid signature by that key too."""
    public, from_file = _parse(exported)
    report = CheckpointReport()
    forged = [cp for cp in from_file if not _authentic(public, cp)]
    if forged:
        raise _bad_file(
            f"chữ ký của điểm kiểm tra dòng {forged[0].seq} không hợp lệ.",
            f"the signature of the checkpoint at row {forged[0].seq} is not valid.",
        )
    report.checkpoints = len(from_file)
    stored = [
        Checkpoint(r.seq, r.hash, r.at, r.signature, r.key_id)
        for r in db.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars()
    ]
    report.database_checkpoints = len(stored)
    for cp in stored:
        if not _authentic(public, cp):
            report.problems.append(
                CheckpointProblem(
                    cp.seq,
                    f"Điểm kiểm tra dòng {cp.seq} trong cơ sở dữ liệu không có chữ ký hợp lệ "
                    "(bị thêm hoặc sửa mà không có khoá ký).",
                    f"The database's checkpoint at row {cp.seq} has no valid signature "
                    "(added or edited without the signing key).",
                )
            )
    authentic = from_file + [cp for cp in stored if _authentic(public, cp)]
    seqs = sorted({cp.seq for cp in authentic})
    hashes: dict[int, str] = {}
    for start in range(0, len(seqs), 1000):
        chunk = seqs[start : start + 1000]
        hashes.update(
            db.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(chunk)))
            .tuples()
            .all()
        )
    length = db.execute(select(func.max(AuditEntry.seq))).scalar_one() or 0
    seen: set[tuple[int, str]] = set()
    for problem in compare(authentic, hashes, length):
        if (problem.seq, problem.reason_en) not in seen:
            seen.add((problem.seq, problem.reason_en))
            report.problems.append(problem)
    report.problems.sort(key=lambda p: p.seq)
    return report
