"""Request dependencies: database session, signed-in principal, roles, rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from contest import db as database
from contest.services import sessions
from contest.services.context import Actor
from contest.services.sessions import Principal
from contest.web import csrf


async def get_db() -> AsyncIterator[Session]:
    # Opened and closed on the event loop, not in a worker thread: a request waiting for a
    # thread must never hold a pooled connection that a running thread is waiting for, or
    # under load the thread pool and the connection pool deadlock each other.
    session = database.session_factory()()
    try:
        yield session
    finally:
        session.close()


def client_ip(request: Request) -> str:
    # Behind nginx the real address comes through uvicorn's --proxy-headers handling.
    return request.client.host if request.client else ""


def get_principal(request: Request, db: Session = Depends(get_db)) -> Principal | None:
    if not hasattr(request.state, "principal"):
        # resolve() ends its transaction, so the connection is back in the pool before the
        # endpoint waits for its own worker thread.
        request.state.principal = sessions.resolve(db, request.cookies.get(csrf.SESSION_COOKIE))
    return request.state.principal


class NotSignedIn(Exception):
    """Raised for a page that needs a sign-in; GET redirects, other methods get 403."""

    def __init__(self, audience: str) -> None:
        self.audience = audience


class Forbidden(Exception):
    """Signed in, but without the role this needs."""


def require_staff(*roles: str) -> Callable[..., Principal]:
    """Dependency: a signed-in staff member holding one of `roles` (any staff role if empty)."""

    # async: a pure check needs no worker thread of its own.
    async def dependency(principal: Principal | None = Depends(get_principal)) -> Principal:
        if principal is None or principal.staff is None:
            raise NotSignedIn("staff")
        if roles and not (principal.roles & set(roles)):
            raise Forbidden()
        return principal

    dependency.required_roles = roles or ("any-staff",)  # type: ignore[attr-defined]
    return dependency


async def require_participant(principal: Principal | None = Depends(get_principal)) -> Principal:
    if principal is None or principal.participant is None:
        raise NotSignedIn("participant")
    return principal


require_participant.required_roles = ("participant",)  # type: ignore[attr-defined]


def participant_of(request: Request, db: Session) -> Principal:
    """`require_participant` for an endpoint that does all its work in one worker thread (the
    pages of a start): the session is looked up in that thread, not in one of its own. The
    route depends on `participant_cookie`, so a request without the cookie never gets a thread.
    The lookup stays in the request's transaction."""
    principal = sessions.resolve_participant_in_request(
        db, request.cookies.get(csrf.SESSION_COOKIE)
    )
    request.state.principal = principal
    if principal is None or principal.participant is None:
        raise NotSignedIn("participant")
    return principal


async def participant_cookie(request: Request) -> str:
    """For the answer save only: the session cookie, checked by the service in the same SELECT
    that loads the attempt (one statement instead of a separate session lookup)."""
    raw = request.cookies.get(csrf.SESSION_COOKIE)
    if not raw:
        raise NotSignedIn("participant")
    return raw


participant_cookie.required_roles = ("participant",)  # type: ignore[attr-defined]


def actor_for(request: Request, principal: Principal) -> Actor:
    return principal.actor(client_ip(request))


def anonymous_actor(request: Request) -> Actor:
    return Actor("anonymous", ip=client_ip(request))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
