"""The attempt through the web: every response before the attempt is final is scanned for the key."""

import re
from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest import clock
from contest.models import Answer, Attempt, QuestionVersion, WebSession
from contest.services import taking


@pytest.fixture
def signed_in(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 8
    rnd.prediction_vi = "Có bao nhiêu người trả lời đúng tất cả các câu hỏi?"
    db.commit()
    make_round_bank(db, rnd, count=10, multiple_every=5)
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
    return contest, rnd


def leaks(body: str, db, attempt) -> list[str]:
    """Anything in a response that would tell which option is right."""
    found = []
    low = body.lower()
    for marker in ('"correct"', "data-correct", "right answer", "đáp án đúng", "✓", 'class="right'):
        if marker in low:
            found.append(marker)
    for item in attempt.paper:
        version = db.get(QuestionVersion, item["v"])
        if version.explanation and version.explanation in body:
            found.append("explanation")
    return found


def test_whole_attempt_never_leaks_the_key_before_it_is_final(client, db, signed_in):
    contest, rnd = signed_in
    responses = []
    lobby = client.get(f"/c/{contest.slug}/rounds")
    responses.append(lobby)
    start = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    )
    responses.append(start)
    attempt = db.execute(select(Attempt)).scalar_one()
    page = start.text
    token = csrf_from(page)
    assert len(re.findall(r'<fieldset class="question"', page)) == 8
    for pos in range(8):
        r = client.post(
            f"/attempts/{attempt.id}/answers/{pos}",
            data={f"q{pos}": "1", "seq": str(pos + 1)},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert r.status_code == 200 and "Đã lưu" in r.text
        assert 0 < int(r.headers["X-Remaining"]) <= rnd.time_limit_seconds
        responses.append(r)
    responses.append(
        client.post(
            f"/attempts/{attempt.id}/prediction",
            data={"prediction": "1.886"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    )
    responses.append(client.get(f"/attempts/{attempt.id}"))
    responses.append(client.get(f"/attempts/{attempt.id}/confirm", headers={"HX-Request": "true"}))
    for r in responses:
        assert leaks(r.text, db, attempt) == [], r.url
        assert not any("correct" in v.lower() for v in r.headers.values())
    done = client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert done.status_code == 200 and "Số câu đúng" in done.text
    db.refresh(attempt)
    assert attempt.prediction == 1886 and attempt.finalised_at is not None
    # The key appears only once the round has closed.
    assert "đáp án đúng" not in done.text.lower()
    clock.freeze(rnd.closes_at + timedelta(seconds=rnd.grace_seconds + 1))
    after = client.get(f"/attempts/{attempt.id}").text
    assert "Đáp án" in after and "Giải thích bí mật" in after


def test_plain_form_without_javascript_saves_and_submits(client, db, signed_in):
    contest, rnd = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    token = csrf_from(page)
    saved = client.post(
        f"/attempts/{attempt.id}/save",
        data={"csrf_token": token, "q0": "2", "q1": "3", "seq": "5", "prediction": "12"},
    )
    assert saved.status_code == 200 and "Đã lưu bài làm" in saved.text
    assert saved.text.count(" checked") == 2
    review = client.post(
        f"/attempts/{attempt.id}/review",
        data={"csrf_token": token, "q0": "2", "q1": "3", "q2": "0", "seq": "6"},
    )
    assert "Bạn đã trả lời 3/8 câu" in review.text
    done = client.post(
        f"/attempts/{attempt.id}/submit", data={"csrf_token": token, "prediction": "12"}
    )
    assert "Bài thi đã được nộp" in done.text


def test_reload_resumes_the_same_paper_with_saved_answers(client, db, signed_in):
    contest, _ = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    first = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    client.post(
        f"/attempts/{attempt.id}/answers/4",
        data={"q4": "3", "seq": "9"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(first)},
    )
    again = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    )
    assert again.url.path == f"/attempts/{attempt.id}"
    stems = lambda html: re.findall(r'<span class="qno">[^<]*</span> ([^<]*)</legend>', html)  # noqa: E731
    assert stems(again.text) == stems(first)
    assert re.search(r'name="q4" value="3"[^>]* checked', again.text.replace("\n", " "))


def test_save_after_deadline_and_grace_is_refused_with_a_clear_message(client, db, signed_in):
    contest, _ = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    clock.freeze(attempt.deadline_at + timedelta(seconds=31))
    r = client.post(
        f"/attempts/{attempt.id}/answers/0",
        data={"q0": "1", "seq": "1"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page)},
    )
    assert r.status_code == 409 and "hết giờ" in r.text.lower()
    assert (
        "Hết giờ" in client.get(f"/attempts/{attempt.id}").text
        or "tự động" in client.get(f"/attempts/{attempt.id}").text
    )


# ---------------------------------------------------------------------------- the answer lane
# It serves warm saves ahead of the router and hands everything else, body included, to the
# routed endpoint, whose answers must not change.


@pytest.fixture
def attempt_page(client, db, signed_in):
    contest, _ = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    )
    attempt = db.execute(select(Attempt)).scalar_one()
    return attempt, csrf_from(page.text), int(PAGE_RE.search(page.text).group(1))


PAGE_RE = re.compile(r'name="page" value="([0-9]+)"')


def order(page, seq):
    return (page << 20) | seq


def save(client, attempt, token, page, pos, shown, seq, **headers):
    return client.post(
        f"/attempts/{attempt.id}/answers/{pos}",
        data={f"q{pos}": str(shown), "page": str(page), "seq": str(seq)},
        headers={"HX-Request": "true", "X-CSRF-Token": token, **headers},
    )


