"""The public results page: participation figures counted by the database, cached for a minute."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from contest import clock
from contest.models import Attempt, Round, Unit
from contest.services import exports, results_cache
from tests.factories import make_contest, make_entrant, make_final_attempt, utc


def _attempt(db, round_, person, at, number=1):
    return make_final_attempt(
        db, round_, person, [], 0, number=number, start_offset=at - round_.opens_at
    )


def _table(html: str, caption: str) -> list[tuple[str, str]]:
    part = html.split(caption, 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", part)


def test_participation_by_unit_and_by_local_day(client, db):
    results_cache.clear()
    contest = make_contest(db, "ket-qua-cong-khai")
    round_ = db.execute(select(Round).where(Round.contest_id == contest.id)).scalars().first()
    a = make_entrant(db, contest, "Hoàng Văn Một")
    b = make_entrant(db, contest, "Hoàng Văn Hai")
    c = make_entrant(db, contest, "Hoàng Văn Ba", unit_code="LS-TD")
    make_entrant(db, contest, "Hoàng Văn Bốn")  # registered, never started
    _attempt(db, round_, a, utc(2026, 11, 20, 16, 30))  # 23:30 on 20/11 in Hà Nội
    _attempt(db, round_, b, utc(2026, 11, 20, 17, 30))  # 00:30 on 21/11
    _attempt(db, round_, c, utc(2026, 11, 21, 3, 0))
    _attempt(db, round_, a, utc(2026, 11, 21, 4, 0), number=2)

    started = db.execute(select(Attempt.started_at).where(Attempt.round_id == round_.id)).scalars()
    by_python = sorted(Counter(clock.to_local(s).date() for s in started).items())
    assert exports.participation_by_day(db, contest) == by_python

    page = client.get(f"/c/{contest.slug}/results").text
    assert _table(page, "Bảng: lượt thi theo ngày") == [("20/11", "1"), ("21/11", "3")]
    td = db.execute(
        select(Unit.name).where(Unit.contest_id == contest.id, Unit.code == "LS-TD")
    ).scalar_one()
    cl = db.execute(
        select(Unit.name).where(Unit.contest_id == contest.id, Unit.code == "LS-TP-CL")
    ).scalar_one()
    assert _table(page, "Bảng: người dự thi theo đơn vị") == [(cl, "3"), (td, "1")]
    assert re.search(r"4 người đã đăng ký\s*·\s*4 lượt thi", page)

    # Within the minute, a reload is served from memory: a new attempt shows only afterwards.
    _attempt(db, round_, c, utc(2026, 11, 21, 5, 0), number=2)
    assert _table(client.get(f"/c/{contest.slug}/results").text, "Bảng: lượt thi theo ngày")[
        -1
    ] == ("21/11", "3")
    results_cache.clear()
    assert _table(client.get(f"/c/{contest.slug}/results").text, "Bảng: lượt thi theo ngày")[
        -1
    ] == ("21/11", "4")


def test_the_cache_expires(monkeypatch):
    results_cache.clear()
    calls = []
    now = [1000.0]
    monkeypatch.setattr(results_cache.time, "monotonic", lambda: now[0])
    build = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert results_cache.get_or_build("k", 1, build) == 1
    now[0] += 59
    assert results_cache.get_or_build("k", 1, build) == 1
    now[0] += 2
    assert results_cache.get_or_build("k", 1, build) == 2
    results_cache.invalidate(1)
    assert results_cache.get_or_build("k", 1, build) == 3


def test_a_publication_on_another_host_refreshes_this_hosts_copy_through_redis(monkeypatch):
    """Issue 16: the cache was per process; a publication showed on other hosts a minute late."""
    import secrets
    import socket

    from contest.config import get_settings

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError as exc:
        pytest.skip(f"needs Redis at 127.0.0.1:6379: {exc}")
    monkeypatch.setattr(get_settings(), "cache_url", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(get_settings(), "queue_name", f"test-{secrets.token_hex(4)}")
    results_cache.clear()
    calls = []
    build = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert results_cache.get_or_build("k", 7, build) == 1
    assert results_cache.get_or_build("k", 7, build) == 1  # this host's copy
    # Another host publishes: its invalidate bumps the contest's generation in Redis only.
    results_cache._redis().incr(results_cache._generation_key(7))
    assert results_cache.get_or_build("k", 7, build) == 2
    assert results_cache.get_or_build("k8", 8, build) == 3  # another contest is not affected
    assert results_cache.get_or_build("k", 7, build) == 2
    results_cache._redis().delete(results_cache._generation_key(7))


def test_without_redis_the_cache_still_serves_when_the_url_is_unreachable(monkeypatch):
    from contest.config import get_settings

    monkeypatch.setattr(get_settings(), "cache_url", "redis://127.0.0.1:1/0")
    results_cache.clear()
    calls = []
    build = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert results_cache.get_or_build("k", 9, build) == 1
    assert results_cache.get_or_build("k", 9, build) == 1
    results_cache.invalidate(9)  # logged, not raised
    assert results_cache.get_or_build("k", 9, build) == 2
