"""Reading results export tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest.models import ApiToken


def by_hash(db: Session, token_hash: str) -> ApiToken | None:
    return db.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash)
    ).scalar_one_or_none()


def all_tokens(db: Session) -> list[ApiToken]:
    """Newest first."""
    return list(db.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())


def token(db: Session, token_id: int) -> ApiToken | None:
    return db.get(ApiToken, token_id)
