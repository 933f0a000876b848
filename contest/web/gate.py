"""Saves first: the pages one process runs at once are limited, and the limit follows the saves'
latency (domain/admission.py `PageGate`: halved when saves get slow, one more while pages wait
and saves are fast).

At the busiest moment of a contest day everybody who arrives costs a lobby and a Start button,
and those who got their paper cost the attempt page; people already answering must not feel
it. A page over the limit waits its turn here, in the event loop, using no CPU, first come first
served, while saves (the answer lane and the routed save), submissions and the waiting page's
asks answered from memory pass straight through: they are what people answering do. A page
gives its place up when its answer starts, so a download streamed to a slow phone holds none.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest.services import admission

# Not limited: what people who are answering do (save, submit) and what costs next to nothing.
PASS = re.compile(r"/attempts/[0-9]{1,18}/(answers/[0-9]{1,4}|submit)|/healthz|/static/.*")


class PagesAfterSaves:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or PASS.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        gate = admission.page_gate()
        limit = gate.adjust(time.monotonic(), bool(self.waiting))
        if self.waiting or self.running >= limit:
            turn = asyncio.get_running_loop().create_future()
            self.waiting.append(turn)
            gate.waiting = len(self.waiting)
            try:
                await turn
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

        async def answering(message: Message) -> None:
            # The page's work is done once its answer starts: a long download streamed to a
            # slow phone does not hold a place meant for rendering pages.
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
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
