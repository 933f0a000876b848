"""Saves first: the pages one process runs at once are limited, and the limit follows the saves'
latency (domain/admission.py `PageGate`: halved when saves get slow, one more while pages wait
and saves are fast).

At the busiest moment of a contest day everybody who arrives costs a lobby and a Start button,
and those who got their paper cost the attempt page; people already answering must not feel
it. A page over the limit waits its turn here, in the event loop, using no CPU, first come first
served, while saves (the answer lane and the routed save), submissions and the waiting page's
asks answered from memory pass straight through: they are what people answering do. A page
gives its place up when its answer starts, so a download streamed to a slow phone holds none.

Overload sheds early instead of queueing into timeouts: a participant's page (a GET under /c/,
such as the lobby, and the Start button) that would wait longer than a short budget
(domain/admission.py `ShedSettings`) is answered at once with a light busy page that asks again
by itself after a few seconds, more the longer the queue: a GET through a meta refresh, the
Start button by re-submitting its own small form (its fields carried as hidden inputs). Saves,
submissions, the waiting room, the attempt page, HTMX fragments and the staff areas are never
shed: they wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections import deque
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest import metrics
from contest.domain.admission import ShedSettings, retry_seconds, should_shed
from contest.services import admission
from contest.web.i18n import catalog
from contest.web.static import static_url
from contest.web.templating import env, language

# Not limited: what people who are answering do (save, submit) and what costs next to nothing.
PASS = re.compile(r"/attempts/[0-9]{1,18}/(answers/[0-9]{1,4}|submit)|/healthz|/static/.*")
# May be answered busy: a participant's pages under /c/ (read again by a refresh) and the Start
# button (its form is a CSRF token: re-sent as it came). Not the waiting room (its asks, and the
# paper it serves to those called) nor the attempt page: they are for people already let in,
# whose paper is drawn and clock running; they wait their turn behind a queue the shedding keeps
# short.
SHED_GET = re.compile(r"/c/[a-z0-9][a-z0-9-]{0,80}(/(?!rounds/[0-9]{1,4}/wait$).*)?")
SHED_POST = re.compile(r"/c/[a-z0-9][a-z0-9-]{0,80}/rounds/[0-9]{1,6}/start")
FORM_TYPE = "application/x-www-form-urlencoded"
FORM_MAX_BYTES = 2048  # the Start form is ~60 bytes: a body beyond this is not re-sent
SHED = ShedSettings()
BUSY_TEMPLATE = "busy.html"


def shed_kind(scope: Scope) -> str | None:
    """What a request is if it may be answered busy ("page", "start"), else None."""
    headers = dict(scope.get("headers") or [])
    if headers.get(b"hx-request"):
        return None  # a fragment for a page already shown: it waits
    if scope["method"] == "GET":
        return "page" if SHED_GET.fullmatch(scope["path"]) else None
    if scope["method"] != "POST" or not SHED_POST.fullmatch(scope["path"]):
        return None
    length = headers.get(b"content-length", b"")
    if not length.isdigit() or int(length) > FORM_MAX_BYTES:
        return None
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return "start" if kind == FORM_TYPE.encode() else None


async def _form_fields(receive: Receive) -> list[tuple[str, str]] | None:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # gone
        body += message.get("body", b"")
        if len(body) > FORM_MAX_BYTES:
            return None
        if not message.get("more_body", False):
            break
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None


async def _refuse_unreadable_form(send: Send) -> None:
    body = (
        "Yêu cầu không đọc được: biểu mẫu không đúng hoặc dài hơn đã báo. Hãy mở lại trang.\n"
        "The request could not be read: not a form, or longer than announced. Open the page again.\n"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def answer_busy(scope: Scope, receive: Receive, send: Send, kind: str, retry: int) -> None:
    """The light busy page: says why and asks again by itself after `retry` seconds."""
    fields = None
    if kind == "start":
        fields = await _form_fields(receive)
        if fields is None:  # more than it announced, or not a form: say so (to nobody if gone)
            await _refuse_unreadable_form(send)
            return
    query = scope.get("query_string", b"").decode("latin-1")
    lang = language(Request(scope))
    body = (
        env.get_template(BUSY_TEMPLATE)
        .render(
            lang=lang,
            _=catalog(lang).gettext,
            retry=retry,
            fields=fields,
            action=scope["path"] + (f"?{query}" if query else ""),
            script_url=static_url("js/busy.js"),
            # the site's stylesheet, which the phone has cached from the page it came from
            style_url=static_url("css/app.css"),
        )
        .encode()
    )
    metrics.shed(kind)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", b"no-store"),
                (b"retry-after", str(retry).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PagesAfterSaves:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.page_seconds: float | None = None  # smoothed wall time of a sheddable page

    def _retry(self, limit: int) -> int:
        return retry_seconds(
            len(self.waiting), limit, self.page_seconds, random.uniform(0.75, 1.25), SHED
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or PASS.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        gate = admission.page_gate()
        limit = gate.adjust(time.monotonic(), bool(self.waiting))
        kind = shed_kind(scope)
        if self.waiting or self.running >= limit:
            if kind and should_shed(0.0, len(self.waiting), limit, self.page_seconds, SHED):
                await answer_busy(scope, receive, send, kind, self._retry(limit))
                return
            turn = asyncio.get_running_loop().create_future()
            self.waiting.append(turn)
            gate.waiting = len(self.waiting)
            try:
                if kind is None:
                    await turn
                else:
                    await asyncio.wait((turn,), timeout=SHED.budget_seconds)
                    if not turn.done():  # waited its budget: busy, and out of the queue
                        with contextlib.suppress(ValueError):
                            self.waiting.remove(turn)
                        gate.waiting = len(self.waiting)
                        await answer_busy(scope, receive, send, kind, self._retry(gate.limit))
                        return
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # the turn came as the request was cancelled: pass it on
                else:
                    with contextlib.suppress(ValueError):  # already passed over by a release
                        self.waiting.remove(turn)
                    admission.page_gate().waiting = len(self.waiting)
                raise
        else:
            self.running += 1
        held = True
        began = time.monotonic()

        async def answering(message: Message) -> None:
            # The page's work is done once its answer starts: a long download streamed to a
            # slow phone does not hold a place meant for rendering pages.
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
                if kind is not None:
                    took = time.monotonic() - began
                    self.page_seconds = (
                        took
                        if self.page_seconds is None
                        else self.page_seconds + SHED.page_smoothing * (took - self.page_seconds)
                    )
                self._release()
            await send(message)

        try:
            await self.app(scope, receive, answering)
        finally:
            if held:
                self._release()

    def _release(self) -> None:
        self.running -= 1
        gate = admission.page_gate()
        limit = gate.adjust(time.monotonic(), bool(self.waiting))
        while self.waiting and self.running < limit:
            turn = self.waiting.popleft()
            if not turn.done():
                self.running += 1
                turn.set_result(None)
        gate.waiting = len(self.waiting)
