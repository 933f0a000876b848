"""What operators ask of a running server: is it ready (database, Redis), what do the
scrape-time metrics say (job queue depth, jobs by state), and may this caller read them."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from contest.config import get_settings
from contest.repositories import operations as rows

log = logging.getLogger("contest.operations")

WATCHED_JOB_STATES = ("queued", "running", "failed")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    ms: float
    detail: str = ""


def _timed(name: str, fn) -> Check:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the answer is "not ready", with the reason
        return Check(name, False, (time.perf_counter() - started) * 1000, type(exc).__name__)
    return Check(name, True, (time.perf_counter() - started) * 1000)


def redis_urls() -> dict[str, str]:
    """The Redis servers this process depends on, by what it uses them for."""
    settings = get_settings()
    named = {
        "redis_cache": settings.cache_url,
        "redis_queue": settings.queue_url,
        "redis_limits": settings.rate_limit_storage,
    }
    return {k: v for k, v in named.items() if v.startswith(("redis://", "rediss://", "unix://"))}


def readiness(db: Session) -> list[Check]:
    """The database answers a query and every configured Redis answers PING."""
    checks = [_timed("database", lambda: rows.ping(db))]
    for name, url in redis_urls().items():
        checks.append(_timed(name, lambda url=url: _redis_ping(url)))
    return checks


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        if not client.ping():
            raise ConnectionError("no PONG")
    finally:
        client.close()


def scrape_figures(db: Session, queue_pending: Callable[[], int]) -> dict[str, float]:
    """Figures read at scrape time: the queue's waiting messages and the jobs by state."""
    figures: dict[str, float] = {
        f"jobs_{state}": n for state, n in rows.jobs_by_state(db, WATCHED_JOB_STATES).items()
    }
    db.rollback()  # end the read transaction; the connection goes back to the pool
    figures["queue_pending"] = float(queue_pending())
    return figures


@lru_cache(maxsize=8)
def _networks(allow: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for part in allow.split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                log.warning("CONTEST_METRICS_ALLOW: %r is not an address or network", part)
    return tuple(nets)


def may_read_metrics(address: str, authorization: str) -> bool:
    """Allowed addresses (CONTEST_METRICS_ALLOW) or the bearer token (CONTEST_METRICS_TOKEN)."""
    settings = get_settings()
    token = settings.metrics_token
    if token and authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode()):
            return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(settings.metrics_allow))
