"""The three requests of a start (the lobby, the Start button, the attempt page), served in front
of the router when they can be: at the busiest moment of a contest day everybody makes them at
once, and FastAPI's routing, dependency solving and exception layers cost about a millisecond of
the machine per request before the page does anything.

The lane is the innermost layer: the page gate (web/gate.py, saves first and the busy page), the
waiting room's lane, gzip, the body limit, the security headers and the request id all stay in
front of it. It serves only the ordinary case, with the same functions the routed endpoints run
(`routers.taking._lobby`, `_start`, `_attempt_page`), so a page served here is the page the router
serves for the same request:

- a GET of the lobby or of an attempt page (without query fields) that carries the session cookie;
- a POST of the Start button that carries the session cookie, comes from the same origin and has
  a valid CSRF token bound to the session (the X-CSRF-Token header, or the `csrf_token` field of
  its small form), the check `web.csrf.verify` makes.

Anything else goes on unchanged to the router, with the body read here handed on. So does a
request whose work was refused (not signed in, not found, a round that is closed): the routed
endpoint does it again and answers through the application's error pages, in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from contest.domain.errors import ContestError
from contest.web import answer_lane, csrf
from contest.web.deps import Forbidden, NotSignedIn, get_db

LOBBY_PATH = re.compile(r"/c/([a-z0-9][a-z0-9-]{0,80})/rounds")
START_PATH = re.compile(r"/c/([a-z0-9][a-z0-9-]{0,80})/rounds/([0-9]{1,6})/start")
ATTEMPT_PATH = re.compile(r"/attempts/([0-9]{1,18})")
FORM_TYPE = "application/x-www-form-urlencoded"
# What the application's error handlers answer (web/app.py): signed out, a missing role, a
# service's refusal (not found, not allowed, closed, rate limited), a number or text too large.
REFUSALS = (ContestError, NotSignedIn, Forbidden, HTTPException, OverflowError, DataError)


def _form_token(body: bytes) -> str | None:
    try:
        fields = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return next((value for name, value in fields if name == csrf.FIELD), None)


class StartLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        work = self._work(scope) if scope["type"] == "http" else None
        if work is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        session = request.cookies.get(csrf.SESSION_COOKIE)
        if not session:
            await self.app(scope, receive, send)
            return
        body, more = b"", False
        if scope["method"] == "POST":
            body, more = await answer_lane._read_body(receive)
            if more or not self._csrf_holds(request, session, body):
                await self.app(scope, answer_lane._replaying(body, more, receive), send)
                return
        response = await self._serve(scope, work, request)
        if response is None:
            await self.app(scope, answer_lane._replaying(body, more, receive), send)
            return
        await response(scope, receive, send)

    @staticmethod
    def _work(scope: Scope) -> Callable[..., Response] | None:
        """The routed endpoint's work for this request with its arguments bound, or None."""
        from contest.web.routers import taking

        method, path = scope["method"], scope["path"]
        if method == "GET" and not scope.get("query_string"):
            if path.startswith("/attempts/"):
                found = ATTEMPT_PATH.fullmatch(path)
                if found:
                    attempt_id = int(found.group(1))
                    return lambda request, db: taking._attempt_page(request, attempt_id, 0, 0, db)
            elif found := LOBBY_PATH.fullmatch(path):
                slug = found.group(1)
                return lambda request, db: taking._lobby(request, slug, db)
        elif method == "POST" and (found := START_PATH.fullmatch(path)):
            slug, number = found.group(1), found.group(2)
            return lambda request, db: taking._start(request, slug, number, db)
        return None

    @staticmethod
    def _csrf_holds(request: Request, session: str, body: bytes) -> bool:
        """`web.csrf.verify` for a signed-in POST; False sends it to the router to be refused."""
        if not csrf.same_origin(request):
            return False
        sent: str | None = request.headers.get(csrf.HEADER)
        if not sent and request.headers.get("content-type", "").startswith(FORM_TYPE):
            sent = _form_token(body)
        return sent is not None and sent != "" and csrf.token_matches(sent, "s:" + session)

    @staticmethod
    async def _serve(scope: Scope, work, request: Request) -> Response | None:
        provider = scope["app"].dependency_overrides.get(get_db, get_db)
        try:
            return await answer_lane.with_session(provider, lambda db: work(request, db))
        except REFUSALS:
            # Answered by the routed endpoint, through the application's error pages.
            return None
