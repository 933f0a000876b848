"""The FastAPI application factory: routers, static files, error pages, security headers."""

from __future__ import annotations

import gc
import os
from contextlib import asynccontextmanager
from functools import partial
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from contest import __version__, metrics, queue
from contest import db as database
from contest.config import get_settings
from contest.domain.errors import ContestError, NotFound, PermissionDenied
from contest.services import save_batches
from contest.services.ratelimit import RateLimited
from contest.web import csrf, numbers
from contest.web.answer_lane import AnswerSaveLane
from contest.web.api import docs as api_docs
from contest.web.api import errors as api_errors
from contest.web.deps import Forbidden, NotSignedIn, is_htmx
from contest.web.gate import PagesAfterSaves
from contest.web.limits import BodySizeLimit
from contest.web.observability import Observed
from contest.web.routers import (
    account,
    admin,
    auth,
    claims,
    committee,
    helpdesk,
    messages,
    oidc,
    ops,
    organiser,
    outbox,
    participant,
    pictures,
    plans,
    public,
    resets,
    results_public,
    signals,
    taking,
)
from contest.web.routers import api_tokens as api_token_pages
from contest.web.routers import certificates as certificate_pages
from contest.web.routers import jobs as job_pages
from contest.web.routers import works as works_pages
from contest.web.routers.public import safe_next
from contest.web.start_lane import StartLane
from contest.web.static import STATIC_DIR, CachedStaticFiles, static_url
from contest.web.templating import env, render
from contest.web.unavailable import DatabaseUnavailable
from contest.web.wait_lane import WaitingRoomLane

