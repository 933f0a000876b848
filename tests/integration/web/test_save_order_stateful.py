"""A stateful test of the order of saves: a person on a phone taps answers while the network
drops, delays, reorders and replays requests, the page is reloaded, the server's clock steps
(another host, NTP) and the whole page is saved or reviewed and submitted. Whatever happens,
the stored paper is the person's last choices, and no response claims a save it did not make.

The simulated page does what static/js/attempt.js does (a queue kept until the server answers,
restamped on reload; page number and seq on every save); a second kind of example has no
JavaScript (the whole page is one form). Requests go through the real application, the answer
lane included, on SQLite and PostgreSQL. The phone's clock is not an input of the protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from contest import clock
from contest.models import Answer, Attempt

QUESTIONS = 4
OPTIONS = 4
PAGE_RE = re.compile(r'name="page" value="([0-9]+)"')
CHECKED_RE = re.compile(r'name="q([0-9]+)" value="([0-9]+)" checked')
HX = {"HX-Request": "true"}

# Bounded for CI: 25 examples of up to 30 steps per backend (about 20 s on a quiet 2-core
# machine), the same sequences on every run; no shrinking, which would take minutes per failure
# at about a second an example (a failing sequence is printed as it was found).
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Save:
    pos: int
    choice: int
    page: int
    seq: int
    view: int  # which rendering of the page sent it (its answer reaches only that one)


class SavePaths(RuleBasedStateMachine):
    client = None
    db = None
    slug = ""
    token = ""
    base = None

    # ------------------------------------------------------------------ the person and their page

    @initialize(javascript=st.booleans())
    def start(self, javascript):
        clock.freeze(self.base)  # every example at the same time: its outcome is its own
        self.js = javascript
        lobby = self.client.get(f"/c/{self.slug}/rounds")
        page = self.client.post(
            f"/c/{self.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
        ).text
        self.attempt_id = int(
            self.db.execute(
                select(Attempt.id).where(Attempt.finalised_at.is_(None)).order_by(Attempt.id.desc())
            )
            .scalars()
            .first()
        )
        self.db.expire_all()
        self.paper = self.db.get(Attempt, self.attempt_id).paper
        self.last: dict[int, int] = {}  # the person's last choice per question
        self.queue: dict[int, Save] = {}  # the phone's localStorage
        self.in_flight: list[Save] = []
        self.in_flight_pos: set[int] = set()
        self.delivered: list[Save] = []
        self.unsaved: set[int] = set()  # without JavaScript: tapped since the last Save
        self.submitted: dict[int, int] | None = None
        self.view = 0
        self.taps = 0
        self._render(page)

    def _render(self, html: str) -> None:
        self.view += 1
        self.page = int(PAGE_RE.search(html).group(1))
        self.seq = 0
        rendered = {int(p): int(i) for p, i in CHECKED_RE.findall(html)}
        assert rendered == self.stored(), "the page shows what is stored"
        self.display = dict(rendered)
        self.in_flight_pos = set()
        if self.js:  # the queue comes back, shown as chosen and restamped as this page's
            for pos, item in list(self.queue.items()):
                self.queue[pos] = Save(pos, item.choice, self.page, self.next_seq(), self.view)
                self.display[pos] = item.choice
        else:  # unsaved taps are gone with the page; the person sees what is stored
            for pos in self.unsaved:
                if pos in rendered:
                    self.last[pos] = rendered[pos]
                else:
                    self.last.pop(pos, None)
            self.unsaved = set()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def stored(self) -> dict[int, int]:
        self.db.expire_all()
        rows = self.db.execute(
            select(Answer.position, Answer.chosen).where(Answer.attempt_id == self.attempt_id)
        ).all()
        out = {}
        for pos, chosen in rows:
            assert len(chosen) == 1
            out[pos] = self.paper[pos]["o"].index(chosen[0])
        return out

    def send(self, save: Save):
        return self.client.post(
            f"/attempts/{self.attempt_id}/answers/{save.pos}",
            data={f"q{save.pos}": str(save.choice), "page": str(save.page), "seq": str(save.seq)},
            headers={**HX, "X-CSRF-Token": self.token},
        )

    def honest(self, save: Save, response) -> None:
        """A response never claims what is not stored."""
        if self.submitted is not None:
            assert response.status_code == 409
            return
        assert response.status_code == 200, response.text
        stored = self.stored().get(save.pos)
        if "X-Stored" in response.headers:
            assert "Đã lưu" not in response.text
            kept = response.headers["X-Stored"]
            assert stored == (int(kept) if kept else None)
            assert stored != save.choice
        else:
            assert "Đã lưu" in response.text and stored == save.choice

    # ------------------------------------------------------------------ what the person does

    @precondition(lambda self: self.submitted is None)
    @rule(
        pos=st.integers(0, QUESTIONS - 1),
        choice=st.integers(0, OPTIONS - 1),
        fate=st.sampled_from(["arrives", "on its way", "on its way", "lost"]),
    )
    def tap(self, pos, choice, fate):
        """A tap on an option; with the script its save leaves at once and arrives now, stays on
        its way (to arrive later, in any order), or is lost."""
        self.taps += 1
        self.display[pos] = choice
        self.last[pos] = choice
        if not self.js:
            self.unsaved.add(pos)
            return
        save = Save(pos, choice, self.page, self.next_seq(), self.view)
        self.queue[pos] = save
        self.in_flight.append(save)
        self.in_flight_pos.add(pos)
        if fate == "arrives":
            self._deliver(len(self.in_flight) - 1)
        elif fate == "lost":
            self._lose(len(self.in_flight) - 1, processed=False)

    @precondition(lambda self: self.submitted is None)
    @rule()
    def reload(self):
        self._render(self.client.get(f"/attempts/{self.attempt_id}").text)

    @precondition(lambda self: self.submitted is None)
    @rule(reaches=st.booleans())
    def save_whole_page(self, reaches):
        """The Save button: with the script a background post (offline: nothing sent, the page
        says so and keeps its queue); without it a form post and the page again."""
        seq = self.next_seq() if self.js else 0
        if not reaches:
            if not self.js:
                return  # the browser's error page; the person goes back and saves again
            return
        data = {f"q{pos}": str(c) for pos, c in self.display.items()}
        data.update(csrf_token=self.token, page=str(self.page), seq=str(seq))
        headers = {**HX, "X-CSRF-Token": self.token} if self.js else {}
        r = self.client.post(f"/attempts/{self.attempt_id}/save", data=data, headers=headers)
        assert r.status_code == 200
        if self.js:
            assert r.headers["X-Save-Applied"] == "1", "the page showed the newest choices"
            self._settled_all(seq)
        else:
            assert "Đã lưu bài làm" in r.text
            self._render(r.text)

    def _settled_all(self, seq: int) -> None:
        for pos, item in list(self.queue.items()):
            if (item.page, item.seq) <= (self.page, seq) and pos not in self.in_flight_pos:
                del self.queue[pos]

    @precondition(lambda self: self.submitted is None and self.taps >= 6)
    @rule()
    def review_and_submit(self):
        seq = self.next_seq() if self.js else 0
        data = {f"q{pos}": str(c) for pos, c in self.display.items()}
        data.update(csrf_token=self.token, page=str(self.page), seq=str(seq))
        headers = {**HX, "X-CSRF-Token": self.token} if self.js else {}
        review = self.client.post(f"/attempts/{self.attempt_id}/review", data=data, headers=headers)
        assert review.status_code == 200
        if self.js:
            self._settled_all(seq)
        done = self.client.post(
            f"/attempts/{self.attempt_id}/submit",
            data={"csrf_token": self.token},
            headers=headers,
        )
        assert done.status_code == 200
        assert self.stored() == self.last, "what was submitted is the last choices"
        self.submitted = dict(self.last)

    # ------------------------------------------------------------------ what the network does

    @precondition(lambda self: self.in_flight or self.queue or self.delivered)
    @rule(
        event=st.sampled_from(["deliver", "deliver", "lose", "answer lost", "flush", "replay"]),
        data=st.data(),
    )
    def network(self, event, data):
        """The network: a request on its way arrives (in any order) or is lost, before or after
        the server saw it; the page's retry resends its queue; an old request arrives again."""
        if event == "flush" or not (self.in_flight or event == "replay"):
            self.flush()
        elif event == "replay":
            if self.delivered:
                save = self.delivered[data.draw(st.integers(0, len(self.delivered) - 1))]
                self.honest(save, self.send(save))
        elif event == "deliver":
            self._deliver(data.draw(st.integers(0, len(self.in_flight) - 1)))
        else:
            index = data.draw(st.integers(0, len(self.in_flight) - 1))
            self._lose(index, processed=event == "answer lost")

    def _deliver(self, index: int) -> None:
        """The answer reaches the page that sent it if that page is still the one shown."""
        save = self.in_flight.pop(index)
        response = self.send(save)
        self.honest(save, response)
        self.delivered.append(save)
        if save.view != self.view:
            return
        self.in_flight_pos.discard(save.pos)
        if response.status_code != 200:
            return
        queued = self.queue.get(save.pos)
        if queued is None or (queued.page, queued.seq) <= (save.page, save.seq):
            self.queue.pop(save.pos, None)
            if "X-Stored" in response.headers:
                kept = response.headers["X-Stored"]
                if kept:
                    self.display[save.pos] = int(kept)

    def _lose(self, index: int, processed: bool) -> None:
        """Lost on the way, or its answer lost after the server saw it: the page keeps it queued."""
        save = self.in_flight.pop(index)
        if processed:
            self.honest(save, self.send(save))
            self.delivered.append(save)
        if save.view == self.view:
            self.in_flight_pos.discard(save.pos)

    def flush(self):
        """The page's retry: every queued answer not already on its way is sent again."""
        if not self.js:
            return
        for pos, item in self.queue.items():
            if pos not in self.in_flight_pos:
                self.in_flight.append(Save(pos, item.choice, item.page, item.seq, self.view))
                self.in_flight_pos.add(pos)

    @rule(seconds=st.integers(-5, 40))
    def server_clock_steps(self, seconds):
        """Another host answers, its clock a little behind, or time simply passes."""
        clock.freeze(clock.now() + timedelta(seconds=seconds))

    # ------------------------------------------------------------------ what must always hold

    @invariant()
    def stored_paper_is_the_last_choices(self):
        if not hasattr(self, "attempt_id"):
            return
        stored = self.stored()
        if self.submitted is not None:
            assert stored == self.submitted
            return
        if self.js:
            assert self.display == self.last, "the page shows the person's last choices"
        settled = {
            pos: c
            for pos, c in self.last.items()
            if pos not in self.queue and pos not in self.unsaved
        }
        assert {pos: stored.get(pos) for pos in settled} == settled

    def teardown(self):
        if not hasattr(self, "attempt_id") or self.submitted is not None:
            return
        try:
            # The connection comes back for good: every queued answer lands.
            if self.js:
                for _ in range(3):
                    self.flush()
                    while self.in_flight:
                        self._deliver(0)
            else:
                self.save_whole_page(True)
            assert self.stored() == self.last
        finally:  # the next example starts a fresh attempt
            self.client.post(f"/attempts/{self.attempt_id}/submit", data={"csrf_token": self.token})


def test_the_stored_paper_is_always_the_persons_last_choices(client, db):
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = QUESTIONS
    rnd.time_limit_seconds = 3 * 60 * 60
    rnd.closes_at = clock.now() + timedelta(days=30)
    rnd.max_attempts = 0
    rnd.prediction_vi = ""
    db.commit()
    make_round_bank(db, rnd, count=QUESTIONS)
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
    token = csrf_from(client.get(f"/c/{contest.slug}/rounds").text)

    class Machine(SavePaths):
        pass

    Machine.client, Machine.db, Machine.slug, Machine.token = client, db, contest.slug, token
    Machine.base = clock.now() + timedelta(minutes=5)
    run_state_machine_as_test(Machine, settings=SETTINGS)


@pytest.fixture(autouse=True)
def _clock_back():
    yield
    clock.reset()
