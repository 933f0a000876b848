"""Uploaded files waiting for a confirm step: stage, take back (by their owner only), discard.

The files wait in the file store (`contest.storage`: the database by default) under a random
token, so the confirm step may reach any app host, and nothing lands in a folder another local
user could read. A batch older than the TTL is refused and swept (on the next stage and by
the workers' housekeeping).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from contest import clock, storage
from contest.db import transaction
from contest.domain.errors import ContestError

TTL_SECONDS = 3600
PREFIX = "staged/"

EXPIRED = ContestError(
    "Phiên tải tệp đã hết hạn hoặc không tồn tại; hãy tải tệp lên lại.",
    "The upload has expired or does not exist; upload the files again.",
    field="token",
)


def stage(db: Session, files: list[tuple[str, bytes]], owner: str, meta: dict) -> str:
    """Keep (name, bytes) pairs and `meta` for `owner`; returns the token to take them back."""
    store = storage.get_store()
    token = secrets.token_urlsafe(24)
    with transaction(db):
        sweep(db)
        for n, (_, data) in enumerate(files):
            store.put(db, f"{PREFIX}{token}/{n}", [data])
        manifest = {"owner": owner, "meta": meta, "names": [name for name, _ in files]}
        store.put(
            db, f"{PREFIX}{token}/manifest", [json.dumps(manifest).encode()], "application/json"
        )
    return token


def take(db: Session, token: str, owner: str) -> tuple[dict, list[tuple[str, bytes]]]:
    """The meta and files staged under `token` by `owner`; anyone else gets EXPIRED."""
    if not _well_formed(token):
        raise EXPIRED
    store = storage.get_store()
    info = store.info(db, f"{PREFIX}{token}/manifest")
    if info is None or clock.now() - info.created_at > timedelta(seconds=TTL_SECONDS):
        raise EXPIRED
    manifest = json.loads(store.read_bytes(db, f"{PREFIX}{token}/manifest"))
    if manifest["owner"] != owner:
        raise EXPIRED
    files = [
        (name, store.read_bytes(db, f"{PREFIX}{token}/{n}"))
        for n, name in enumerate(manifest["names"])
    ]
    return manifest["meta"], files


def discard(db: Session, token: str) -> None:
    if not _well_formed(token):
        return
    with transaction(db):
        store = storage.get_store()
        info = store.info(db, f"{PREFIX}{token}/manifest")
        if info is None:
            return
        for n in range(len(json.loads(store.read_bytes(db, f"{PREFIX}{token}/manifest"))["names"])):
            store.delete(db, f"{PREFIX}{token}/{n}")
        store.delete(db, f"{PREFIX}{token}/manifest")


def sweep(db: Session) -> int:
    """Remove staged files older than the TTL; returns how many files went."""
    with transaction(db):
        before = clock.now() - timedelta(seconds=TTL_SECONDS)
        return storage.get_store().delete_older(db, PREFIX, before)


def _well_formed(token: str) -> bool:
    return bool(token) and token.replace("-", "").replace("_", "").isalnum() and len(token) <= 64
