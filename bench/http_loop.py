"""A lean HTTP/1.1 client for the closed loops that measure the machine (GET /healthz) and the
save ceiling: one keep-alive connection per loop, one request at a time on it, requests written
as bytes prepared beforehand, and every response read in full and parsed (status line,
Content-Length, body).

The ceiling figures compare the server's two paths; each request's client cost shrinks toward
what the kernel and the event loop need, so what the load generator spends (it shares the
machine's cores with the server and the database) is about the same for a save as for /healthz
and small for both. aiohttp does far more per request (URL and header objects, form encoding,
a response object with its header multidict, cookie handling), and more for a POST with a form
than for a bare GET, which the ratio then counted against the save.

What it does not do: chunked bodies, pipelining, redirects or cookies. A response it cannot
read (no Content-Length, more bytes than announced, the connection closed) is an error of the
request, as is no complete answer within the timeout.
"""

from __future__ import annotations

import asyncio


class HTTPError(Exception):
    """The response could not be read (not an HTTP status the caller did not expect)."""


class Connection(asyncio.Protocol):
    """One keep-alive connection to 127.0.0.1:`port`; `request` sends prepared bytes and returns
    (status, body) once the whole response has arrived."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.buffer = b""
        self.total = -1  # head + body length of the response being read, once its head is in
        self.body_at = 0
        self.status = 0

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, self.host, self.port)

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(HTTPError("connection closed"))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def data_received(self, data: bytes) -> None:
        if self.buffer:
            data = self.buffer + data
        if self.total < 0:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = data
                return
            head = data[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            if not head.startswith(b"http/1.1 ") or at < 0:
                self._broken("no status line or no content-length")
                return
            stop = head.find(b"\r\n", at + 2)
            try:
                self.status = int(head[9:12])
                length = int(head[at + 17 : stop if stop > 0 else len(head)])
            except ValueError:
                self._broken("unreadable status or content-length")
                return
            self.body_at = end + 4
            self.total = self.body_at + length
        if len(data) < self.total:
            self.buffer = data
            return
        if len(data) > self.total:
            self._broken("more bytes than the response announced")
            return
        body = data[self.body_at :]
        self.buffer, self.total = b"", -1
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.status, body))

    def _broken(self, why: str) -> None:
        self._fail(HTTPError(why))
        if self.transport is not None:
            self.transport.close()

    def _timed_out(self) -> None:
        self._fail(TimeoutError())
        if self.transport is not None:
            self.transport.close()

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.transport is None or self.transport.is_closing():
            self.buffer, self.total = b"", -1
            await self.connect()
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        self.transport.write(data)  # type: ignore[union-attr]
        timer = loop.call_later(self.timeout, self._timed_out)
        try:
            return await waiter
        finally:
            timer.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
