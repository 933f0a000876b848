"""When a message that failed to send is tried again, and when it is given up."""

from __future__ import annotations

from datetime import timedelta

LONGEST_WAIT = timedelta(hours=6)


def next_try(attempts: int, max_attempts: int, base: timedelta) -> timedelta | None:
    """The wait before try number `attempts + 1` after `attempts` failed ones: base, 2×base,
    4×base … (capped at six hours); None once `max_attempts` tries have failed."""
    if attempts >= max(1, max_attempts):
        return None
    return min(base * (2 ** max(0, attempts - 1)), LONGEST_WAIT)
