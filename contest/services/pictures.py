"""Question pictures in the file store: stored once by content, read back for the pages.

A picture is written in the caller's transaction (the import, the bank page's edit), so a
question and the picture it shows commit together; storing one that is already there writes
nothing. Files never change once written, so each process keeps the most asked-for ones in
memory and a browser caches them for a year.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import NotFound
from contest.domain.paper import PictureRef
from contest.drafts import PictureDraft, QuestionDraft
from contest.models import Picture
from contest.pictures import MEDIA_TYPES, EncodedPicture
from contest.storage import get_store

_NAME = re.compile(r"([0-9a-f]{64})\.(webp|jpg|2x\.webp)")
_CACHE_BYTES = 32 * 1024 * 1024


def store_key(sha: str, suffix: str) -> str:
    return f"pictures/{sha}.{suffix}"


def store_pictures(db: Session, pictures: Iterable[EncodedPicture]) -> int:
    """Store the pictures not stored yet (in the caller's transaction); returns how many were new."""
    wanted: dict[str, EncodedPicture] = {p.sha256: p for p in pictures}
    if not wanted:
        return 0
    have = set(db.execute(select(Picture.sha256).where(Picture.sha256.in_(list(wanted)))).scalars())
    store = get_store()
    now = clock.now()
    new = 0
    for sha, picture in wanted.items():
        if sha in have:
            continue
        for suffix, data in picture.files.items():
            media = MEDIA_TYPES["jpg" if suffix == "jpg" else "webp"]
            store.put(db, store_key(sha, suffix), [data], media)
        db.add(
            Picture(
                sha256=sha,
                width=picture.width,
                height=picture.height,
                webp_bytes=len(picture.webp),
                jpeg_bytes=len(picture.jpeg),
                webp_2x_bytes=len(picture.webp_2x) if picture.webp_2x is not None else None,
                created_at=now,
            )
        )
        new += 1
    db.flush()
    return new


def stored_draft(ref: PictureRef) -> PictureDraft:
    """A stored picture as a draft names it (its bytes are read only by ``with_bytes``)."""
    marker = b"" if ref.has_2x else None  # a 2x copy is stored: keep saying so
    return PictureDraft(EncodedPicture(ref.sha, ref.width, ref.height, b"", b"", marker), ref.alt)


def with_bytes(db: Session, drafts: list[QuestionDraft]) -> list[QuestionDraft]:
    """The drafts with their pictures' WebP and JPEG bytes read from the store."""
    store = get_store()
    loaded: dict[str, EncodedPicture] = {}

    def load(p: PictureDraft) -> PictureDraft:
        sha = p.picture.sha256
        if sha not in loaded:
            loaded[sha] = replace(
                p.picture,
                webp=store.read_bytes(db, store_key(sha, "webp")),
                jpeg=store.read_bytes(db, store_key(sha, "jpg")),
            )
        return PictureDraft(loaded[sha], p.alt)

    return [
        replace(
            d,
            pictures=tuple(load(p) for p in d.pictures),
            options=tuple(
                replace(o, pictures=tuple(load(p) for p in o.pictures)) for o in d.options
            ),
        )
        if d.all_pictures
        else d
        for d in drafts
    ]


def ref_of(draft: PictureDraft) -> PictureRef:
    p = draft.picture
    return PictureRef(p.sha256, p.width, p.height, draft.alt, p.webp_2x is not None)


@dataclass(frozen=True)
class PictureFile:
    data: bytes
    media_type: str
    etag: str


_cache: OrderedDict[str, PictureFile] = OrderedDict()
_cache_size = 0
_cache_lock = threading.Lock()


def picture_file(db: Session, name: str) -> PictureFile:
    """One file of a picture by its public name (``<sha>.webp``, ``<sha>.2x.webp``, ``<sha>.jpg``)."""
    global _cache_size
    match = _NAME.fullmatch(name)
    if match is None:
        raise NotFound("Không có hình này.", "There is no such picture.")
    with _cache_lock:
        hit = _cache.get(name)
        if hit is not None:
            _cache.move_to_end(name)
            return hit
    sha, suffix = match.groups()
    store = get_store()
    key = store_key(sha, suffix)
    info = store.info(db, key)
    if info is None:
        raise NotFound("Không có hình này.", "There is no such picture.")
    found = PictureFile(store.read_bytes(db, key), info.content_type, f'"{sha}.{suffix}"')
    with _cache_lock:
        if name not in _cache:
            _cache[name] = found
            _cache_size += len(found.data)
            while _cache_size > _CACHE_BYTES and _cache:
                _, old = _cache.popitem(last=False)
                _cache_size -= len(old.data)
    return found


def picture_bytes(db: Session, sha: str, suffix: str = "webp") -> bytes:
    """A stored picture's bytes (for exports that embed pictures)."""
    return get_store().read_bytes(db, store_key(sha, suffix))


def clear_cache() -> None:
    global _cache_size
    with _cache_lock:
        _cache.clear()
        _cache_size = 0
