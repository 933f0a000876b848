"""A database that is slow or gone: the request is answered "the system is busy" (503, with
Retry-After), never a bare 500 and never after minutes.

The connect and statement limits (`db.make_engine`) turn a database that does not answer into an
error within seconds; this layer turns that error into an answer. A page gets the bilingual
error page, the API its JSON error, and an answer save a 503 that the attempt page's script
treats as any failed save: the answer is marked "not saved yet — will retry", stays in the
page's queue and is sent again. Nothing was stored, so nothing is said to be saved.

It wraps the lanes in front of the router (start, waiting room, pages gate) as well as the
routes, so a refusal raised in either reaches it. An error after the response has started (a
streamed download) cannot be answered any more and goes on to the server as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest import metrics

log = logging.getLogger("contest.database")

RETRY_AFTER_SECONDS = 10
MESSAGE_VI = (
    "Hệ thống đang bận và chưa thể xử lý yêu cầu này. Xin chờ ít giây rồi thử lại; "
    "những gì đã lưu trước đó vẫn còn nguyên."
)
MESSAGE_EN = (
    "The system is busy and could not handle this request. Please wait a few seconds and try "
    "again; what was saved before is kept."
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or did not answer in time (connect
    refused or timed out, connection lost, statement cancelled by its time limit, no pooled
    connection free in time, SQLite locked for longer than its busy timeout), rather than that
    the request or the code is wrong."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        psycopg = None  # type: ignore[assignment]
    if psycopg is not None and isinstance(exc.orig, psycopg.OperationalError):
        return True  # includes QueryCanceled (statement_timeout), AdminShutdown, refused connects
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class DatabaseUnavailable:
    """Answers a request whose database work failed for want of a database with
    `refusal(request, 503, vi, en)` and Retry-After."""

    def __init__(self, app: ASGIApp, refusal: Callable[[Request, int, str, str], Response]) -> None:
        self.app = app
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or not database_unavailable(exc):
                raise
            log.warning(
                "database unavailable: %s %s answered 503 (%s)",
                scope["method"],
                scope["path"],
                type(getattr(exc, "orig", None) or exc).__name__,
                exc_info=exc,
            )
            metrics.refused("database_unavailable")
            response = self.refusal(Request(scope), 503, MESSAGE_VI, MESSAGE_EN)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)
