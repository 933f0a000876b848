"""Per request: a request id (taken from X-Request-ID or made, sent back), the operator metrics
(count and latency by route kind), the live page's site-wide counters, and the access line.

Plain ASGI, outermost: it times everything the server does for a request, gzip included, and
costs a few microseconds (two clock reads, a counter, a histogram, a dictionary step).
"""

from __future__ import annotations

import logging
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest import logs, metrics
from contest.services import live

HEADER = b"x-request-id"
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
access = logging.getLogger("contest.access")


def incoming_id(scope: Scope) -> str | None:
    """The caller's request id (a proxy's, a load balancer's) when it is a sane token."""
    for name, value in scope["headers"]:
        if name == HEADER:
            text = value.decode("latin-1")
            if 0 < len(text) <= 128 and _ALLOWED.issuperset(text):
                return text
            return None
    return None


class Observed:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        kind = metrics.kind_of(scope["method"], scope["path"])
        rid = incoming_id(scope) or secrets.token_hex(8)
        header = (HEADER, rid.encode("latin-1"))
        token = logs.request_id.set(rid)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            metrics.observe_request(kind, status, elapsed)
            if kind != "static" and kind != "ops":
                live.count_request(status)
            if access.isEnabledFor(logging.INFO):
                access.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "kind": kind,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ("-",))[0],
                    },
                )
            logs.request_id.reset(token)
