"""The waiting page: a light page with the place and the wait, polled by HTMX or refreshed
without JavaScript, that opens the paper when the turn comes."""

from __future__ import annotations

import gzip

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest.domain.admission import AdmissionSettings, StartController
from contest.models import Attempt
from contest.services import admission


@pytest.fixture
def waiting(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 5
    db.commit()
    make_round_bank(db, rnd, count=10)
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
    admission._controller = StartController(AdmissionSettings(initial_rate=0.0001, increase=0.0))
    lobby = client.get(f"/c/{contest.slug}/rounds")
    start = client.post(
        f"/c/{contest.slug}/rounds/1/start",
        data={"csrf_token": csrf_from(lobby.text)},
        follow_redirects=False,
    )
    # The waiting page comes at once, with no redirect; from then on it asks GET .../wait.
    assert start.status_code == 200 and "Vị trí của bạn trong hàng chờ" in start.text
    assert f'hx-get="/c/{contest.slug}/rounds/1/wait"' in start.text
    assert f'url=/c/{contest.slug}/rounds/1/wait"' in start.text
    return contest


def test_the_waiting_page_shows_the_place_and_refreshes_without_javascript(client, db, waiting):
    r = client.get(f"/c/{waiting.slug}/rounds/1/wait")
    assert r.status_code == 200
    assert "Vị trí của bạn trong hàng chờ" in r.text and "<strong>1</strong>" in r.text
    assert "Thời gian chờ dự kiến" in r.text
    assert '<noscript><meta http-equiv="refresh"' in r.text
    assert 'hx-trigger="load delay:' in r.text
    assert r.headers["cache-control"] == "no-store"
    assert len(gzip.compress(r.content)) < 3000
    assert db.execute(select(Attempt)).first() is None


def test_the_partial_alone_for_htmx_and_the_paper_when_the_turn_comes(client, db, waiting):
    part = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.lstrip().startswith('<section id="waiting"')
    admission.controller().tokens = 1.0
    turn = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    attempt = db.execute(select(Attempt)).scalar_one()
    assert turn.headers["HX-Redirect"] == f"/attempts/{attempt.id}"
    # Without JavaScript the refreshed page redirects to the paper.
    again = client.get(f"/c/{waiting.slug}/rounds/1/wait", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/attempts/{attempt.id}"


def test_the_waiting_page_in_english(client, waiting):
    client.get("/lang/en?next=/")
    r = client.get(f"/c/{waiting.slug}/rounds/1/wait")
    assert "Your place in line" in r.text and "Estimated wait" in r.text


def test_nobody_signed_in_gets_no_waiting_page(db, app, waiting):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as anonymous:
        r = anonymous.get(f"/c/{waiting.slug}/rounds/1/wait", follow_redirects=False)
    assert r.status_code in (303, 403)
