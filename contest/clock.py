"""The one clock of the application: every 'now' comes from here so tests can move time."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def timestamp() -> float:
    """Current time as Unix seconds: `now()` without building a datetime (hot-path counters)."""
    if _frozen is not None:
        return _frozen.timestamp()
    return time.time() + _offset.total_seconds()


def today_local(tz: ZoneInfo = VIETNAM) -> date:
    return now().astimezone(tz).date()


def freeze(at: datetime | None) -> None:
    """Stop the clock at `at` (None releases it). For tests and the demo loader."""
    global _frozen
    _frozen = at


def shift(delta: timedelta) -> None:
    """Move the clock forward by `delta` (cumulative). For tests."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


def to_local(at: datetime, tz: ZoneInfo = VIETNAM) -> datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(tz)
