"""Real servers for the outbox's tests: an SMTP server (aiosmtpd) and an HTTP SMS gateway that
record what they receive; and a way to point the settings at them for one test."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contest.config import get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Gateway:
    url: str
    requests: list[dict] = field(default_factory=list)
    # Answers to give, in order (status, body); then 200 with the provider's success code.
    answers: list[tuple[int, str]] = field(default_factory=list)

    def json_bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    gateway = Gateway("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            gateway.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": self.rfile.read(length).decode(),
                }
            )
            status, body = (
                gateway.answers.pop(0) if gateway.answers else (200, '{"CodeResult": "100"}')
            )
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/api/sms/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def use_smtp(monkeypatch, box: Mailbox) -> None:
    settings = get_settings()
    for name, value in {
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "smtp_from": "Ban Tổ chức <no-reply@thi.example.vn>",
        "smtp_tls": "none",
        "smtp_timeout_seconds": 5,
    }.items():
        monkeypatch.setattr(settings, name, value)


def use_sms(monkeypatch, gateway: Gateway, **extra: object) -> None:
    settings = get_settings()
    values: dict[str, object] = {
        "sms_gateway_url": gateway.url,
        "sms_auth_header": "Authorization: Bearer khoa-thu-nghiem",
        "sms_brandname": "LANGSON",
        "sms_success_pattern": '"CodeResult":\\s*"100"',
        "sms_timeout_seconds": 5,
    }
    values.update(extra)
    for name, value in values.items():
        monkeypatch.setattr(settings, name, value)
