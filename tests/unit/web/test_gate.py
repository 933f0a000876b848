"""Saves first: pages over the per-process limit wait in the event loop, first come first
served, while saves and submissions pass straight through."""

from __future__ import annotations

import asyncio

from contest.domain.admission import PageGate, PageGateSettings
from contest.services import admission
from contest.web.gate import PagesAfterSaves


def _scope(path: str) -> dict:
    return {"type": "http", "method": "GET", "path": path}


def test_pages_beyond_the_limit_wait_their_turn_and_saves_pass(monkeypatch):
    gate = PageGate(PageGateSettings(initial=1, minimum=1, maximum=1))
    monkeypatch.setattr(admission, "_gate", gate)
    release = {}
    order: list[str] = []

    async def app(scope, receive, send):
        order.append("begin " + scope["path"])
        if scope["path"].startswith("/c/"):
            release[scope["path"]] = asyncio.Event()
            await release[scope["path"]].wait()
        order.append("end " + scope["path"])

    async def main():
        lane = PagesAfterSaves(app)
        first = asyncio.create_task(lane(_scope("/c/a/rounds"), None, None))
        second = asyncio.create_task(lane(_scope("/c/b/rounds"), None, None))
        await asyncio.sleep(0.01)
        assert order == ["begin /c/a/rounds"] and lane.running == 1 and len(lane.waiting) == 1
        assert gate.waiting == 1 and not gate.busy()  # one waiting: not yet a crowd
        await lane(_scope("/attempts/7/answers/3"), None, None)  # a save: not held
        await lane(_scope("/attempts/7/submit"), None, None)
        assert order[-2:] == ["begin /attempts/7/submit", "end /attempts/7/submit"]
        release["/c/a/rounds"].set()
        await asyncio.sleep(0.01)
        assert "begin /c/b/rounds" in order and lane.running == 1
        release["/c/b/rounds"].set()
        await asyncio.gather(first, second)
        assert lane.running == 0 and not lane.waiting
        assert gate.waiting == 0 and not gate.busy()

    asyncio.run(main())


def test_a_page_that_gives_up_while_waiting_leaves_no_slot_taken(monkeypatch):
    gate = PageGate(PageGateSettings(initial=1, minimum=1, maximum=1))
    monkeypatch.setattr(admission, "_gate", gate)
    hold = asyncio.Event

    async def main():
        block = hold()

        async def app(scope, receive, send):
            if scope["path"] == "/c/a/rounds":
                await block.wait()

        lane = PagesAfterSaves(app)
        first = asyncio.create_task(lane(_scope("/c/a/rounds"), None, None))
        await asyncio.sleep(0.01)
        gone = asyncio.create_task(lane(_scope("/c/b/rounds"), None, None))
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        block.set()
        await first
        assert lane.running == 0 and not lane.waiting
        await asyncio.wait_for(lane(_scope("/c/c/rounds"), None, None), 1.0)

    asyncio.run(main())


def test_a_page_gives_its_place_up_when_its_answer_starts(monkeypatch):
    gate = PageGate(PageGateSettings(initial=1, minimum=1, maximum=1))
    monkeypatch.setattr(admission, "_gate", gate)

    async def main():
        streaming = asyncio.Event()
        finish = asyncio.Event()

        async def app(scope, receive, send):
            if scope["path"] == "/jobs/1/download":
                await send({"type": "http.response.start", "status": 200, "headers": []})
                streaming.set()
                await finish.wait()  # a slow phone takes its time over the body
                await send({"type": "http.response.body", "body": b""})

        async def send(message):
            pass

        lane = PagesAfterSaves(app)
        download = asyncio.create_task(lane(_scope("/jobs/1/download"), None, send))
        await streaming.wait()
        assert lane.running == 0
        await asyncio.wait_for(lane(_scope("/c/a/rounds"), None, send), 1.0)  # not held up
        finish.set()
        await download
        assert lane.running == 0 and not lane.waiting

    asyncio.run(main())
