"""Saves first: pages over the per-process limit wait in the event loop, first come first
served, while saves and submissions pass straight through."""

from __future__ import annotations

import asyncio

from event_loop import run

from contest import metrics
from contest.domain.admission import PageGate, PageGateSettings, ShedSettings
from contest.services import admission
from contest.web import gate as gate_module
from contest.web.gate import PagesAfterSaves

FORM = "application/x-www-form-urlencoded"


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

    run(main())


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

    run(main())


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

    run(main())


def _request(path: str, method: str = "GET", headers: dict | None = None) -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
    }


def _body(*chunks: bytes):
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


class _Answer:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], dict(message["headers"])
        else:
            self.body += message.get("body", b"")


def test_a_page_over_its_budget_is_answered_busy_and_saves_and_staff_still_pass(monkeypatch):
    monkeypatch.setattr(admission, "_gate", PageGate(PageGateSettings(initial=1, maximum=1)))
    monkeypatch.setattr(gate_module, "SHED", ShedSettings(budget_seconds=0.05))
    shed_before = metrics.PAGES_SHED.labels("start")._value.get()

    async def main():
        block = asyncio.Event()
        served: list[str] = []

        async def app(scope, receive, send):
            served.append(scope["path"])
            if scope["path"] == "/c/a/rounds":
                await block.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"page"})

        lane = PagesAfterSaves(app)
        first = asyncio.create_task(lane(_request("/c/a/rounds"), None, _Answer()))
        await asyncio.sleep(0.01)

        lobby = _Answer()
        await asyncio.wait_for(
            lane(_request("/c/a/rounds", headers={"cookie": "lang=vi"}), None, lobby), 1.0
        )
        text = lobby.body.decode()
        assert lobby.status == 200 and len(lobby.body) < 1500
        assert lobby.headers[b"cache-control"] == b"no-store"
        retry = int(lobby.headers[b"retry-after"])
        assert 2 <= retry <= 10
        assert f'<meta http-equiv="refresh" content="{retry}">' in text
        assert f"Trang sẽ tự mở lại sau {retry} giây" in text and "<form" not in text

        start = _Answer()
        form = {"content-type": FORM, "content-length": "34"}
        await asyncio.wait_for(
            lane(
                _request("/c/a/rounds/1/start", "POST", form),
                _body(b"csrf_token=a%22%3Cb", b"&note=x+y&empty="),
                start,
            ),
            1.0,
        )
        text = start.body.decode()
        assert start.status == 200 and "http-equiv" not in text
        assert '<form method="post" action="/c/a/rounds/1/start" data-retry-after=' in text
        assert '<input type="hidden" name="csrf_token" value="a&#34;&lt;b">' in text
        assert '<input type="hidden" name="note" value="x y">' in text
        assert '<input type="hidden" name="empty" value="">' in text
        assert "/static/js/busy.js" in text and "Rất nhiều người đang vào thi cùng lúc" in text
        assert metrics.PAGES_SHED.labels("start")._value.get() == shed_before + 1

        # Never shed: saves and submissions pass; staff, the waiting room, the attempt page and a
        # fragment wait.
        await asyncio.wait_for(lane(_request("/attempts/7/answers/3", "POST"), None, _Answer()), 1)
        await asyncio.wait_for(lane(_request("/attempts/7/submit", "POST"), None, _Answer()), 1)
        held = [
            _request("/organiser/contests/a"),
            _request("/c/a/rounds/1/wait"),
            _request("/attempts/7"),
            _request("/attempts/7", headers={"hx-request": "true"}),
        ]
        waiting = [asyncio.create_task(lane(r, None, _Answer())) for r in held]
        await asyncio.sleep(0.2)  # four budgets
        assert not any(t.done() for t in waiting) and len(lane.waiting) == 4
        block.set()
        await asyncio.gather(first, *waiting)
        assert served == ["/c/a/rounds", "/attempts/7/answers/3", "/attempts/7/submit"] + [
            r["path"] for r in held
        ]
        assert lane.running == 0 and not lane.waiting

    run(main())


def test_a_page_behind_a_queue_it_could_not_get_through_is_answered_busy_at_once(monkeypatch):
    monkeypatch.setattr(admission, "_gate", PageGate(PageGateSettings(initial=1, maximum=1)))

    async def main():
        block = asyncio.Event()

        async def app(scope, receive, send):
            await block.wait()

        lane = PagesAfterSaves(app)
        first = asyncio.create_task(lane(_request("/c/a/rounds"), None, _Answer()))
        await asyncio.sleep(0.01)
        lane.page_seconds = 3.0  # one page takes longer than the budget
        page = _Answer()
        await asyncio.wait_for(lane(_request("/c/a/rules"), None, page), 0.5)
        assert page.status == 200 and b"http-equiv" in page.body and not lane.waiting
        # a Start whose body is not a small form is not shed: it waits its turn
        big = _request(
            "/c/a/rounds/1/start", "POST", {"content-type": FORM, "content-length": "9000"}
        )
        # one that sends more than it announced, or bytes that are not text, gets a clear 400
        for announced, sent in ((b"a=1", b"a=1" + b"x" * 3000), (b"\xff\xfe", b"\xff\xfe")):
            bad = _request(
                "/c/a/rounds/1/start",
                "POST",
                {"content-type": FORM, "content-length": str(len(announced))},
            )
            refused = _Answer()
            await asyncio.wait_for(lane(bad, _body(sent), refused), 0.5)
            assert refused.status == 400 and "không đọc được" in refused.body.decode()
        waits = asyncio.create_task(lane(big, _body(b"x"), _Answer()))
        await asyncio.sleep(0.05)
        assert not waits.done() and len(lane.waiting) == 1
        block.set()
        await asyncio.gather(first, waits)

    run(main())
