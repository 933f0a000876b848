"""A short cache for the public results page, which anyone can reload at will.

Values stay in each process (they are page data, cheap to rebuild, and a minute old at
most); what is shared is the invalidation. With `CONTEST_CACHE_URL=redis://…` every contest
has a generation number in Redis: a publication on any host bumps it, and every process
drops its entry at its next read, so the new list shows on every host at once, not within a
minute. Without Redis (one process, `make run`) the invalidation is local.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from contest.config import get_settings

T = TypeVar("T")

TTL_SECONDS = 60.0
_lock = threading.Lock()
# key -> (built at, contest id, generation, value)
_entries: dict[Hashable, tuple[float, int, int, object]] = {}
_client: Any = None
_client_url: str | None = None
log = logging.getLogger("contest.results_cache")


def _redis() -> Any:
    """The shared Redis client, or None when no cache URL is configured."""
    global _client, _client_url
    url = get_settings().cache_url
    if not url:
        return None
    if _client is None or _client_url != url:
        import redis

        _client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _client_url = url
    return _client


def _generation_key(contest_id: int) -> str:
    return f"{get_settings().queue_name}:results-generation:{contest_id}"


def _generation(contest_id: int) -> int:
    client = _redis()
    if client is None:
        return 0
    try:
        return int(client.get(_generation_key(contest_id)) or 0)
    except Exception:  # noqa: BLE001 - a cache must not take the page down with it
        log.warning("results cache: Redis unreachable; serving this process's copy")
        return -1


def get_or_build(
    key: Hashable, contest_id: int, build: Callable[[], T], ttl: float = TTL_SECONDS
) -> T:
    """The cached value for `key` if younger than `ttl` seconds and of the contest's current
    generation, else `build()` stored anew.

    Two concurrent misses may both build; the figures are the same, and holding the lock
    across a database query would serialise every worker thread behind one page."""
    now = time.monotonic()
    generation = _generation(contest_id)
    with _lock:
        hit = _entries.get(key)
        if hit is not None and now - hit[0] < ttl and (generation < 0 or hit[2] == generation):
            return hit[3]  # type: ignore[return-value]
    value = build()
    with _lock:
        _entries[key] = (time.monotonic(), contest_id, max(generation, 0), value)
        if len(_entries) > 256:  # contests are few; this only bounds a misuse
            oldest = min(_entries, key=lambda k: _entries[k][0])
            _entries.pop(oldest, None)
    return value


def invalidate(contest_id: int) -> None:
    """Forget a contest's entries here and, through Redis, in every other process."""
    with _lock:
        for key in [k for k, v in _entries.items() if v[1] == contest_id]:
            _entries.pop(key, None)
    client = _redis()
    if client is not None:
        try:
            client.incr(_generation_key(contest_id))
        except Exception:  # noqa: BLE001
            log.warning("results cache: Redis unreachable; other hosts refresh within a minute")


def clear() -> None:
    with _lock:
        _entries.clear()
