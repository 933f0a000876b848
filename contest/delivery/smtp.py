"""Email over SMTP with the standard library (smtplib): STARTTLS, implicit TLS or plain."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from contest.delivery import Delivered, DeliveryError, Outgoing


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = ""
    tls: str = "starttls"  # starttls | ssl | none
    timeout: float = 20


def build_email(config: SmtpConfig, message: Outgoing) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.sender
    email["To"] = message.address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = parseaddr(config.sender)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(f"notice{message.id}", domain=domain)
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    email.set_content(message.text)
    return email


def send(config: SmtpConfig, message: Outgoing) -> Delivered:
    email = build_email(config, message)
    try:
        if config.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password)
            refused = client.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {config.host}:{config.port}: {exc}") from exc
    if refused:
        raise DeliveryError(f"SMTP refused {', '.join(refused)}")
    return Delivered(str(email["Message-ID"]))
