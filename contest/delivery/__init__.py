"""Senders: they carry one message to a mail server or an SMS gateway and say how it went.
What to send, when and how often is the outbox's business (services/messages.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender sees it."""

    id: int
    channel: str  # email | sms
    address: str
    subject: str
    text: str
    # Non-essential messages carry their unsubscribe page (List-Unsubscribe for email).
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class Delivered:
    """Accepted by the server or gateway; `detail` is what it answered (an id, a status line)."""

    detail: str = ""


class DeliveryError(Exception):
    """The server or gateway refused or could not be reached; the outbox tries again later."""
