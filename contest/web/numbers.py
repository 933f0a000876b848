"""Whole numbers from forms, query strings and paths: ASCII digits only, within a bound.

`str.isdigit()` accepts '²' and other Unicode digits that `int()` then refuses, and an id of
twenty digits overflows the database's BIGINT: both used to answer 500. These answer 400 with
the field named in both languages.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from contest.domain.errors import ContestError, NotFound

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_ID = (1 << 63) - 1  # BIGINT


def ascii_int(raw: object, max_value: int = MAX_ID) -> int | None:
    """The number written in `raw`, or None when it is not 1–19 ASCII digits up to max_value."""
    text = str(raw).strip() if raw is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= max_value else None


def whole_number(raw: object, field: str, max_value: int = MAX_ID) -> int:
    value = ascii_int(raw, max_value)
    if value is None:
        raise ContestError(
            f"Trường '{field}' phải là số nguyên từ 0 đến {max_value} (chữ số 0–9).",
            f"The field '{field}' must be a whole number from 0 to {max_value} (digits 0–9).",
            field=field,
        )
    return value


async def ids_in_range(request: Request) -> None:
    """A path id longer than any stored one (twenty digits, or past BIGINT) names nothing: 404,
    before it reaches the database, which would refuse the number itself. async: a pure check
    on every request needs no worker thread of its own."""
    for value in request.path_params.values():
        text = str(value)
        if _LONG_DIGITS.fullmatch(text) and int(text) > MAX_ID:
            raise NotFound("Không tìm thấy.", "Not found.")


_LONG_DIGITS = re.compile(r"[0-9]{19,}")
