"""Results export tokens: made and revoked by administrators (page and CLI), used by a province
system to pull approved results (staff API). Every creation, revocation, use and refusal of a
known token is audited; the secret is shown once and only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.db import transaction, transactional
from contest.domain import api_tokens as rules
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.models import ApiToken, ApiTokenContest, Contest
from contest.repositories import api_tokens as token_rows
from contest.repositories import contests as contest_rows
from contest.services import audit
from contest.services.context import Actor

SCOPES = rules.SCOPES
DEFAULT_DAYS = rules.DEFAULT_DAYS


class TokenRefused(ContestError):
    """The staff API refuses the request; `reason` says why (the web layer picks 401 or 403)."""

    UNAUTHENTICATED = ("missing", "invalid", "expired", "revoked")

    def __init__(self, reason: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi, message_en)
        self.reason = reason

    @property
    def status(self) -> int:
        return 401 if self.reason in self.UNAUTHENTICATED else 403


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: ApiToken
    secret: str  # shown once; nowhere stored


@transactional
def create(
    db: Session,
    actor: Actor,
    *,
    name: str,
    contest_slugs: list[str],
    scopes: list[str],
    days: int = DEFAULT_DAYS,
) -> Created:
    found = {
        s: contest_rows.by_slug(db, s) for s in dict.fromkeys(x.strip() for x in contest_slugs)
    }
    unknown = [slug for slug, c in found.items() if c is None]
    if unknown:
        raise InvalidInput(
            [
                ContestError(
                    f"Không có cuộc thi: {', '.join(unknown)}.",
                    f"No such contest: {', '.join(unknown)}.",
                    field="contests",
                )
            ]
        )
    request = rules.check_request(
        name,
        scopes,
        [c.id for c in found.values() if c is not None],
        days,
        now=clock.now(),
        max_days=get_settings().api_token_max_days,
    )
    secret = rules.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=request.name,
        token_hash=_hash(secret),
        prefix=secret[:7],
        scopes=list(request.scopes),
        created_at=clock.now(),
        created_by=actor.audit_name,
        expires_at=request.expires_at,
        use_count=0,
    )
    token.contest_rows = [ApiTokenContest(contest_id=i) for i in request.contest_ids]
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor,
        "api_token.create",
        "api_token",
        token.id,
        {
            "name": token.name,
            "scopes": token.scopes,
            "contests": sorted(found),
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return Created(token, secret)


def get(db: Session, token_id: int) -> ApiToken:
    token = token_rows.token(db, token_id)
    if token is None:
        raise NotFound("Không có mã truy cập này.", "There is no such token.")
    return token


@transactional
def revoke(db: Session, actor: Actor, token_id: int, reason: str = "") -> ApiToken:
    token = get(db, token_id)
    if token.revoked_at is not None:
        raise ContestError(
            "Mã truy cập này đã bị thu hồi.", "This token is already revoked.", field="token"
        )
    token.revoked_at = clock.now()
    token.revoked_by = actor.audit_name
    token.revoked_reason = " ".join(reason.split())[:500] or None
    audit.record(
        db,
        actor,
        "api_token.revoke",
        "api_token",
        token.id,
        {"name": token.name, "reason": token.revoked_reason or ""},
    )
    return token


def state(token: ApiToken) -> str:
    return rules.state(token.revoked_at, token.expires_at, clock.now())


@dataclass(frozen=True)
class TokenView:
    token: ApiToken
    state: str  # active | expired | revoked
    contests: tuple[str, ...]  # slugs


def list_tokens(db: Session) -> list[TokenView]:
    slugs = {c.id: c.slug for c in contest_rows.all_contests(db)}
    return [
        TokenView(
            t,
            state(t),
            tuple(sorted(slugs[i] for i in t.contest_ids if i in slugs)),
        )
        for t in token_rows.all_tokens(db)
    ]


def contest_slugs(db: Session, token: ApiToken) -> list[str]:
    slugs = {c.id: c.slug for c in contest_rows.all_contests(db)}
    return sorted(slugs[i] for i in token.contest_ids if i in slugs)


# --- use --------------------------------------------------------------------------------------


def _refusal(token: ApiToken, contest: Contest | None, scope: str | None) -> TokenRefused | None:
    now_state = state(token)
    if now_state == "revoked":
        return TokenRefused("revoked", "Mã truy cập đã bị thu hồi.", "The token has been revoked.")
    if now_state == "expired":
        return TokenRefused("expired", "Mã truy cập đã hết hạn.", "The token has expired.")
    if scope is not None and scope not in token.scopes:
        return TokenRefused(
            "scope",
            f"Mã truy cập không có quyền {scope}.",
            f"The token does not have the scope {scope}.",
        )
    if contest is not None and contest.id not in token.contest_ids:
        return TokenRefused(
            "contest",
            "Mã truy cập không được cấp cho cuộc thi này.",
            "The token was not issued for this contest.",
        )
    return None


def authenticate(db: Session, raw: str | None) -> ApiToken:
    """The token behind a bearer secret, whatever its state; TokenRefused when none is."""
    if not raw:
        return _missing()
    token = token_rows.by_hash(db, _hash(raw)) if rules.looks_like_token(raw) else None
    if token is None:
        raise TokenRefused("invalid", "Mã truy cập không đúng.", "The token is not valid.")
    return token


def _missing() -> ApiToken:
    raise TokenRefused(
        "missing",
        "Cần mã truy cập: gửi tiêu đề Authorization: Bearer <mã>.",
        "A token is needed: send the header Authorization: Bearer <token>.",
    )


def use(
    db: Session,
    raw: str | None,
    ip: str,
    *,
    contest: Contest | None = None,
    scope: str | None = None,
    what: str = "",
    details: dict | None = None,
) -> ApiToken:
    """Check the token for this read and record it: last use on the token, and an audit entry
    for the use or for the refusal (a refused known token is worth a look)."""
    token = authenticate(db, raw)
    refused = _refusal(token, contest, scope)
    actor = Actor("api_token", token.id, token.name, ip=ip)
    facts = {"what": what, "contest": contest.slug if contest else None, **(details or {})}
    with transaction(db):
        if refused is not None:
            audit.record(
                db,
                actor,
                "api_token.refused",
                "api_token",
                token.id,
                {**facts, "reason": refused.reason},
            )
        else:
            token.last_used_at = clock.now()
            token.last_used_ip = ip[:64]
            token.use_count = (token.use_count or 0) + 1
            audit.record(db, actor, "api_token.use", "api_token", token.id, facts)
    if refused is not None:
        raise refused
    return token
