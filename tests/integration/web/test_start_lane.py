"""The start lane (web/start_lane.py): the lobby, the Start button and the attempt page served in
front of the router give the same answer the router gives, and everything it does not serve
(no session, a bad or missing CSRF token, another origin, a refusal) is answered by the router."""

from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank, make_staff
from sqlalchemy import func, select, update

from contest import clock
from contest.models import Attempt, AuditPending, StaffUser, WebSession
from contest.services import sessions
from contest.web import start_lane

LOGIN = "020190012345"


@pytest.fixture
def served(monkeypatch):
    """What the lane served itself: each entry is the path of a request it answered."""
    paths: list[str] = []
    serve = start_lane.StartLane._serve

    async def counted(scope, work, request):
        response = await serve(scope, work, request)
        if response is not None:
            paths.append(scope["path"])
        return response

    monkeypatch.setattr(start_lane.StartLane, "_serve", staticmethod(counted))
    return paths


@pytest.fixture
def routed(monkeypatch):
    """routed(True): every request goes to the router; routed(False): the lane serves again."""
    work = start_lane.StartLane._work

    def switch(on: bool) -> None:
        off = staticmethod(lambda scope: None)
        monkeypatch.setattr(start_lane.StartLane, "_work", off if on else staticmethod(work))

    return switch


@pytest.fixture
def signed_in(client, db):
    clock.freeze(clock.now())
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 8
    db.commit()
    make_round_bank(db, rnd, count=10, multiple_every=5)
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": csrf_from(page), "login": LOGIN, "password": "mat-khau-bi-mat"},
    )
    return contest, rnd


def _same(a, b) -> None:
    assert a.status_code == b.status_code
    assert a.text == b.text
    for name in ("content-type", "cache-control", "location", "content-security-policy"):
        assert a.headers.get(name) == b.headers.get(name), name


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_lane_and_router_answer_the_same_pages(client, db, signed_in, served, routed, lang):
    contest, _ = signed_in
    client.cookies.set("lang", lang)
    lobby_path = f"/c/{contest.slug}/rounds"
    for before in (True, False):  # the lobby before and after the start
        lobby = client.get(lobby_path)
        routed(True)
        _same(lobby, client.get(lobby_path))
        routed(False)
        if before:
            token = csrf_from(lobby.text)
            start = client.post(
                f"{lobby_path}/1/start", data={"csrf_token": token}, follow_redirects=False
            )
            assert start.status_code == 303
            attempt_path = start.headers["location"]
    page = client.get(attempt_path)
    assert served == [lobby_path, f"{lobby_path}/1/start", lobby_path, attempt_path]
    assert 'name="q0"' in page.text and "đáp án đúng" not in page.text.lower()
    routed(True)
    _same(page, client.get(attempt_path))
    again = client.post(f"{lobby_path}/1/start", data={"csrf_token": token}, follow_redirects=False)
    _same(start, again)  # the open attempt, resumed
    assert len(served) == 4
    assert db.execute(select(func.count()).select_from(Attempt)).scalar_one() == 1


def test_start_through_the_lane_is_audited_and_starts_the_clock_now(client, db, signed_in, served):
    contest, rnd = signed_in
    token = csrf_from(client.get(f"/c/{contest.slug}/rounds").text)
    r = client.post(
        f"/c/{contest.slug}/rounds/1/start",
        data={"csrf_token": token},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and len(served) == 2
    attempt = db.execute(select(Attempt)).scalar_one()
    assert attempt.started_at == clock.now()
    entry = db.execute(
        select(AuditPending).where(AuditPending.action == "attempt.start")
    ).scalar_one()
    assert entry.object_id == str(attempt.id)


@pytest.mark.parametrize(
    "headers, data",
    [
        ({}, {}),  # no token
        ({"X-CSRF-Token": "forged"}, {}),
        ({}, {"csrf_token": "forged"}),
        ({"Origin": "https://elsewhere.example"}, None),  # a valid token from another site
        ({"Sec-Fetch-Site": "cross-site"}, None),
    ],
)
def test_start_without_a_valid_token_is_refused_by_the_router(
    client, db, signed_in, served, headers, data
):
    contest, _ = signed_in
    token = csrf_from(client.get(f"/c/{contest.slug}/rounds").text)
    r = client.post(
        f"/c/{contest.slug}/rounds/1/start",
        data={"csrf_token": token} if data is None else data,
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "CSRF" in r.text and "mã bảo vệ" in r.text
    assert served == [f"/c/{contest.slug}/rounds"]
    assert db.execute(select(func.count()).select_from(Attempt)).scalar_one() == 0


def test_signed_out_and_refused_requests_get_the_routers_answers(client, db, signed_in, served):
    contest, rnd = signed_in
    token = csrf_from(client.get(f"/c/{contest.slug}/rounds").text)
    # A round that is closed: refused in both languages, nothing started.
    clock.freeze(rnd.closes_at)
    r = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 400
    assert db.execute(select(func.count()).select_from(Attempt)).scalar_one() == 0
    # No such round, an attempt that is not there, another contest's lobby.
    assert (
        client.post(f"/c/{contest.slug}/rounds/9/start", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.get("/attempts/999999").status_code == 404
    other = make_contest(db, slug="cuoc-thi-khac")
    assert client.get(f"/c/{other.slug}/rounds").status_code == 404
    assert served == [f"/c/{contest.slug}/rounds"]
    # Signed out: the contest's sign-in page.
    client.cookies.clear()
    r = client.get(f"/c/{contest.slug}/rounds", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/c/{contest.slug}/login")
    client.cookies.set("contest_session", "not-a-session")
    r = client.get(f"/c/{contest.slug}/rounds", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/c/{contest.slug}/login")


def test_the_session_read_as_a_plain_row_keeps_its_checks(client, db, signed_in, served):
    """The pages of a start read the session as a plain row: last-seen is still touched (at most
    every 5 minutes), an ended session is signed out, and a staff session is refused as before."""
    contest, _ = signed_in
    lobby = f"/c/{contest.slug}/rounds"
    ws = db.execute(select(WebSession)).scalar_one()
    seen = ws.last_seen_at
    assert client.get(lobby).status_code == 200
    db.expire_all()
    assert db.get(WebSession, ws.id).last_seen_at == seen  # within 5 minutes: untouched
    clock.freeze(seen + timedelta(minutes=6))
    page = client.get(lobby)
    assert page.status_code == 200 and "Nguyễn" in page.text  # the name in the header
    db.expire_all()
    assert db.get(WebSession, ws.id).last_seen_at == seen + timedelta(minutes=6)
    db.execute(update(WebSession).values(ended_at=clock.now()))
    db.commit()
    r = client.get(lobby, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/c/{contest.slug}/login")
    # A staff member's session: the full lookup, refused as a participant page.
    make_staff(db, "canbo", ["organiser"])
    client.cookies.set(
        "contest_session",
        sessions.open_session(db, staff_user_id=db.execute(select(StaffUser.id)).scalar_one()),
    )
    db.commit()
    r = client.get(lobby, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/c/{contest.slug}/login")
