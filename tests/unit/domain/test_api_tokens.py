"""Results export tokens: what may be asked for, and when a token still works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.api_tokens import check_request, looks_like_token, state
from contest.domain.errors import InvalidInput

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_a_request_is_trimmed_normalised_and_its_scopes_ordered():
    req = check_request(
        "  Cổng  dữ liệu\u0301 ",
        ["rankings:read", "prizes:read"],
        [3, 1, 3],
        30,
        now=NOW,
        max_days=366,
    )
    assert req.name == "Cổng dữ liệú"
    assert req.scopes == ("prizes:read", "rankings:read")
    assert req.contest_ids == (1, 3)
    assert req.expires_at == NOW + timedelta(days=30)


@pytest.mark.parametrize(
    ("name", "scopes", "contests", "days", "fields"),
    [
        ("", ["prizes:read"], [1], 30, {"name"}),
        ("x" * 121, ["prizes:read"], [1], 30, {"name"}),
        ("Cổng", [], [1], 30, {"scopes"}),
        ("Cổng", ["results:write"], [1], 30, {"scopes"}),
        ("Cổng", ["prizes:read"], [], 30, {"contests"}),
        ("Cổng", ["prizes:read"], [1], 0, {"days"}),
        ("Cổng", ["prizes:read"], [1], 367, {"days"}),
        ("", [], [], 0, {"name", "scopes", "contests", "days"}),
    ],
)
def test_every_problem_is_named_by_its_field(name, scopes, contests, days, fields):
    with pytest.raises(InvalidInput) as caught:
        check_request(name, scopes, contests, days, now=NOW, max_days=366)
    assert set(caught.value.by_field()) == fields
    assert all(e.message_vi and e.message_en for e in caught.value.errors)


@pytest.mark.parametrize(
    ("revoked", "expires", "expected"),
    [
        (None, NOW + timedelta(seconds=1), "active"),
        (None, NOW, "expired"),
        (NOW - timedelta(days=1), NOW + timedelta(days=1), "revoked"),
        (NOW - timedelta(days=1), NOW - timedelta(days=2), "revoked"),
    ],
)
def test_a_token_works_until_it_expires_or_is_revoked(revoked, expires, expected):
    assert state(revoked, expires, NOW) == expected


def test_only_our_token_shape_is_looked_up():
    assert looks_like_token("ct_" + "a" * 43)
    assert not looks_like_token("a" * 46)
    assert not looks_like_token("ct_short")
    assert not looks_like_token("ct_" + "é" * 30)
