"""Server-side sessions: create on sign-in, resolve per request, end by the user or an admin."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.db import transactional, writes_ahead
from contest.domain.errors import NotFound
from contest.models import Participant, StaffUser, WebSession
from contest.repositories import accounts as account_rows
from contest.services import audit
from contest.services.context import Actor

TOUCH_EVERY = timedelta(minutes=5)
# The longest cookie a session can have (tokens are 43 characters); a longer one is refused unread.
TOKEN_MAX = 100


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open_session(
    db: Session,
    *,
    staff_user_id: int | None = None,
    participant_id: int | None = None,
    ip: str = "",
    user_agent: str = "",
    device: str = "",
) -> str:
    """Add a session row to the caller's transaction and return the raw cookie token."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    db.add(
        WebSession(
            token_hash=token_hash(raw),
            staff_user_id=staff_user_id,
            participant_id=participant_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=get_settings().session_days),
            ip=ip[:64],
            user_agent=user_agent[:300],
            device=device[:40],
        )
    )
    return raw


@dataclass
class Principal:
    session: WebSession
    staff: StaffUser | None = None
    participant: Participant | None = None

    @property
    def roles(self) -> frozenset[str]:
        return self.staff.roles if self.staff else frozenset()

    def actor(self, ip: str) -> Actor:
        if self.staff:
            return Actor("staff", self.staff.id, self.staff.username, ip)
        assert self.participant is not None
        return Actor("participant", self.participant.id, "", ip)


# Built once: every request of a signed-in person runs it (its cache key is computed once too).
_RESOLVE = (
    select(WebSession, Participant)
    .outerjoin(Participant, Participant.id == WebSession.participant_id)
    .where(WebSession.token_hash == bindparam("token_hash"))
)


@transactional
def resolve(db: Session, raw: str | None) -> Principal | None:
    """The live session behind a cookie, or None. Touches last_seen at most every 5 minutes.

    Its transaction ends here even when it only read, so the connection goes back to the pool
    before the endpoint waits for a worker thread (the loaded principal stays usable).
    """
    return _resolved(db, raw)[0]


def resolve_in_request(db: Session, raw: str | None) -> Principal | None:
    """`resolve` for a request that does all its work in the same worker thread: the lookup stays
    in the request's transaction (no COMMIT and BEGIN between it and the work). A touch of
    last_seen is committed at once, as a page that only reads never commits."""
    principal, touched = _resolved(db, raw)
    if touched:
        db.commit()
    return principal


@dataclass(frozen=True)
class SignedInSession:
    """The session of a participant page of a start, as a plain row: its id alone."""

    id: int


@dataclass(frozen=True)
class SignedInParticipant:
    """The participant of a page of a start (lobby, Start, attempt page): what those pages and
    the layout use (who, which contest, the name in the header), read as a plain row instead of
    an ORM object of 17 columns. Any other attribute is an AttributeError, never a silent None."""

    id: int
    contest_id: int
    full_name: str


_WS = WebSession.__table__.c
_PT = Participant.__table__.c
# Built once, on the tables' columns (no ORM entity to load): the start's three pages run it.
_RESOLVE_PARTICIPANT = (
    select(
        _WS.id,
        _WS.participant_id,
        _WS.ended_at,
        _WS.expires_at,
        _WS.last_seen_at,
        _PT.contest_id,
        _PT.full_name,
    )
    .select_from(
        WebSession.__table__.outerjoin(Participant.__table__, _PT.id == _WS.participant_id)
    )
    .where(_WS.token_hash == bindparam("token_hash"))
)


def resolve_participant_in_request(db: Session, raw: str | None) -> Principal | None:
    """`resolve_in_request` for the pages of a start, which only a participant uses: the same
    checks (ended, expired, the owner's row, last_seen touched at most every 5 minutes and
    committed at once) on a plain row of the seven columns they need. A staff member's session
    takes the full lookup, so their pages say who they are as everywhere else."""
    if not raw or len(raw) > TOKEN_MAX:
        return None
    row = db.execute(_RESOLVE_PARTICIPANT, {"token_hash": token_hash(raw)}).one_or_none()
    now = clock.now()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if row.participant_id is None or row.contest_id is None:
        # A staff session (or one whose participant is gone): the lookup every page makes.
        return resolve_in_request(db, raw)
    principal = Principal(
        session=cast(WebSession, SignedInSession(row.id)),
        participant=cast(
            Participant, SignedInParticipant(row.participant_id, row.contest_id, row.full_name)
        ),
    )
    if now - row.last_seen_at > TOUCH_EVERY:
        writes_ahead(db)
        db.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
        db.commit()
    return principal


