"""How long a sign-in must wait, so guessing is slow and nobody can lock anyone else out.

OWASP's device-cookie scheme: a browser where the account signed in before carries a device
cookie; through it the owner signs in while the account is being guessed from elsewhere
(only its own failures count against it). Every other client is "untrusted" and gets growing
delays, never a hard lock: a few free failures per (account, address), then 1, 2, 4, 8 ...
seconds up to a cap; and a second, account-wide counter across all untrusted addresses so
guessing from many addresses is slowed too. A staff alert is raised when an account's
untrusted failures reach a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta = timedelta(minutes=15)
    free_per_address: int = 5  # failures of one account from one address before delays
    free_per_account: int = 20  # untrusted failures of one account, all addresses together
    max_delay_seconds: int = 300
    device_failures: int = 10  # failures through one trusted device before it counts as untrusted
    alert_at: int = 20  # untrusted failures of one account in the window: tell the staff


@dataclass(frozen=True)
class FailureCounts:
    """Failures of one account inside the policy's window."""

    from_address: int = 0
    last_from_address: datetime | None = None
    untrusted: int = 0
    last_untrusted: datetime | None = None
    from_device: int = 0


def delay_after(failures: int, free: int, cap: int) -> int:
    """Seconds to wait after `failures` failures when `free` of them cost nothing: doubling."""
    over = failures - free
    if over < 0:
        return 0
    return min(cap, 2 ** min(over, 30))


def device_is_trusted(known_device: bool, counts: FailureCounts, policy: ThrottlePolicy) -> bool:
    return known_device and counts.from_device < policy.device_failures


def wait_seconds(
    counts: FailureCounts, *, trusted: bool, now: datetime, policy: ThrottlePolicy
) -> int:
    """0 when this sign-in may be checked now, else the whole seconds still to wait."""
    if trusted:
        return 0
    waits = [0.0]
    if counts.last_from_address is not None:
        delay = delay_after(counts.from_address, policy.free_per_address, policy.max_delay_seconds)
        waits.append(delay - (now - counts.last_from_address).total_seconds())
    if counts.last_untrusted is not None:
        delay = delay_after(counts.untrusted, policy.free_per_account, policy.max_delay_seconds)
        waits.append(delay - (now - counts.last_untrusted).total_seconds())
    remaining = max(waits)
    return 0 if remaining <= 0 else int(remaining) + (remaining % 1 > 0)


def raises_alert(untrusted_after: int, policy: ThrottlePolicy) -> bool:
    """True once per threshold crossed (20, 40, 80 ... failures): an alert, not a flood."""
    n = untrusted_after
    if n < policy.alert_at:
        return False
    while n % 2 == 0 and n > policy.alert_at:
        n //= 2
    return n == policy.alert_at
