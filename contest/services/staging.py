"""Uploaded files waiting for a confirm step: stage, take back (by their owner only), discard.

A 20 MB workbook does not belong in the database, so the files wait in a folder of this app
(`CONTEST_STAGING_DIR`, default var/staging), private to the account the app runs as (0700),
keyed by a random token; a stale batch is swept on the next stage. Never the machine's shared
temporary folder, where another local user could read the files or plant the folder first.
One host only: several hosts need a shared folder or storage behind these three functions.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
from pathlib import Path

from contest.config import get_settings
from contest.domain.errors import ContestError

TTL_SECONDS = 3600

EXPIRED = ContestError(
    "Phiên tải tệp đã hết hạn hoặc không tồn tại; hãy tải tệp lên lại.",
    "The upload has expired or does not exist; upload the files again.",
    field="token",
)


def staging_dir() -> Path:
    """The private folder, created 0700 and tightened to 0700 if someone widened it."""
    root = get_settings().staging_dir
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = root.stat()
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(root, 0o700)
    if info.st_uid != os.getuid():
        raise RuntimeError(f"{root} belongs to another user; set CONTEST_STAGING_DIR")
    return root


def stage(files: list[tuple[str, bytes]], owner: str, meta: dict) -> str:
    """Keep (name, bytes) pairs and `meta` for `owner`; returns the token to take them back."""
    root = staging_dir()
    _sweep(root)
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(mode=0o700)
    for n, (_, data) in enumerate(files):
        (folder / f"{n}.bin").write_bytes(data)
    manifest = {"owner": owner, "meta": meta, "names": [name for name, _ in files]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return token


def take(token: str, owner: str) -> tuple[dict, list[tuple[str, bytes]]]:
    """The meta and files staged under `token` by `owner`; anyone else gets EXPIRED."""
    folder = _folder(token)
    if folder is None:
        raise EXPIRED
    manifest_file = folder / "manifest.json"
    if not manifest_file.exists() or time.time() - manifest_file.stat().st_mtime > TTL_SECONDS:
        raise EXPIRED
    manifest = json.loads(manifest_file.read_text())
    if manifest["owner"] != owner:
        raise EXPIRED
    files = [(name, (folder / f"{n}.bin").read_bytes()) for n, name in enumerate(manifest["names"])]
    return manifest["meta"], files


def discard(token: str) -> None:
    folder = _folder(token)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _folder(token: str) -> Path | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        return None
    return staging_dir() / token


def _sweep(root: Path) -> None:
    for folder in root.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > TTL_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:  # another worker swept it first
            continue