def _resolved(db: Session, raw: str | None) -> tuple[Principal | None, bool]:
    """The principal, and whether last_seen was touched (a write the caller must commit)."""
    if not raw or len(raw) > TOKEN_MAX:
        return None, False
    # One statement for the common case (a participant): the session joined to its owner.
    row = db.execute(_RESOLVE, {"token_hash": token_hash(raw)}).one_or_none()
    now = clock.now()
    if row is None:
        return None, False
    ws, participant = row
    if ws.ended_at is not None or ws.expires_at <= now:
        return None, False
    principal = Principal(session=ws)
    if ws.staff_user_id is not None:
        principal.staff = db.get(StaffUser, ws.staff_user_id)
        if principal.staff is None or not principal.staff.is_active:
            return None, False
    else:
        principal.participant = participant
        if principal.participant is None:
            return None, False
    if now - ws.last_seen_at > TOUCH_EVERY:
        writes_ahead(db)
        db.execute(update(WebSession).where(WebSession.id == ws.id).values(last_seen_at=now))
        return principal, True
    return principal, False


def _ending() -> dict:
    """The columns that end a session. It also expires then, so that the indexed `expires_at`
    alone says which sessions stopped since a moment, however they stopped (the waiting room
    asks: repositories/admission.sessions_ended_in_queue). Every way of ending a session is here."""
    now = clock.now()
    return {"ended_at": now, "expires_at": now}


def _end(ws: WebSession) -> None:
    for column, value in _ending().items():
        setattr(ws, column, value)


def sign_out(db: Session, principal: Principal, ip: str) -> None:
    _end(principal.session)
    audit.record(db, principal.actor(ip), "session.sign_out", "session", principal.session.id)
    db.commit()


def end_session(db: Session, actor: Actor, session_id: int) -> None:
    ws = db.get(WebSession, session_id)
    if ws is None:
        raise NotFound("Không tìm thấy phiên đăng nhập.", "Session not found.")
    if ws.ended_at is None:
        _end(ws)
        audit.record(
            db,
            actor,
            "session.end",
            "session",
            session_id,
            {"staff_user_id": ws.staff_user_id, "participant_id": ws.participant_id},
        )
    db.commit()


def end_sessions_of(
    db: Session,
    *,
    staff_user_id: int | None = None,
    participant_id: int | None = None,
    keep_session_id: int | None = None,
) -> int:
    """End one person's live sessions in the caller's transaction, except `keep_session_id`
    (the browser that changed the password). Returns how many ended."""
    if (staff_user_id is None) == (participant_id is None):
        raise ValueError("one of staff_user_id and participant_id")
    owner = (
        WebSession.staff_user_id == staff_user_id
        if staff_user_id is not None
        else WebSession.participant_id == participant_id
    )
    statement = update(WebSession).where(owner, WebSession.ended_at.is_(None))
    if keep_session_id is not None:
        statement = statement.where(WebSession.id != keep_session_id)
    result = db.execute(statement.values(**_ending()).execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) or 0


def end_all_for_staff(db: Session, actor: Actor, staff_user_id: int) -> int:
    result = db.execute(
        update(WebSession)
        .where(WebSession.staff_user_id == staff_user_id, WebSession.ended_at.is_(None))
        .values(**_ending())
    )
    audit.record(
        db, actor, "session.end_all", "staff_user", staff_user_id, {"ended": result.rowcount}
    )
    db.commit()
    return result.rowcount or 0


def live_sessions(db: Session, limit: int = 200) -> list[WebSession]:
    now = clock.now()
    return list(
        db.execute(
            select(WebSession)
            .where(WebSession.ended_at.is_(None), WebSession.expires_at > now)
            .order_by(WebSession.last_seen_at.desc())
            .limit(limit)
        ).scalars()
    )


def get_session(db: Session, session_id: int) -> WebSession:
    ws = account_rows.web_session(db, session_id)
    if ws is None:
        raise NotFound("Không tìm thấy phiên đăng nhập.", "Session not found.")
    return ws