# Matched in this order: the taking routes (answer saves above all) come first, so the hottest
# requests are not compared with every other route before they find their own.
ROUTERS = (
    taking.router,
    ops.router,
    public.router,
    pictures.router,
    auth.router,
    oidc.router,
    claims.router,
    participant.router,
    account.router,
    resets.router,
    messages.router,
    admin.router,
    outbox.router,
    helpdesk.router,
    certificate_pages.router,
    job_pages.router,
    committee.router,
    results_public.router,
    organiser.router,
    plans.router,
    signals.router,
    works_pages.router,
    api_token_pages.router,
    *api_docs.ROUTERS,
    api_docs.router,
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


class SecurityHeaders:
    """Adds the security headers a response lacks. Plain ASGI: @app.middleware("http") ran
    every request through an extra task and body stream, a tenth of a save's CPU time."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_gc_tuned = False


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Per-process start-up. Housekeeping (sweeper, audit seal) runs in the job workers."""
    import anyio.to_thread

    from contest.services import live, ratelimit

    # Once, before any request: built by concurrent first requests, it raced (see ratelimit).
    ratelimit.start()
    # Sized with the connection pool (db_pool_size): more threads than connections would only queue on the pool.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().worker_threads
    # Everything loaded so far (modules, templates, the ORM's mappings) lives as long as the
    # process: keep it out of the collector's scans, and collect the young generation less
    # often. A full collection otherwise walks it all, a stall every few seconds under load.
    global _gc_tuned
    if not _gc_tuned:
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        _gc_tuned = True
    live.start_flusher(get_settings().live_flush_seconds)
    yield
    await save_batches.close()
    if get_settings().live_flush_seconds > 0:
        live.stop_flusher()
    metrics.process_exited(os.getpid())


class ContestApp(FastAPI):
    """The application, with the answer lane ahead of FastAPI's and Starlette's own layers
    (telemetry, body limit, error pages): a save it serves runs only what a save needs; every
    other request, and every save it does not serve, goes through them as before."""

    answer_lane: AnswerSaveLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.answer_lane is not None and scope["type"] == "http":
            scope["app"] = self  # as Starlette sets it: the lane reads the dependency overrides
            await self.answer_lane(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app() -> FastAPI:
    app = ContestApp(
        lifespan=lifespan,
        title="contest",
        version=__version__,
        dependencies=[Depends(numbers.ids_in_range), Depends(csrf.verify)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    env.globals["static_url"] = static_url
    queue.connect()
    # This process serves requests: its statements get the time limit (db_statement_timeout_seconds).
    database.serve_requests()
    # Innermost: the lobby, the Start button and the attempt page, served in front of the router
    # with the routed endpoints' own functions (web/start_lane.py).
    app.add_middleware(StartLane)
    # Then: pages run a few at a time per process, as many as the saves' latency allows.
    app.add_middleware(PagesAfterSaves)
    # The waiting page's asks for a ticket still waiting are answered from memory, before the router.
    app.add_middleware(WaitingRoomLane)
    # Level 6 (zlib's own default) rather than Starlette's 9: the 32 KB attempt page of every
    # start compresses in half the time for 2 % more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    # Wraps the routes and their form parsing: an oversized body is refused unread.
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().upload_max_bytes)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")

    # A database that is slow or gone: "the system is busy" (503), from the lanes and the routes.
    app.add_middleware(DatabaseUnavailable, refusal=_refusal)
    app.add_middleware(SecurityHeaders)
    # The request id and the timing cover everything the server does for a request.
    app.add_middleware(Observed)
    # Outermost, ahead of FastAPI's own layers (ContestApp): an answer save it can serve runs
    # nothing else (it gives the save its own request id, metrics and security headers);
    # everything else passes through it to the application.
    app.answer_lane = AnswerSaveLane(partial(FastAPI.__call__, app), headers=SECURITY_HEADERS)

    for router in ROUTERS:
        app.include_router(router)

    _install_error_handlers(app)
    return app


STAFF_AREAS = ("/admin", "/organiser", "/committee", "/jury")


def _back_link(request: Request) -> str:
    """Where a refused staff action returns to: the page the form was on (a same-site
    Referer), else the page the action belongs to."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.path and referer.netloc == request.url.netloc and referer.path != request.url.path:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "/admin")
    parts = request.url.path.strip("/").split("/")
    if parts[0] == "committee" and len(parts) > 1:
        return safe_next(f"/committee/{parts[1]}", "/admin")
    if parts[:2] == ["organiser", "contests"] and len(parts) > 2:
        return safe_next(f"/organiser/contests/{parts[2]}", "/admin")
    return f"/{parts[0]}" if parts[0] in ("organiser", "jury") else "/admin"


def _refusal(request: Request, status: int, message_vi: str, message_en: str) -> Response:
    """An error page. Signed-in staff in their own area see it inside the staff layout, with
    the reason and a way back to where they were, never a bare error page. The API answers JSON."""
    if api_errors.is_api(request):
        return api_errors.json_error(status, message_vi, message_en)
    principal = getattr(request.state, "principal", None)
    staff = principal is not None and principal.staff is not None
    if staff and request.url.path.startswith(STAFF_AREAS) and not is_htmx(request):
        return render(
            request,
            "admin/refused.html",
            {
                "status": status,
                "message_vi": message_vi,
                "message_en": message_en,
                "back": _back_link(request),
            },
            status_code=status,
        )
    return render(
        request,
        "error.html",
        {"status": status, "message_vi": message_vi, "message_en": message_en},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(api_errors.ApiError)
    async def api_refused(request: Request, exc: api_errors.ApiError):
        return api_errors.api_error_response(exc)

    @app.exception_handler(csrf.CsrfRefused)
    async def csrf_refused(request: Request, exc: csrf.CsrfRefused):
        metrics.refused("csrf")
        return _refusal(
            request,
            403,
            "Yêu cầu bị từ chối vì thiếu hoặc sai mã bảo vệ (CSRF). Hãy tải lại trang rồi thử lại.",
            "Request refused: the anti-forgery (CSRF) token is missing or wrong. Reload the page and try again.",
        )

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        metrics.refused("signed_out")
        if request.method == "GET":
            path = request.url.path
            query = {"next": path}
            if exc.audience == "staff":
                target = "/staff/login"
            elif path.startswith("/c/") and path.count("/") >= 3:
                target = f"/c/{path.split('/')[2]}/login"  # the contest's own sign-in page
                if request.cookies.get(csrf.SESSION_COOKIE):
                    # A cookie whose session is over (signed out elsewhere, ended by an
                    # administrator, expired): the sign-in page says so.
                    query["ended"] = "1"
            else:
                target = "/"
            url = f"{target}?{urlencode(query, safe='/', quote_via=quote)}"
            if is_htmx(request):
                # A page that asks by itself (the waiting room's place) would ignore a refusal
                # and go on showing what it had: the whole page goes to sign in instead.
                return Response(status_code=200, headers={"HX-Redirect": url})
            return RedirectResponse(url, status_code=303)
        return _refusal(
            request, 403, "Bạn cần đăng nhập để làm việc này.", "You need to sign in to do this."
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        metrics.refused("forbidden")
        return _refusal(
            request,
            403,
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account does not have the role needed for this.",
        )

    @app.exception_handler(PermissionDenied)
    async def permission_denied(request: Request, exc: PermissionDenied):
        metrics.refused("forbidden")
        # A service's refusal is a refusal like a missing role: 403, with the service's reason.
        return _refusal(request, 403, exc.message_vi, exc.message_en)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        metrics.refused("not_found")
        return _refusal(request, 404, exc.message_vi, exc.message_en)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited):
        metrics.refused("rate_limited")
        response = _refusal(request, 429, exc.message_vi, exc.message_en)
        response.headers["Retry-After"] = "60"
        return response

    @app.exception_handler(ContestError)
    async def contest_error(request: Request, exc: ContestError):
        metrics.refused("invalid")
        return _refusal(request, 400, exc.message_vi, exc.message_en)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        metrics.refused("not_found" if exc.status_code == 404 else "other")
        if exc.status_code == 404:
            return _refusal(request, 404, "Không tìm thấy trang.", "Page not found.")
        if exc.status_code == 405:
            return _refusal(request, 405, "Phương thức không được hỗ trợ.", "Method not allowed.")
        return _refusal(request, exc.status_code, str(exc.detail), str(exc.detail))

    # A number past what the database stores (a 20-digit id in a form or query string) names
    # nothing: the database driver refuses to bind it (SQLite) or to compare it (PostgreSQL).
    @app.exception_handler(OverflowError)
    async def number_too_large(request: Request, exc: Exception):
        metrics.refused("invalid")
        return _refusal(
            request,
            400,
            "Một số trong yêu cầu quá lớn.",
            "A number in the request is too large.",
        )

    @app.exception_handler(DataError)
    async def data_refused(request: Request, exc: DataError):
        if "too long" in str(exc.orig):  # PostgreSQL's varchar limits (SQLite keeps anything)
            return _refusal(
                request,
                400,
                "Một giá trị trong yêu cầu quá dài.",
                "A value in the request is too long.",
            )
        if "out of range" not in str(exc.orig):
            raise exc
        return await number_too_large(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        metrics.refused("invalid")
        names = [str(e["loc"][-1]) for e in exc.errors()]
        fields = ", ".join(names)
        if api_errors.is_api(request):
            return api_errors.json_error(
                422,
                f"Tham số không hợp lệ: {fields}.",
                f"A parameter is not valid: {fields}.",
                fields=names,
            )
        return _refusal(
            request,
            422,
            f"Dữ liệu gửi lên không hợp lệ: {fields}.",
            f"The data sent is not valid: {fields}.",
        )


app = create_app
