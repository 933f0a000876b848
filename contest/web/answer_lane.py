"""The answer save, served ahead of everything else when it can be: the request a contest day
makes most (every choice on every phone) and the one whose latency people feel.

The lane is the outermost layer, so a save it serves runs only what a save needs. A save from the
attempt page's script that carries the session cookie and a valid X-CSRF-Token header, from the
same origin, is parsed here from the raw headers and body and offered to the fast path: on
PostgreSQL the process's group commit (`services.save_batches`: the saves that arrive together
are written in one statement and one commit, each answered after that commit), elsewhere
`taking.try_fast_save` (one self-committing statement). Anything else (no ticket yet, a refusal
to explain, a form post, a large body, a save the fast path did not apply) goes on unchanged to
the application behind, with the body read here handed on: the routed endpoint does the full
checks and answers every error. What a served save answers is what the routed endpoint answers
(the same partial, headers and security headers); the lane also gives it the request id, the
operator metrics and the live counters that `observability.Observed` gives the others.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import re
import secrets
import time
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contest import clock, metrics
from contest.config import get_settings
from contest.domain import attempts
from contest.domain.errors import ContestError
from contest.services import admission, live, save_batches, taking
from contest.services.sessions import TOKEN_MAX as SESSION_TOKEN_MAX
from contest.web import csrf
from contest.web.deps import get_db
from contest.web.i18n import catalog, pick_language
from contest.web.numbers import ascii_int
from contest.web.observability import access, incoming_id

SAVE_PATH = re.compile(r"/attempts/([0-9]{1,18})/answers/([0-9]{1,4})")
MAX_BODY = 4096  # a save is a few dozen bytes: q3=1&page=1732345678901&seq=7
_WANTED = frozenset(
    (b"cookie", b"x-csrf-token", b"content-length", b"content-type", b"origin", b"host")
    + (b"sec-fetch-site",)
)
_SESSION = csrf.SESSION_COOKIE + "="
_LANG = "lang="
log = logging.getLogger("contest.saves")


class AnswerSaveLane:
    def __init__(self, app: ASGIApp, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.app = app
        # Sent with every save it answers: the headers the layers behind it add to a response.
        self.extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        self._conninfo: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/attempts/")
        ):
            await self.app(scope, receive, send)
            return
        match = SAVE_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _WANTED
        }
        token, lang = _cookies(headers.get("cookie", ""))
        sent = headers.get(csrf.HEADER)
        length = headers.get("content-length", "")
        usable = (
            token
            and sent
            and length.isdigit()
            and int(length) <= MAX_BODY
            and headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
            and csrf.origin_allowed(headers)
            and _csrf_matches(sent, token)
        )
        if not usable or token is None:
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        attempt_id, position = int(match.group(1)), int(match.group(2))
        result = None
        try:
            form = None if more else _fast_form(body, position)
            if form is not None:
                shown, order = form
                result = await self._save(scope, token, attempt_id, position, shown, order)
                # Saves go first: a slow save makes this process let fewer starts through.
                admission.note_save((time.perf_counter() - started) * 1000)
        except Exception:
            # Nothing was acknowledged: the routed endpoint (behind the app's own error
            # handling) serves the save or explains, as for any save the lane does not serve.
            log.exception("answer lane: a save goes to the routed endpoint after an error")
            result = None
        if result is None:
            await self.app(scope, _replaying(body, more, receive), send)
            return
        await self._answer(scope, send, result, lang, started)

    async def _save(
        self, scope: Scope, token: str, attempt_id: int, position: int, shown: list[int], order: int
    ) -> taking.SaveResult | None:
        provider = scope["app"].dependency_overrides.get(get_db, get_db)
        conninfo = self._postgresql() if provider is get_db else None
        if conninfo is None:
            return await with_session(
                provider, taking.try_fast_save, token, attempt_id, position, shown, order
            )
        save = taking.fast_save(token, attempt_id, position, shown, order, clock.now())
        if save is None:
            return None
        return await save_batches.batcher(conninfo).save(save)

    def _postgresql(self) -> str | None:
        """The database's libpq address when the app's own engine is PostgreSQL, else None."""
        if self._conninfo is None:
            from contest.db import get_engine

            engine = get_engine()
            self._conninfo = (
                save_batches.conninfo_of(engine.url) if engine.dialect.name == "postgresql" else ""
            )
        return self._conninfo or None

    async def _answer(
        self, scope: Scope, send: Send, result: taking.SaveResult, lang: str | None, started: float
    ) -> None:
        """The routed endpoint's answer to an applied save (`routers.taking.saved_response`)."""
        body = _saved_text(pick_language(lang, get_settings().default_language), result)
        rid = incoming_id(scope) or secrets.token_hex(8)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-remaining", str(result.remaining_seconds).encode()),
                    *self.extra,
                    (b"x-request-id", rid.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        elapsed = time.perf_counter() - started
        metrics.observe_request("save", 200, elapsed)
        live.count_request(200)
        if access.isEnabledFor(logging.INFO):
            access.info(
                "%s %s %s",
                "POST",
                scope["path"],
                200,
                extra={
                    "method": "POST",
                    "path": scope["path"],
                    "status": 200,
                    "kind": "save",
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("-",))[0],
                    "request_id": rid,
                },
            )


