"""Operators' endpoints: /healthz, /readyz, /metrics (and who may read it), the request id."""

import io
import json
import logging
import re

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest import logs
from contest.config import get_settings
from contest.models import Attempt


def test_healthz_answers_without_the_database_and_carries_a_request_id(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.text == "ok"
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-ID"])


def test_a_callers_request_id_is_kept_and_a_malformed_one_replaced(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"}).headers["X-Request-ID"]
        == "lb-7f3a.42"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id<script>"})
    assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["X-Request-ID"])


def test_readyz_is_ready_when_the_database_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True and body["checks"]["database"]["ok"] is True


def test_readyz_is_503_when_a_configured_redis_does_not_answer(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "cache_url", "redis://127.0.0.1:1/0")
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["ready"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis_cache"]["ok"] is False and body["checks"]["redis_cache"]["error"]


def test_readyz_checks_a_configured_redis_that_answers(client, monkeypatch):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    monkeypatch.setattr(get_settings(), "cache_url", "redis://127.0.0.1:6379/0")
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["redis_cache"]["ok"] is True


def test_metrics_are_refused_to_an_address_not_allowed_and_without_the_token(client, monkeypatch):
    # The test client's address is "testclient", in no allowed network.
    monkeypatch.setattr(get_settings(), "metrics_token", "s3cret-token-for-prometheus")
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


def test_metrics_are_served_to_an_allowed_network(client, monkeypatch):
    from contest.services import operations

    assert operations.may_read_metrics("10.1.2.3", "") is False
    monkeypatch.setattr(get_settings(), "metrics_allow", "127.0.0.1, 10.0.0.0/8")
    assert operations.may_read_metrics("10.1.2.3", "") is True
    assert operations.may_read_metrics("192.168.1.1", "") is False


def _scrape(client) -> str:
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-prometheus"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def _value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def attempt_page(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 5
    db.commit()
    make_round_bank(db, rnd, count=6)
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
    )
    lobby = client.get(f"/c/{contest.slug}/rounds")
    started = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    )
    attempt = db.execute(select(Attempt)).scalar_one()
    number = re.search(r'name="page" value="([0-9]+)"', started.text).group(1)
    return contest, attempt, csrf_from(started.text), int(number)


def test_metrics_count_saves_starts_requests_and_refusals(client, db, monkeypatch, attempt_page):
    monkeypatch.setattr(get_settings(), "metrics_token", "s3cret-token-for-prometheus")
    contest, attempt, token, page = attempt_page
    before = _scrape(client)
    for pos in range(3):  # the first takes the full path, the others the lane
        r = client.post(
            f"/attempts/{attempt.id}/answers/{pos}",
            data={f"q{pos}": "1", "page": str(page), "seq": str(pos + 1)},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert r.status_code == 200
    assert client.get("/no-such-page").status_code == 404
    after = _scrape(client)

    def grew(series: str) -> float:
        return _value(after, series) - _value(before, series)

    assert grew("contest_answer_saves_total") == 3
    assert grew('contest_http_requests_total{kind="save",status="2xx"}') == 3
    assert grew('contest_http_request_duration_seconds_count{kind="save"}') == 3
    assert grew('contest_refusals_total{reason="not_found"}') == 1
    assert grew('contest_http_requests_total{kind="page",status="4xx"}') == 1
    assert _value(after, "contest_attempts_started_total") >= 1
    assert 'contest_jobs{state="failed"}' in after and "contest_queue_pending" in after
    assert _value(after, "contest_scrape_database_up") == 1
    assert "contest_db_pool_checked_out" in after


def test_json_log_lines_carry_the_request_id():
    stream = io.StringIO()
    config = logs.config("json")
    handler = logging.StreamHandler(stream)
    formatter_spec = dict(config["formatters"]["default"])
    factory = formatter_spec.pop("()")
    module, name = factory.rsplit(".", 1)
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_spec)
    handler.setFormatter(formatter)
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("contest.test-json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    token = logs.request_id.set("abc123")
    try:
        logger.info("đã lưu %s câu", 3, extra={"kind": "save"})
    finally:
        logs.request_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "đã lưu 3 câu" and line["request_id"] == "abc123"
    assert (
        line["level"] == "INFO" and line["logger"] == "contest.test-json" and line["kind"] == "save"
    )
    assert "time" in line
