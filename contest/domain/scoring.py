"""Scoring of attempts, the attempt that counts in a round, and the prediction question."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contest.domain.errors import ContestError
from contest.domain.ranking import DEFAULT_ORDER, Entry, TieBreak, sort_key


@dataclass(frozen=True, slots=True)
class QuestionKey:
    """The correct options of one question on a paper; several options make it multiple-answer."""

    question_id: str
    correct_options: frozenset[str]
    points: float = 1.0


@dataclass(frozen=True, slots=True)
class AttemptScore:
    correct: int
    answered: int
    question_count: int
    score: float

    @property
    def all_correct(self) -> bool:
        return self.question_count > 0 and self.correct == self.question_count

    @property
    def all_answered(self) -> bool:
        return self.answered == self.question_count


def score_attempt(
    keys: Sequence[QuestionKey], answers: Mapping[str, Iterable[str]]
) -> AttemptScore:
    """Score one attempt; a multiple-answer question counts only when the chosen set is exact."""
    seen: set[str] = set()
    correct = answered = 0
    score = 0.0
    for key in keys:
        if key.question_id in seen:
            raise ContestError(
                f"Câu hỏi {key.question_id} xuất hiện hai lần trong đề.",
                f"Question {key.question_id} appears twice on the paper.",
                field="question_id",
            )
        seen.add(key.question_id)
        chosen = answers.get(key.question_id)
        if chosen is None:
            continue
        chosen = frozenset(chosen)
        if not chosen:
            continue
        answered += 1
        # All-or-nothing: partial credit would reward guessing every option.
        if chosen == key.correct_options:
            correct += 1
            score += key.points
    return AttemptScore(correct=correct, answered=answered, question_count=len(keys), score=score)


class CountingPolicy(StrEnum):
    """Which of a participant's attempts in a round counts."""

    BEST = "best"
    FIRST = "first"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class ScoredAttempt:
    """A submitted attempt with what ranking and the prediction need."""

    attempt_id: str
    participant_id: str
    correct: int
    question_count: int
    duration_seconds: float
    submitted_at: datetime
    prediction: int | None = None
    eligible: bool = True

    @property
    def started_at(self) -> datetime:
        return self.submitted_at - timedelta(seconds=self.duration_seconds)


def as_entry(a: ScoredAttempt, true_figure: int | None = None) -> Entry:
    """An attempt as the ranking sees it; without a true figure no prediction is closer."""
    return Entry(
        entry_id=a.attempt_id,
        owner_id=a.participant_id,
        score=float(a.correct),
        prediction_error=None
        if true_figure is None
        else prediction_error(a.prediction, true_figure),
        duration_seconds=a.duration_seconds,
        submitted_at=a.submitted_at,
        eligible=a.eligible,
    )


def counting_attempt(
    attempts: Iterable[ScoredAttempt],
    policy: CountingPolicy = CountingPolicy.BEST,
    *,
    order: Sequence[str | TieBreak] = DEFAULT_ORDER,
    true_figure: int | None = None,
) -> ScoredAttempt | None:
    """The one attempt that counts for one participant, or None when there is none.

    Best is the attempt the round's own ranking order puts first (by default more correct,
    then the closer prediction, then shorter time, then earlier submission), so counting and
    ranking never disagree; the prediction takes part once the true figure is known. First
    and last go by when the attempt started. The attempt id only settles attempts identical
    on every key, so the answer never depends on input order.
    """
    attempts = list(attempts)
    if not attempts:
        return None
    if len({a.participant_id for a in attempts}) > 1:
        raise ContestError(
            "Các lượt thi thuộc về nhiều thí sinh khác nhau.",
            "The attempts belong to more than one participant.",
            field="participant_id",
        )
    if policy is CountingPolicy.BEST:
        key = sort_key(order)
        return min(attempts, key=lambda a: (key(as_entry(a, true_figure)), a.attempt_id))
    if policy is CountingPolicy.FIRST:
        return min(attempts, key=lambda a: (a.started_at, a.attempt_id))
    return max(attempts, key=lambda a: (a.started_at, a.attempt_id))


def counting_attempts(
    attempts: Iterable[ScoredAttempt],
    policy: CountingPolicy = CountingPolicy.BEST,
    *,
    order: Sequence[str | TieBreak] = DEFAULT_ORDER,
    true_figure: int | None = None,
) -> dict[str, ScoredAttempt]:
    """The counting attempt of every participant in a round, keyed by participant id."""
    by_participant: dict[str, list[ScoredAttempt]] = {}
    for attempt in attempts:
        by_participant.setdefault(attempt.participant_id, []).append(attempt)
    return {
        pid: counting_attempt(group, policy, order=order, true_figure=true_figure)  # type: ignore[misc]
        for pid, group in by_participant.items()
    }


def attempts_used(attempts: Iterable[ScoredAttempt]) -> dict[str, int]:
    """How many attempts each participant used, for the 'fewer attempts' tie-break."""
    used: dict[str, int] = {}
    for attempt in attempts:
        used[attempt.participant_id] = used.get(attempt.participant_id, 0) + 1
    return used


class PredictionTarget(StrEnum):
    """What the prediction question asks for."""

    ALL_CORRECT = "all_correct"
    PARTICIPANTS = "participants"


def prediction_true_figure(
    counted: Iterable[ScoredAttempt], target: PredictionTarget = PredictionTarget.ALL_CORRECT
) -> int:
    """The true figure of a closed round, from each eligible participant's counting attempt."""
    participants: set[str] = set()
    all_correct: set[str] = set()
    for attempt in counted:
        if not attempt.eligible:
            continue
        participants.add(attempt.participant_id)
        if attempt.question_count > 0 and attempt.correct == attempt.question_count:
            all_correct.add(attempt.participant_id)
    if target is PredictionTarget.PARTICIPANTS:
        return len(participants)
    return len(all_correct)


def prediction_error(prediction: int | None, true_figure: int) -> int | None:
    """Distance from the true figure; None (no prediction) ranks behind every real guess."""
    if prediction is None:
        return None
    return abs(prediction - true_figure)
