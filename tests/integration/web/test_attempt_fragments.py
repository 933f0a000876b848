"""The attempt page stitched from per-process question fragments: one fragment serves everyone's
page, yet each page shows only its owner's choices, and nothing of the key."""

import re

from factories import make_contest, make_participant, make_round_bank

from contest.models import QuestionVersion
from contest.services import sessions, taking
from contest.web import fragments
from contest.web.csrf import SESSION_COOKIE


def _checked(page: str) -> dict[int, list[str]]:
    """Question position -> the display indexes shown as chosen."""
    found: dict[int, list[str]] = {}
    for pos, value in re.findall(r'name="q(\d+)" value="(\d+)" checked', page):
        found.setdefault(int(pos), []).append(value)
    return found


def test_one_fragment_serves_two_pages_each_with_only_its_owners_choices(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 6
    db.commit()
    make_round_bank(db, rnd, count=6, multiple_every=3)
    people = []
    for n, (cid, phone) in enumerate(
        (("020190012345", "0912345678"), ("020190054321", "0987654321"))
    ):
        person = make_participant(db, contest, citizen_id=cid, phone=phone)
        attempt = taking.start_attempt(db, person, rnd)
        token = sessions.open_session(db, participant_id=person.id)
        db.commit()
        people.append((attempt, token, n))

    # Each person saves a different option of question 1 (display index 0 and 2).
    for attempt, _token, n in people:
        taking.save_answer(db, attempt.participant_id, attempt.id, 0, [2 * n], order=100)
        db.commit()

    pages = []
    for attempt, token, _ in people:
        client.cookies.set(SESSION_COOKIE, token)
        page = client.get(f"/attempts/{attempt.id}")
        assert page.status_code == 200
        assert page.text.count('<fieldset class="question"') == 6
        pages.append(page.text)
    client.cookies.delete(SESSION_COOKIE)

    # Both papers drew the same six versions: rendered once, the second page only hit the cache.
    assert fragments.stats() == {"hits": 6, "misses": 6, "size": 6}
    assert _checked(pages[0]) == {0: ["0"]}
    assert _checked(pages[1]) == {0: ["2"]}
    # The option that is chosen on the first page is there, unchosen, on the second one's paper.
    assert pages[0].count(" checked") == pages[1].count(" checked") == 1

    explanations = [v.explanation for v in db.query(QuestionVersion)]
    cached = [
        piece
        for fragment in list(fragments._fragments.values())
        for piece in (fragment.stem, fragment.pictures, *fragment.options.values())
    ]
    for body in (*pages, *cached):
        low = body.lower()
        for marker in ('"correct"', "data-correct", "đáp án đúng", 'class="right', "✓"):
            assert marker not in low
        assert not any(e and e in body for e in explanations)
    # Check boxes follow each question's key size (a question with two right options), per page.
    for page in pages:
        assert 'type="checkbox"' in page and 'type="radio"' in page
