"""A request body limit in front of the app: nothing larger is read, parsed or spooled."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest import metrics

# Room for the form fields that travel with the largest allowed file.
ENVELOPE = 64 * 1024

_BODY = (
    "<!doctype html><meta charset=utf-8><title>413</title>"
    "<p lang=vi>Tệp hoặc dữ liệu gửi lên quá lớn.</p><p lang=en>The file or data sent is too large.</p>"
).encode()


class _TooLarge(BaseException):
    """A BaseException so FastAPI's body parsing, which turns any Exception into a 400,
    lets it through to the middleware that answers 413."""


class BodySizeLimit:
    """Refuse by Content-Length before reading; count the bytes of a chunked body as they come."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + ENVELOPE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        metrics.refused("too_large")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"connection", b"close"),
                    (b"content-length", str(len(_BODY)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})
