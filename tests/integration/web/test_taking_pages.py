"""The attempt through the web: every response before the attempt is final is scanned for the key."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import csrf_from
from contest import clock
from contest.models import Attempt, QuestionVersion
from factories import make_contest, make_participant, make_round_bank


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
    client.post(f"/c/{contest.slug}/login", data={"csrf_token": csrf_from(page), "login": "020190012345",
                                                 "password": "mat-khau-bi-mat"})
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
    start = client.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)})
    responses.append(start)
    attempt = db.execute(select(Attempt)).scalar_one()
    page = start.text
    token = csrf_from(page)
    assert len(re.findall(r'<fieldset class="question"', page)) == 8
    for pos in range(8):
        r = client.post(f"/attempts/{attempt.id}/answers/{pos}", data={f"q{pos}": "1", "seq": str(pos + 1)},
                        headers={"HX-Request": "true", "X-CSRF-Token": token})
        assert r.status_code == 200 and "Đã lưu" in r.text
        assert 0 < int(r.headers["X-Remaining"]) <= rnd.time_limit_seconds
        responses.append(r)
    responses.append(client.post(f"/attempts/{attempt.id}/prediction", data={"prediction": "1.886"},
                                 headers={"HX-Request": "true", "X-CSRF-Token": token}))
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
    page = client.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}).text
    attempt = db.execute(select(Attempt)).scalar_one()
    token = csrf_from(page)
    saved = client.post(f"/attempts/{attempt.id}/save", data={"csrf_token": token, "q0": "2", "q1": "3", "seq": "5",
                                                              "prediction": "12"})
    assert saved.status_code == 200 and "Đã lưu bài làm" in saved.text
    assert saved.text.count(" checked") == 2
    review = client.post(f"/attempts/{attempt.id}/review", data={"csrf_token": token, "q0": "2", "q1": "3", "q2": "0",
                                                                   "seq": "6"})
    assert "Bạn đã trả lời 3/8 câu" in review.text
    done = client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": token, "prediction": "12"})
    assert "Bài thi đã được nộp" in done.text


def test_reload_resumes_the_same_paper_with_saved_answers(client, db, signed_in):
    contest, _ = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    first = client.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}).text
    attempt = db.execute(select(Attempt)).scalar_one()
    client.post(f"/attempts/{attempt.id}/answers/4", data={"q4": "3", "seq": "9"},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(first)})
    again = client.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)})
    assert again.url.path == f"/attempts/{attempt.id}"
    stems = lambda html: re.findall(r'<span class="qno">[^<]*</span> ([^<]*)</legend>', html)  # noqa: E731
    assert stems(again.text) == stems(first)
    assert re.search(r'name="q4" value="3"[^>]* checked', again.text.replace("\n", " "))


def test_save_after_deadline_and_grace_is_refused_with_a_clear_message(client, db, signed_in):
    contest, _ = signed_in
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}).text
    attempt = db.execute(select(Attempt)).scalar_one()
    clock.freeze(attempt.deadline_at + timedelta(seconds=31))
    r = client.post(f"/attempts/{attempt.id}/answers/0", data={"q0": "1", "seq": "1"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page)})
    assert r.status_code == 409 and "hết giờ" in r.text.lower()
    assert "Hết giờ" in client.get(f"/attempts/{attempt.id}").text or "tự động" in client.get(f"/attempts/{attempt.id}").text
