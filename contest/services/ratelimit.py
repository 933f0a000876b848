"""Rate limits: per address in `limits` storage (memory or Redis), per account in the database."""

from __future__ import annotations

import threading
from datetime import timedelta

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.domain.errors import ContestError
from contest.models import LoginFailure

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


def _account_window() -> tuple[int, timedelta]:
    item = parse(get_settings().login_limit_per_account)
    return item.amount, timedelta(seconds=item.get_expiry())


def check_account(db: Session, account_key: str) -> None:
    """Refuse sign-in while the account has too many recent failures (shared by all workers)."""
    amount, window = _account_window()
    since = clock.now() - window
    failures, first = db.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.account_key == account_key, LoginFailure.at >= since
        )
    ).one()
    if failures >= amount:
        wait_minutes = max(1, int(((first + window) - clock.now()).total_seconds() // 60) + 1)
        raise RateLimited(
            f"Tài khoản tạm khoá do đăng nhập sai quá {amount} lần. Vui lòng thử lại sau {wait_minutes} phút.",
            f"This account is locked after {amount} failed sign-ins. Please try again in {wait_minutes} minutes.",
        )


def record_failure(db: Session, account_key: str, ip: str) -> None:
    db.add(LoginFailure(account_key=account_key, ip=ip[:64], at=clock.now()))


def clear_failures(db: Session, account_key: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.account_key == account_key))


def purge_old_failures(db: Session) -> int:
    _, window = _account_window()
    result = db.execute(delete(LoginFailure).where(LoginFailure.at < clock.now() - window))
    return result.rowcount or 0
