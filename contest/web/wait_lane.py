"""The waiting page's asks, answered ahead of the router from this process's snapshot of the
queue: at the busiest moment of a contest day thousands of phones ask "is it my turn?", and the
answer ("not yet: place 812, about 40 seconds") needs no query.

The page asks GET /c/{slug}/rounds/{n}/wait?t={ticket}.{signature} with HX-Request: the
signature is an HMAC of the ticket, the round's address and the session cookie the ticket was
issued to, made by the full path when it showed the page. An ask whose ticket is waiting in the
snapshot (or joined since it was read) is answered here with the status fragment (place,
estimated wait, next ask); an ask whose ticket the snapshot has called is told to load the paper
(HX-Redirect to the same address, which the browser opens as a page: the full path serves the
paper there). Any other ask (no or bad signature, a ticket served or left, a stale snapshot, no
JavaScript) goes on unchanged to the routed endpoint, which checks everything and serves the
paper when the turn has come. The lane also keeps the queue moving: an ask that finds this
process's snapshot old or its head due a call starts that work beside it (or first, when the
snapshot is too old to answer from) (services/admission.py).

A session that has ended (signed out, ended by an administrator or a password change, expired)
is listed in the snapshot: its asks go to the full path, which checks the session and sends the
person to sign in. The paper itself is only ever served by the full path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from contest.config import get_settings
from contest.domain.admission import rounded_wait
from contest.services import admission, sessions
from contest.web import answer_lane, csrf
from contest.web.deps import get_db
from contest.web.i18n import catalog
from contest.web.templating import env, language

log = logging.getLogger(__name__)
WAIT_PATH = re.compile(r"/c/([a-z0-9][a-z0-9-]{0,80})/rounds/([0-9]{1,4})/wait")
STATUS_TEMPLATE = "taking/_waiting_status.html"


def _signature(session: str, slug: str, number: int, ticket_id: int) -> str:
    key = get_settings().resolved_secret_key().encode()
    message = f"wait:{slug}:{number}:{ticket_id}:{session}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def poll_url(session: str, slug: str, number: int, ticket_id: int) -> str:
    """Where the waiting page asks next: its ticket, signed for this session and round."""
    sig = _signature(session, slug, number, ticket_id)
    return f"/c/{slug}/rounds/{number}/wait?t={ticket_id}.{sig}"


def signed_ticket(query: str, session: str, slug: str, number: int) -> int | None:
    """The ticket id an ask carries, when its signature holds for this session and round."""
    try:
        sent = (parse_qs(query, max_num_fields=4).get("t") or [""])[0]
    except ValueError:  # more fields than a page's ask sends: the full path answers it
        return None
    ticket, _, sig = sent.partition(".")
    if not ticket.isascii() or not ticket.isdigit() or len(ticket) > 18 or not sig:
        return None
    ticket_id = int(ticket)
    expected = _signature(session, slug, number, ticket_id)
    return ticket_id if hmac.compare_digest(sig, expected) else None


def status_html(lang: str, w: admission.Waiting, url: str) -> str:
    """The fragment the page swaps in: the same template the full path renders."""
    return env.get_template(STATUS_TEMPLATE).render(
        _=catalog(lang).gettext, w=w, wait=rounded_wait(w.wait_seconds), poll_url=url
    )


async def _with_session(scope: Scope, fn, *args):
    """fn(db, *args) on a worker thread with the app's own session provider, as saves do."""
    return await answer_lane.with_session(
        scope["app"].dependency_overrides.get(get_db, get_db), fn, *args
    )


def _logged(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("waiting room: the queue's upkeep failed", exc_info=task.exception())


class WaitingRoomLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.behind: asyncio.Future | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            WAIT_PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "GET"
            else None
        )
        if match is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = request.cookies.get(csrf.SESSION_COOKIE, "")
        slug, number = match.group(1), int(match.group(2))
        ticket_id = (
            signed_ticket(scope.get("query_string", b"").decode("latin-1"), session, slug, number)
            if session and request.headers.get("hx-request") == "true"
            else None
        )
        if ticket_id is None:
            await self.app(scope, receive, send)
            return
        if admission.maintenance_due():
            if not admission.snapshot_usable():
                await _with_session(scope, admission.maintain)
            elif self.behind is None or self.behind.done():
                # Answered from the snapshot at once; the queue moves on beside it.
                self.behind = asyncio.ensure_future(_with_session(scope, admission.maintain))
                self.behind.add_done_callback(_logged)
        waiting = admission.peek(ticket_id, session_hash=sessions.token_hash(session))
        if waiting is None:
            await self.app(scope, receive, send)
            return
        if isinstance(waiting, admission.Called):
            # The turn has come: the page loads the paper from the full path (a navigation,
            # without HTMX), which draws it and starts the clock.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"hx-redirect", poll_url(session, slug, number, ticket_id).encode()),
                        (b"cache-control", b"no-store"),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = status_html(
            language(request), waiting, poll_url(session, slug, number, ticket_id)
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
