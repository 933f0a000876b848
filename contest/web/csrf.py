"""CSRF tokens bound to the session (or an anonymous cookie), checked on every unsafe request.

A token is HMAC(secret, binding): cheap to make and check, nothing stored server-side.
Forms send it in a hidden field, HTMX in the X-CSRF-Token header set on <body>.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from fastapi import Request

from contest.config import get_settings

SESSION_COOKIE = "contest_session"
ANON_COOKIE = "contest_anon"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FIELDS = 400  # the no-JavaScript attempt form sends one field per chosen option
MAX_FILES = 20


class CsrfRefused(Exception):
    def __init__(self, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_en = reason_en


def _token_for(binding: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    digest = hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def binding_for(request: Request) -> str:
    """The value a token is bound to; creates an anonymous binding the response will set."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return "s:" + session
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon", None)
    if not anon:
        anon = secrets.token_urlsafe(24)
        request.state.new_anon = anon
    return "a:" + anon


def token(request: Request) -> str:
    return _token_for(binding_for(request))


def same_origin(request: Request) -> bool:
    return origin_allowed(request.headers)


def origin_allowed(headers: Mapping[str, str]) -> bool:
    """Same-origin by the request's headers (lower-case names), as `same_origin` decides."""
    site = headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin == "null":
        # An opaque origin (a sandboxed frame, a data: page, a cross-site redirect): not ours.
        return False
    if origin:
        return urlsplit(origin).netloc == headers.get("host", urlsplit(origin).netloc)
    return True


async def verify(request: Request) -> None:
    if request.method not in UNSAFE:
        return
    if not same_origin(request):
        raise CsrfRefused("cross-site request")
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # Starlette's 1 MB limit per text field stands; file parts are bounded by the body
            # size limit in front of the app (contest/web/limits.py).
            form = await request.form(max_fields=MAX_FIELDS, max_files=MAX_FILES)
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not sent:
        raise CsrfRefused("missing token")
    # Signed in, only the session binding counts: a token bound to an anonymous cookie that
    # someone else could have planted must not act for the session.
    if request.cookies.get(SESSION_COOKIE):
        binding = "s:" + request.cookies[SESSION_COOKIE]
    elif request.cookies.get(ANON_COOKIE):
        binding = "a:" + request.cookies[ANON_COOKIE]
    else:
        raise CsrfRefused("no cookie to bind the token to")
    if not token_matches(sent, binding):
        raise CsrfRefused("invalid token")


def token_for_session(session_token: str) -> str:
    """The token the pages of this session carry (what `token` gives a signed-in request)."""
    return _token_for("s:" + session_token)


def token_matches(sent: str, binding: str) -> bool:
    # A header is read as latin-1; compare_digest raises on non-ASCII text, and no page sends it.
    return sent.isascii() and hmac.compare_digest(sent, _token_for(binding))
