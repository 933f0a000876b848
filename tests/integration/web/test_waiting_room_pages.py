"""The waiting page: a light page with the place and the wait, polled by HTMX or refreshed
without JavaScript, that opens the paper when the turn comes."""

from __future__ import annotations

import gzip
import re

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
    assert f'hx-get="/c/{contest.slug}/rounds/1/wait?t=' in start.text
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
    assert part.status_code == 200 and part.text.lstrip().startswith('<div id="waiting-status"')
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


def _poll_url(html: str) -> str:
    return re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")


def test_asks_for_a_waiting_ticket_are_answered_from_memory_ahead_of_the_router(
    client, db, waiting, monkeypatch
):
    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    assert "?t=" in url

    def full_path(*args, **kwargs):
        raise AssertionError("the full path was asked")

    monkeypatch.setattr(admission, "wait_turn", full_path)
    ask = client.get(url, headers={"HX-Request": "true"})
    assert ask.status_code == 200 and ask.headers["cache-control"] == "no-store"
    assert ask.text.startswith('<div id="waiting-status"') and "<strong>1</strong>" in ask.text
    assert 'hx-trigger="load delay:' in ask.text and _poll_url(ask.text) == url
    assert "Vị trí của bạn trong hàng chờ" in ask.text


def test_an_ask_with_a_forged_ticket_or_without_htmx_goes_to_the_full_path(
    client, db, waiting, monkeypatch
):
    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    client.get(url, headers={"HX-Request": "true"})  # the snapshot now holds the ticket
    asked = []
    real = admission.wait_turn

    def full_path(*args, **kwargs):
        asked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(admission, "wait_turn", full_path)
    ticket, sig = url.split("?t=")[1].split(".")
    forged = url.replace(f"{ticket}.{sig}", f"{int(ticket) + 1}.{sig}")
    client.get(forged, headers={"HX-Request": "true"})
    assert len(asked) == 1
    client.get(url)  # no JavaScript: the full page, from the full path
    assert len(asked) == 2
    # Signed for round 1 only: for another round the router answers (here: no such round).
    other = url.replace("/rounds/1/", "/rounds/9/")
    assert client.get(other, headers={"HX-Request": "true"}).status_code == 404


def test_a_called_ticket_is_served_by_the_full_path_on_its_next_ask(client, db, waiting):
    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    client.get(url, headers={"HX-Request": "true"})
    admission.controller().tokens = 1.0
    admission._view.called_at = float("-inf")  # the head is due a call on the next ask
    admission._view.taken_at = float("-inf")  # and the snapshot too old to answer from
    turn = client.get(url, headers={"HX-Request": "true"})
    # Told from memory that the turn has come: the page opens the same address as a page, and
    # the full path draws the paper there.
    assert turn.headers["HX-Redirect"] == url and not turn.content
    assert db.execute(select(Attempt)).first() is None
    paper = client.get(url, follow_redirects=False)
    attempt = db.execute(select(Attempt)).scalar_one()
    assert paper.status_code == 303 and paper.headers["location"] == f"/attempts/{attempt.id}"


def test_an_ask_answers_from_a_recent_snapshot_while_the_queue_moves_on_beside_it(
    client, db, waiting
):
    import time

    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    client.get(url, headers={"HX-Request": "true"})
    old = time.monotonic() - 1.0  # recent enough to answer from, due to be read again
    admission._view.taken_at = old
    ask = client.get(url, headers={"HX-Request": "true"})
    assert ask.status_code == 200 and "<strong>1</strong>" in ask.text
    deadline = time.monotonic() + 5
    while admission._view.taken_at == old and time.monotonic() < deadline:
        time.sleep(0.02)
    assert admission._view.taken_at > old


def test_an_ask_with_many_query_fields_goes_to_the_full_path_not_a_500(client, db, waiting):
    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    noisy = url + "&a=1&b=2&c=3&d=4&e=5"
    ask = client.get(noisy, headers={"HX-Request": "true"})
    assert ask.status_code == 200 and "<strong>1</strong>" in ask.text


def test_after_sign_out_the_ticket_gives_no_place_and_the_page_goes_to_sign_in(client, db, waiting):
    first = client.get(f"/c/{waiting.slug}/rounds/1/wait", headers={"HX-Request": "true"})
    url = _poll_url(first.text)
    assert "<strong>1</strong>" in client.get(url, headers={"HX-Request": "true"}).text
    token = client.cookies.get("contest_session")
    lobby = client.get(f"/c/{waiting.slug}/rounds")
    client.post("/logout", data={"csrf_token": csrf_from(lobby.text)}, follow_redirects=False)
    # The same ticket asked with the old cookie (another tab, a page that kept polling, a
    # replayed request), once the process has read the queue again.
    admission._view.taken_at = float("-inf")
    ask = client.get(url, headers={"HX-Request": "true", "Cookie": f"contest_session={token}"})
    assert ask.status_code == 200 and "<strong>" not in ask.text
    sign_in = f"/c/{waiting.slug}/login?next=/c/{waiting.slug}/rounds/1/wait&ended=1"
    assert ask.headers["HX-Redirect"] == sign_in
    # Without JavaScript the refreshed page is sent there too.
    page = client.get(
        f"/c/{waiting.slug}/rounds/1/wait",
        headers={"Cookie": f"contest_session={token}"},
        follow_redirects=False,
    )
    assert page.status_code == 303 and page.headers["location"] == sign_in
    told = client.get(sign_in)
    assert told.status_code == 200
    assert "Phiên đăng nhập của bạn đã kết thúc" in told.text
    assert "Your session has ended" in told.text
    assert f'name="next" value="/c/{waiting.slug}/rounds/1/wait"' in told.text
