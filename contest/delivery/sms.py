"""SMS through one HTTP gateway, configured the way Vietnamese brand-name SMS providers work: a
POST to their URL with an auth header (or basic auth) and a body built from a template."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx

from contest.delivery import Delivered, DeliveryError, Outgoing

_PLACEHOLDER = re.compile(r"\{(phone|phone84|text|brandname|id)\}")


@dataclass(frozen=True)
class SmsGatewayConfig:
    url: str
    body_template: str
    content_type: str = "application/json"
    auth_header: str = ""  # "Name: value"
    username: str = ""
    password: str = ""
    brandname: str = ""
    success_pattern: str = ""
    timeout: float = 15
    # Brand-name routes often take unaccented text only (and 160 characters a part, not 70).
    ascii_only: bool = False


def without_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def international(phone: str) -> str:
    """0912345678 → 84912345678, as most gateways want it."""
    digits = re.sub(r"\D", "", phone)
    return "84" + digits[1:] if digits.startswith("0") else digits


def render_body(config: SmsGatewayConfig, message: Outgoing) -> str:
    text = without_diacritics(message.text) if config.ascii_only else message.text
    values = {
        "phone": message.address,
        "phone84": international(message.address),
        "text": text,
        "brandname": config.brandname,
        "id": str(message.id),
    }
    if "json" in config.content_type:
        # Inside a JSON string: the escaped value without its quotes.
        def fill(match: re.Match[str]) -> str:
            return json.dumps(values[match.group(1)], ensure_ascii=False)[1:-1]
    else:

        def fill(match: re.Match[str]) -> str:
            return quote_plus(values[match.group(1)])

    return _PLACEHOLDER.sub(fill, config.body_template)


def send(config: SmsGatewayConfig, message: Outgoing) -> Delivered:
    headers = {"Content-Type": f"{config.content_type}; charset=utf-8"}
    if config.auth_header:
        name, _, value = config.auth_header.partition(":")
        headers[name.strip()] = value.strip()
    auth = (config.username, config.password) if config.username else None
    body = render_body(config, message).encode()
    started = time.monotonic()
    try:
        response = httpx.post(
            config.url, content=body, headers=headers, auth=auth, timeout=config.timeout
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"SMS gateway unreachable: {exc!r}") from exc
    answer = response.text[:300]
    if not response.is_success:
        raise DeliveryError(f"SMS gateway HTTP {response.status_code}: {answer}")
    if config.success_pattern and not re.search(config.success_pattern, response.text):
        raise DeliveryError(f"SMS gateway refused: {answer}")
    return Delivered(f"HTTP {response.status_code} in {time.monotonic() - started:.2f}s: {answer}")