_csrf_seen: dict[str, str] = {}
_CSRF_SEEN_MAX = 50_000  # a few MB; cleared wholesale when full


def _csrf_matches(sent: str, token: str) -> bool:
    """`csrf.token_matches` for the session's binding, the HMAC worked out once per session
    (an attempt's saves all carry the same token) rather than once per save."""
    if len(token) > SESSION_TOKEN_MAX or not sent.isascii():
        # A cookie no session could have (kept out of the cache, whose size is counted in
        # entries, not bytes) or a token no page could carry (compare_digest refuses non-ASCII).
        return False
    expected = _csrf_seen.get(token)
    if expected is None:
        if len(_csrf_seen) >= _CSRF_SEEN_MAX:
            _csrf_seen.clear()
        expected = _csrf_seen[token] = csrf.token_for_session(token)
    return hmac.compare_digest(sent, expected)


def _cookies(header: str) -> tuple[str | None, str | None]:
    """The session token and the language from a Cookie header (Starlette's cookie parsing,
    reduced to the two names a save needs)."""
    token = lang = None
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(_SESSION):
            token = part[len(_SESSION) :].strip()
        elif part.startswith(_LANG):
            lang = part[len(_LANG) :].strip()
    return token or None, lang


_texts: dict[tuple[str, int], bytes] = {}


def _saved_text(lang: str, result: taking.SaveResult) -> bytes:
    """The save-state partial for an applied save: the same for everyone in a language for a
    minute (it shows the local time to the minute, `templating.format_datetime`; local zones are
    whole minutes from UTC), so it is rendered once per minute and language."""
    from contest.web.templating import env

    key = (lang, int(result.saved_at.timestamp()) // 60)
    text = _texts.get(key)
    if text is None:
        if len(_texts) > 64:
            _texts.clear()
        text = (
            env.get_template("taking/_save_state.html")
            .render(
                _=catalog(lang).gettext,
                saved_at=result.saved_at,
                position=result.position,
                applied=True,
                stored=[],
            )
            .encode()
        )
        _texts[key] = text
    return text


def _fast_form(body: bytes, position: int) -> tuple[list[int], int] | None:
    """The choice and the server-decided order of a save as the page's script sends it, or None
    for anything else (too many fields, a value that is not plain digits, no page number): the
    routed endpoint then answers it, with a clear 400 where it is malformed."""
    form = _plain_form(body, position)
    if form is None:
        try:
            form = parse_qs(
                body.decode("utf-8", "replace"), max_num_fields=40, strict_parsing=False
            )
        except ValueError:
            return None
    shown = [ascii_int(v, 99) for v in form.get(f"q{position}", [])]
    page = ascii_int((form.get("page") or [""])[0])
    seq = ascii_int((form.get("seq") or [""])[0], attempts.MAX_SEQ)
    if page is None or seq is None or None in shown:
        return None
    try:
        order = attempts.save_order(page, seq, clock.now())
    except ContestError:
        return None
    return [i for i in shown if i is not None], order


def _plain_form(body: bytes, position: int) -> dict[str, list[str]] | None:
    """What parse_qs gives for the body the page's script sends for one choice,
    `q<position>=<digits>&page=<digits>&seq=<digits>`, read without it; None for any other."""
    parts = body.split(b"&")
    if len(parts) != 3:
        return None
    choice, page, seq = parts
    name = b"q%d=" % position
    if not (choice.startswith(name) and page.startswith(b"page=") and seq.startswith(b"seq=")):
        return None
    values = (choice[len(name) :], page[5:], seq[4:])
    if not all(v.isdigit() for v in values):  # ASCII digits only (bytes.isdigit)
        return None
    return {
        f"q{position}": [values[0].decode()],
        "page": [values[1].decode()],
        "seq": [values[2].decode()],
    }


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, up to MAX_BODY; `more` is True when the client sent more than it announced."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > MAX_BODY:
            return b"".join(chunks), True


def _replaying(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives the routed endpoint the bytes already read, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


async def with_session(provider, fn, *args):
    """Call fn(db, *args) on a worker thread with a session from the app's own provider (the
    same one, or the same override, the routed endpoints get)."""
    sessions = provider()
    if inspect.isasyncgen(sessions):
        db = await sessions.__anext__()
        try:
            return await anyio.to_thread.run_sync(fn, db, *args)
        finally:
            await sessions.aclose()
    db = next(sessions)
    try:
        return await anyio.to_thread.run_sync(fn, db, *args)
    finally:
        sessions.close()
