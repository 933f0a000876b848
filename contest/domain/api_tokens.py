"""Results export tokens: what a token may be given (scopes, contests, lifetime) and when it
still works. Pure: the secret itself is made and hashed by the service."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from contest.domain.errors import ContestError, InvalidInput

PREFIX = "ct_"
# What a token may read, each read-only; an administrator gives one or both.
SCOPES: dict[str, tuple[str, str]] = {
    "prizes:read": (
        "Danh sách giải đã duyệt, họ tên đầy đủ, như tệp xuất của Ban Tổ chức",
        "Approved prize lists with full names, as the committee's export",
    ),
    "rankings:read": (
        "Bảng xếp hạng từng đợt thi, như tệp xuất của Ban Tổ chức",
        "Round rankings, as the committee's export",
    ),
}
NAME_MAX = 120
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class TokenRequest:
    name: str
    scopes: tuple[str, ...]
    contest_ids: tuple[int, ...]
    expires_at: datetime


def check_request(
    name: str,
    scopes: list[str] | tuple[str, ...],
    contest_ids: list[int] | tuple[int, ...],
    days: int,
    *,
    now: datetime,
    max_days: int,
) -> TokenRequest:
    """Trim and check what an administrator asked for; every problem at once, by field."""
    errors = []
    clean = " ".join(unicodedata.normalize("NFC", name or "").split())
    if not clean:
        errors.append(
            ContestError(
                "Hãy đặt tên cho mã truy cập (hệ thống nào dùng nó).",
                "Give the token a name (which system uses it).",
                field="name",
            )
        )
    elif len(clean) > NAME_MAX:
        errors.append(
            ContestError(
                f"Tên dài quá {NAME_MAX} ký tự.",
                f"The name is longer than {NAME_MAX} characters.",
                field="name",
            )
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        errors.append(
            ContestError(
                f"Quyền không có: {', '.join(unknown)}.",
                f"No such scope: {', '.join(unknown)}.",
                field="scopes",
            )
        )
    elif not scopes:
        errors.append(
            ContestError(
                "Chọn ít nhất một quyền đọc.", "Choose at least one scope.", field="scopes"
            )
        )
    if not contest_ids:
        errors.append(
            ContestError(
                "Chọn ít nhất một cuộc thi.", "Choose at least one contest.", field="contests"
            )
        )
    if not 1 <= days <= max_days:
        errors.append(
            ContestError(
                f"Thời hạn phải từ 1 đến {max_days} ngày.",
                f"The lifetime must be 1 to {max_days} days.",
                field="days",
            )
        )
    if errors:
        raise InvalidInput(errors)
    return TokenRequest(
        clean,
        tuple(s for s in SCOPES if s in scopes),
        tuple(sorted(set(contest_ids))),
        now + timedelta(days=days),
    )


def state(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    """active | expired | revoked (a revoked token stays revoked after its expiry too)."""
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "active"


def looks_like_token(raw: str) -> bool:
    return raw.startswith(PREFIX) and 20 <= len(raw) <= 100 and raw.isascii()
