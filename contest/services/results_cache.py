"""A short in-process cache for the public results page, which anyone can reload at will."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

TTL_SECONDS = 60.0
_lock = threading.Lock()
_entries: dict[Hashable, tuple[float, int, object]] = {}


def get_or_build(
    key: Hashable, contest_id: int, build: Callable[[], T], ttl: float = TTL_SECONDS
) -> T:
    """The cached value for `key` if younger than `ttl` seconds, else `build()` stored anew.

    Two concurrent misses may both build; the figures are the same, and holding the lock
    across a database query would serialise every worker thread behind one page."""
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[2]  # type: ignore[return-value]
    value = build()
    with _lock:
        _entries[key] = (time.monotonic(), contest_id, value)
        if len(_entries) > 256:  # contests are few; this only bounds a misuse
            oldest = min(_entries, key=lambda k: _entries[k][0])
            _entries.pop(oldest, None)
    return value


def invalidate(contest_id: int) -> None:
    """Forget a contest's entries, so a publication shows at once rather than within a minute."""
    with _lock:
        for key in [k for k, v in _entries.items() if v[1] == contest_id]:
            _entries.pop(key, None)


def clear() -> None:
    with _lock:
        _entries.clear()
