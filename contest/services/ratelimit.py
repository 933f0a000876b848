"""Rate limits: per address in `limits` storage (memory or Redis); sign-in delays, trusted devices
and guessing alerts per account in the database (the rules: domain/login_throttle.py)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import timedelta

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.domain.errors import ContestError
from contest.domain.login_throttle import (
    FailureCounts,
    ThrottlePolicy,
    device_is_trusted,
    raises_alert,
    wait_seconds,
)
from contest.models import LoginFailure, TrustedDevice
from contest.services import audit
from contest.services.context import Actor

GUESSING_ALERT = "sign_in.guessing"

_build_lock = threading.Lock()
_built: MovingWindowRateLimiter | None = None


def start() -> MovingWindowRateLimiter:
    """Build this process's limiter once; the app calls it at start-up, before any request.

    Built lazily by the first requests, several threads raced in the `limits` library's lazy
    import of the Redis client and most of a sign-in burst answered 500.
    """
    global _built
    with _build_lock:
        if _built is None:
            _built = MovingWindowRateLimiter(storage_from_string(get_settings().rate_limit_storage))
        return _built


def _limiter() -> MovingWindowRateLimiter:
    return _built or start()


def reset_limits() -> None:
    _limiter().storage.reset()


class RateLimited(ContestError):
    pass


def hit_address(ip: str, scope: str, limit: str | None = None) -> None:
    """Count one request from `ip`; raise RateLimited past the limit."""
    item = parse(limit or get_settings().login_limit_per_address)
    if not _limiter().hit(item, scope, ip or "unknown"):
        raise RateLimited(
            "Có quá nhiều yêu cầu từ địa chỉ mạng của bạn. Vui lòng thử lại sau vài phút.",
            "Too many requests from your network address. Please try again in a few minutes.",
        )


def policy() -> ThrottlePolicy:
    s = get_settings()
    return ThrottlePolicy(
        window=timedelta(minutes=s.login_window_minutes),
        free_per_address=s.login_free_per_address,
        free_per_account=s.login_free_per_account,
        max_delay_seconds=s.login_max_delay_seconds,
        device_failures=s.login_device_failures,
        alert_at=s.login_alert_at,
    )


def device_hash(device_id: str | None) -> str | None:
    return hashlib.sha256(device_id.encode()).hexdigest() if device_id else None


@dataclass(frozen=True)
class SignInGate:
    """One sign-in let through to the password check, with what it needs to be recorded."""

    account_key: str
    ip: str
    device_hash: str | None
    trusted: bool
    counts: FailureCounts


def _counts(db: Session, account_key: str, ip: str, device: str | None, since) -> FailureCounts:
    from_address = LoginFailure.ip == ip
    untrusted = LoginFailure.trusted.is_(False)
    from_device = LoginFailure.device_hash == (device or "-")
    row = db.execute(
        select(
            func.count().filter(from_address),
            func.max(LoginFailure.at).filter(from_address),
            func.count().filter(untrusted),
            func.max(LoginFailure.at).filter(untrusted),
            func.count().filter(from_device),
        ).where(LoginFailure.account_key == account_key, LoginFailure.at >= since)
    ).one()
    return FailureCounts(*row)


def _wait_message(seconds: int) -> RateLimited:
    if seconds >= 60:
        minutes = (seconds + 59) // 60
        vi, en = f"{minutes} phút", f"{minutes} minute{'s' if minutes > 1 else ''}"
    else:
        vi, en = f"{seconds} giây", f"{seconds} second{'s' if seconds > 1 else ''}"
    return RateLimited(
        f"Đăng nhập sai nhiều lần. Vui lòng đợi {vi} rồi thử lại. Trên thiết bị bạn đã từng "
        "đăng nhập, bạn vẫn đăng nhập được ngay.",
        f"Too many failed sign-ins. Please wait {en} and try again. On a device where you have "
        "signed in before, you can sign in at once.",
    )


def gate(db: Session, account_key: str, ip: str, device_id: str | None) -> SignInGate:
    """Let this sign-in through to the password check, or raise RateLimited with the wait.

    A device where the account signed in before is trusted (until it fails too often itself):
    no delay and no per-address limit, so guessing from elsewhere never keeps the owner out.
    """
    rules = policy()
    now = clock.now()
    device = device_hash(device_id)
    if device is None:
        hit_address(ip, "login")  # cheap, before any query
    counts = _counts(db, account_key, ip, device, now - rules.window)
    known = device is not None and (
        db.execute(
            select(TrustedDevice.id).where(
                TrustedDevice.account_key == account_key, TrustedDevice.device_hash == device
            )
        ).first()
        is not None
    )
    trusted = device_is_trusted(known, counts, rules)
    if device is not None and not trusted:
        hit_address(ip, "login")
    wait = wait_seconds(counts, trusted=trusted, now=now, policy=rules)
    if wait:
        raise _wait_message(wait)
    return SignInGate(account_key, ip[:64], device, trusted, counts)


def record_failure(db: Session, signin: SignInGate) -> None:
    """Count the failure; the staff are alerted when an account is being guessed."""
    db.add(
        LoginFailure(
            account_key=signin.account_key,
            ip=signin.ip,
            at=clock.now(),
            trusted=signin.trusted,
            device_hash=signin.device_hash,
        )
    )
    if signin.trusted:
        return
    rules = policy()
    failures = signin.counts.untrusted + 1
    if raises_alert(failures, rules):
        addresses = db.execute(
            select(func.count(func.distinct(LoginFailure.ip))).where(
                LoginFailure.account_key == signin.account_key,
                LoginFailure.trusted.is_(False),
                LoginFailure.at >= clock.now() - rules.window,
            )
        ).scalar_one()
        audit.record(
            db,
            Actor("system", ip=signin.ip),
            GUESSING_ALERT,
            "account",
            signin.account_key,
            {
                "failures": failures,
                "addresses": max(addresses, 1),
                "window_minutes": int(rules.window.total_seconds() // 60),
            },
        )


def record_success(db: Session, signin: SignInGate) -> None:
    """Forget this client's failures and trust the device from now on."""
    mine = LoginFailure.ip == signin.ip
    if signin.device_hash:
        mine = or_(mine, LoginFailure.device_hash == signin.device_hash)
    db.execute(delete(LoginFailure).where(LoginFailure.account_key == signin.account_key, mine))
    if signin.device_hash is None:
        return
    now = clock.now()
    known = db.execute(
        select(TrustedDevice).where(
            TrustedDevice.account_key == signin.account_key,
            TrustedDevice.device_hash == signin.device_hash,
        )
    ).scalar_one_or_none()
    if known is not None:
        known.last_used_at = now
        return
    try:
        with db.begin_nested():
            db.add(
                TrustedDevice(
                    account_key=signin.account_key,
                    device_hash=signin.device_hash,
                    created_at=now,
                    last_used_at=now,
                )
            )
    except IntegrityError:
        pass  # the same browser signed in twice at once: trusted either way


def purge_old_failures(db: Session) -> int:
    """Failures past the window and devices unused for the cookie's lifetime (housekeeping)."""
    now = clock.now()
    result = db.execute(delete(LoginFailure).where(LoginFailure.at < now - policy().window))
    stale = now - timedelta(days=get_settings().device_cookie_days)
    db.execute(delete(TrustedDevice).where(TrustedDevice.last_used_at < stale))
    db.commit()
    return result.rowcount or 0