def stored(db, attempt, pos):
    db.expire_all()
    return db.execute(
        select(Answer.chosen, Answer.client_seq).where(
            Answer.attempt_id == attempt.id, Answer.position == pos
        )
    ).one_or_none()


def test_a_warm_save_is_answered_by_the_lane_without_the_router(
    client, db, attempt_page, monkeypatch
):
    attempt, token, page = attempt_page
    assert (
        save(client, attempt, token, page, 0, 1, 1).status_code == 200
    )  # the first one leaves the ticket

    def routed(*args, **kwargs):
        raise AssertionError("the routed endpoint ran")

    monkeypatch.setattr(taking, "save_answer_for_session", routed)
    r = save(client, attempt, token, page, 1, 2, 2)
    assert r.status_code == 200 and "Đã lưu" in r.text and 0 < int(r.headers["X-Remaining"])
    assert r.headers["Content-Security-Policy"] and r.headers["Cache-Control"] == "no-store"
    assert stored(db, attempt, 1) == ([attempt.paper[1]["o"][2]], order(page, 2))


def test_an_older_retry_goes_to_the_router_and_changes_nothing(client, db, attempt_page):
    attempt, token, page = attempt_page
    save(client, attempt, token, page, 0, 1, 10)
    save(client, attempt, token, page, 0, 3, 20)
    late = save(client, attempt, token, page, 0, 2, 15)
    assert late.status_code == 200
    assert stored(db, attempt, 0) == ([attempt.paper[0]["o"][3]], order(page, 20))


def test_after_submit_the_routed_endpoint_explains_with_the_body_handed_on(
    client, db, attempt_page
):
    attempt, token, page = attempt_page
    save(client, attempt, token, page, 0, 1, 1)
    db.execute(
        Attempt.__table__.update().where(Attempt.id == attempt.id).values(submitted_at=clock.now())
    )
    db.commit()
    r = save(client, attempt, token, page, 1, 1, 2)
    assert r.status_code == 409 and r.headers["X-Attempt-Closed"] == "1"
    assert stored(db, attempt, 1) is None


def test_an_ended_session_is_refused_even_when_warm(client, db, attempt_page):
    attempt, token, page = attempt_page
    save(client, attempt, token, page, 0, 1, 1)
    db.execute(WebSession.__table__.update().values(ended_at=clock.now()))
    db.commit()
    assert save(client, attempt, token, page, 1, 1, 2).status_code == 403
    assert stored(db, attempt, 1) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"X-CSRF-Token": "forged"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_forged_or_cross_site_save_is_refused_even_when_warm(client, db, attempt_page, headers):
    attempt, token, page = attempt_page
    save(client, attempt, token, page, 0, 1, 1)
    r = client.post(
        f"/attempts/{attempt.id}/answers/1",
        data={"q1": "1", "page": str(page), "seq": "2"},
        headers={"HX-Request": "true", "X-CSRF-Token": token, **headers},
    )
    assert r.status_code == 403
    assert stored(db, attempt, 1) is None


def test_a_bad_option_gets_the_routed_error(client, db, attempt_page):
    attempt, token, page = attempt_page
    save(client, attempt, token, page, 0, 1, 1)
    assert save(client, attempt, token, page, 0, 9, 2).status_code == 400
    assert stored(db, attempt, 0) == ([attempt.paper[0]["o"][1]], order(page, 1))


def test_the_first_save_after_the_attempt_page_takes_the_lane(
    client, db, attempt_page, monkeypatch
):
    attempt, token, page = attempt_page
    assert client.get(f"/attempts/{attempt.id}").status_code == 200  # the page leaves the ticket

    def routed(*args, **kwargs):
        raise AssertionError("the routed endpoint ran")

    monkeypatch.setattr(taking, "save_answer_for_session", routed)
    assert save(client, attempt, token, page, 0, 1, 1).status_code == 200
    assert stored(db, attempt, 0) == ([attempt.paper[0]["o"][1]], order(page, 1))


def test_a_start_costs_few_statements_and_never_reads_the_whole_round(client, db, signed_in):
    """Lobby, Start and the attempt page: each statement is a round trip a contest day pays
    hundreds of thousands of times; an open round's lobby does not aggregate its attempts."""
    from sqlalchemy import event

    contest, rnd = signed_in
    # Read once a process, not per start: the draw pool and the questions' text.
    pool = taking.round_pool(db, rnd.id)
    taking.question_texts(db, [q.version_id for q in pool.questions])
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        lobby = client.get(f"/c/{contest.slug}/rounds")
        at_lobby = len(seen)
        start = client.post(
            f"/c/{contest.slug}/rounds/1/start",
            data={"csrf_token": csrf_from(lobby.text)},
            follow_redirects=False,
        )
        at_start = len(seen)
        page = client.get(start.headers["location"])
        at_page = len(seen)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert lobby.status_code == 200 and start.status_code == 303 and page.status_code == 200
    # The session, the contest with its rounds, the person's attempts.
    assert at_lobby <= 3, seen[:at_lobby]
    # The session, the round with its contest and its banks' stamp, the person's attempts of
    # it, whether anyone waits, the attempt, the audit entry.
    assert at_start - at_lobby <= 6, seen[at_lobby:at_start]
    # The session, the attempt with its round and contest (and whether it has answers or its
    # round key corrections: a fresh attempt in an uncorrected round has neither).
    assert at_page - at_start <= 2, seen[at_start:at_page]
    assert not [s for s in seen if "max(attempts.deadline_at)" in s]
