"""One order for every save path (finding 1 of the trust review): the newest choice the person
made is stored whichever path carried it, and a save that was not applied never says "saved"."""

import re
from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank
from sqlalchemy import select

from contest import clock
from contest.models import Answer, Attempt

PAGE_RE = re.compile(r'name="page" value="([0-9]+)"')
HX = {"HX-Request": "true"}


@pytest.fixture
def started(client, db):
    clock.freeze(clock.now())
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 6
    rnd.prediction_vi = ""
    db.commit()
    make_round_bank(db, rnd, count=8)
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
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    return attempt, csrf_from(page), int(PAGE_RE.search(page).group(1))


def later(seconds=20):
    clock.freeze(clock.now() + timedelta(seconds=seconds))


def tap(client, attempt, token, pos, shown, **fields):
    """A per-question save as the page's script sends it."""
    return client.post(
        f"/attempts/{attempt.id}/answers/{pos}",
        data={f"q{pos}": str(shown), **{k: str(v) for k, v in fields.items()}},
        headers={**HX, "X-CSRF-Token": token},
    )


def stored(db, attempt, pos):
    db.expire_all()
    chosen = db.execute(
        select(Answer.chosen).where(Answer.attempt_id == attempt.id, Answer.position == pos)
    ).scalar_one_or_none()
    return None if chosen is None else [attempt.paper[pos]["o"].index(o) for o in chosen]


def test_a_change_lost_on_3g_then_carried_by_the_review_is_stored(client, db, started):
    # 1(a): A lands, the change to C is lost, the review posts C: C must be stored.
    attempt, token, page = started
    later()
    assert "Đã lưu" in tap(client, attempt, token, 0, 0, page=page, seq=1).text
    later()  # seq 2 (the change to C) never reaches the server
    later()
    review = client.post(
        f"/attempts/{attempt.id}/review",
        data={"csrf_token": token, "q0": "2", "page": page, "seq": 3},
        headers={**HX, "X-CSRF-Token": token},
    )
    assert review.status_code == 200 and "Bạn đã trả lời 1/6 câu" in review.text
    assert stored(db, attempt, 0) == [2]
    done = client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert done.status_code == 200
    assert stored(db, attempt, 0) == [2]


def test_a_whole_form_from_a_reloaded_page_without_javascript_wins_over_older_saves(
    client, db, started
):
    attempt, token, page = started
    later()
    tap(client, attempt, token, 0, 0, page=page, seq=7)
    later()
    reloaded = int(PAGE_RE.search(client.get(f"/attempts/{attempt.id}").text).group(1))
    assert reloaded > page
    later()
    saved = client.post(
        f"/attempts/{attempt.id}/save",
        data={"csrf_token": token, "q0": "3", "page": reloaded, "seq": 0},
    )
    assert "Đã lưu bài làm" in saved.text
    assert stored(db, attempt, 0) == [3]
    # The old page's request, replayed late, changes nothing and says what is stored.
    late = tap(client, attempt, token, 0, 1, page=page, seq=8)
    assert late.status_code == 200 and "Đã lưu" not in late.text and late.headers["X-Stored"] == "3"
    assert stored(db, attempt, 0) == [3]


@pytest.mark.parametrize("javascript", ["page numbers", "a page from before page numbers"])
def test_changes_after_a_review_on_a_phone_whose_clock_is_slow_are_all_stored(
    client, db, started, javascript
):
    # 1(b): a phone 10 minutes slow; after a review, three later changes all answered "saved"
    # and none was stored. The page's clock is no longer sent (an old page's is not used).
    attempt, token, page = started
    later()
    client.post(
        f"/attempts/{attempt.id}/review",
        data={"csrf_token": token, "q0": "0", "page": page, "seq": 1},
        headers={**HX, "X-CSRF-Token": token},
    )
    assert stored(db, attempt, 0) == [0]
    for seq, choice in enumerate((1, 2, 3), start=2):
        later()
        phone_ms = int((clock.now() - timedelta(minutes=10)).timestamp() * 1000)
        fields = {"page": page, "seq": seq} if javascript == "page numbers" else {"seq": phone_ms}
        r = tap(client, attempt, token, 0, choice, **fields)
        assert r.status_code == 200 and "Đã lưu" in r.text and "X-Stored" not in r.headers
        assert stored(db, attempt, 0) == [choice]


def test_an_older_save_of_the_same_page_is_not_called_saved(client, db, started):
    attempt, token, page = started
    tap(client, attempt, token, 1, 2, page=page, seq=5)
    late = tap(client, attempt, token, 1, 0, page=page, seq=4)
    assert late.status_code == 200
    assert "Đã lưu" not in late.text and "C" in late.text and late.headers["X-Stored"] == "2"
    again = tap(client, attempt, token, 1, 2, page=page, seq=5)  # the same save twice
    assert "Đã lưu" in again.text and "X-Stored" not in again.headers
    assert stored(db, attempt, 1) == [2]


def test_a_page_number_from_the_future_or_a_huge_seq_is_refused(client, db, started):
    attempt, token, page = started
    future = int((clock.now() + timedelta(days=1)).timestamp() * 1000)
    for fields in ({"page": future, "seq": 1}, {"page": page, "seq": 2**63}, {"seq": "²"}):
        r = tap(client, attempt, token, 0, 1, **fields)
        assert r.status_code == 400, fields
    assert stored(db, attempt, 0) is None
