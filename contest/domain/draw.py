"""Draw a paper (the questions and option orders of one attempt) from a round's question pool."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from contest.domain.errors import ContestError
from contest.domain.paper import Paper, PaperItem

Cell = tuple[str | None, str | None]  # (topic, difficulty)

# Labels for the difficulty codes importers commonly produce, so the Vietnamese message
# reads naturally; any other value is quoted as the organiser wrote it.
_DIFFICULTY_VI = {"easy": "Dễ", "medium": "Trung bình", "hard": "Khó"}


@dataclass(frozen=True, slots=True)
class PoolQuestion:
    question_id: int
    version_id: int
    topic: str | None
    difficulty: str | None
    option_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Quota:
    """Reserve `count` questions of the paper for questions matching this filter.

    None matches anything. A question drawn for one quota never also counts for another,
    so overlapping quotas ("3 on topic X", "2 hard") need 5 different questions. The rest of
    the paper comes from the whole pool and may add more of the same kind: to fix the exact
    make-up of a paper, let the quotas add up to the paper's size.
    """

    topic: str | None
    difficulty: str | None
    count: int

    def matches(self, cell: Cell) -> bool:
        return (self.topic is None or self.topic == cell[0]) and (
            self.difficulty is None or self.difficulty == cell[1]
        )


@dataclass(frozen=True, slots=True)
class DrawSettings:
    questions_per_attempt: int
    quotas: tuple[Quota, ...] = ()
    shuffle_questions: bool = True
    shuffle_options: bool = True

    def __post_init__(self) -> None:
        # A list would make the settings unhashable, and PreparedPool caches plans by settings.
        object.__setattr__(self, "quotas", tuple(self.quotas))


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a draw needs to know about the settings, worked out once per (pool, settings)."""

    quota_counts: tuple[int, ...]
    quota_cells: tuple[tuple[int, ...], ...]  # indices into PreparedPool.cell_keys
    rest: int


class PreparedPool:
    """A round's pool indexed by (topic, difficulty), built once and shared by every draw.

    Draws only read it, so one instance can serve many threads.
    """

    __slots__ = ("questions", "cell_keys", "cells", "_plans")

    def __init__(self, questions: Iterable[PoolQuestion]) -> None:
        self.questions: tuple[PoolQuestion, ...] = tuple(questions)
        by_cell: dict[Cell, list[int]] = {}
        seen: set[int] = set()
        for index, question in enumerate(self.questions):
            if question.question_id in seen:
                raise ContestError(
                    f"Câu hỏi {question.question_id} xuất hiện hai lần trong ngân hàng của đợt thi",
                    f"Question {question.question_id} appears twice in the round's pool",
                    field="pool",
                )
            seen.add(question.question_id)
            if len(set(question.option_ids)) != len(question.option_ids):
                raise ContestError(
                    f"Câu hỏi {question.question_id} có phương án bị lặp",
                    f"Question {question.question_id} lists an option twice",
                    field="pool",
                )
            by_cell.setdefault((question.topic, question.difficulty), []).append(index)
        self.cell_keys: tuple[Cell, ...] = tuple(by_cell)
        # Indices into `questions`, in bank order, so an unshuffled paper keeps bank order.
        self.cells: tuple[tuple[int, ...], ...] = tuple(tuple(v) for v in by_cell.values())
        self._plans: dict[DrawSettings, _Plan] = {}

    def __len__(self) -> int:
        return len(self.questions)

    def count_matching(self, topic: str | None, difficulty: str | None) -> int:
        probe = Quota(topic, difficulty, 0)
        return sum(len(c) for key, c in zip(self.cell_keys, self.cells) if probe.matches(key))

    def plan(self, settings: DrawSettings) -> _Plan:
        plan = self._plans.get(settings)
        if plan is None:
            plan = _make_plan(self, settings)
            self._plans[settings] = plan
        return plan


def validate_settings(pool: PreparedPool, settings: DrawSettings) -> None:
    """Raise ContestError (both languages) unless every draw from `pool` can honour `settings`."""
    pool.plan(settings)


def draw_paper(pool: PreparedPool, settings: DrawSettings, rng: random.Random) -> Paper:
    """Draw one paper: distinct questions, every quota filled exactly, the rest from the pool.

    Work grows with the paper's size and the number of (topic, difficulty) cells, never with
    the size of the bank. The same seed gives the same paper.
    """
    plan = pool.plan(settings)
    per_cell = _allocate(pool, plan, rng)
    chosen: list[int] = []
    for cell_index, need in enumerate(per_cell):
        if need:
            chosen.extend(rng.sample(pool.cells[cell_index], need))
    if plan.rest:
        chosen.extend(_sample_excluding(len(pool.questions), plan.rest, set(chosen), rng))
    if settings.shuffle_questions:
        rng.shuffle(chosen)
    else:
        chosen.sort()
    questions = pool.questions
    items = []
    for index in chosen:
        question = questions[index]
        options = question.option_ids
        if settings.shuffle_options:
            options = tuple(rng.sample(options, len(options)))
        items.append(PaperItem(question.question_id, question.version_id, options))
    return tuple(items)


def _sample_excluding(n: int, k: int, excluded: set[int], rng: random.Random) -> list[int]:
    # A uniform ordered sample of k + |excluded| from range(n), with the excluded dropped, is
    # a uniform sample of the rest; random.sample on a range costs O(k), not O(n).
    picked = [i for i in rng.sample(range(n), k + len(excluded)) if i not in excluded]
    return picked[:k]


def _allocate(pool: PreparedPool, plan: _Plan, rng: random.Random) -> list[int]:
    """How many questions each cell gives, with each quota spread over its cells at random."""
    free = [len(c) for c in pool.cells]
    # taken[q][j]: questions quota q takes from its j-th cell.
    taken: list[list[int]] = []
    short: list[int] = []
    for count, cells in zip(plan.quota_counts, plan.quota_cells):
        sizes = [free[c] for c in cells]
        total = sum(sizes)
        got = [0] * len(cells)
        # Sampling positions over the concatenated free slots is a multivariate
        # hypergeometric draw: each still-free question is equally likely to be picked.
        bounds = list(accumulate(sizes))
        for position in rng.sample(range(total), min(count, total)):
            got[bisect_right(bounds, position)] += 1
        for j, c in enumerate(cells):
            free[c] -= got[j]
        taken.append(got)
        short.append(count - sum(got))
    if any(short):
        _repair(plan, free, taken, short)
    per_cell = [0] * len(pool.cells)
    for got, cells in zip(taken, plan.quota_cells):
        for j, c in enumerate(cells):
            per_cell[c] += got[j]
    return per_cell


def _repair(plan: _Plan, free: list[int], taken: list[list[int]], short: list[int]) -> list[int]:
    """Fill short quotas by moving earlier quotas' picks to other cells (augmenting paths).

    Returns [the first quota that could not be filled], or [] when every quota is full; the
    plan starts from that quota to explain why the pool is too small.
    """
    for q in range(len(short)):
        while short[q]:
            path = _augmenting_path(q, plan, free, taken)
            if path is None:
                return [q]
            # path alternates quota, cell, quota, cell ... ending at a cell with a free slot.
            for i in range(0, len(path) - 1, 2):
                quota, cell = path[i], path[i + 1]
                taken[quota][plan.quota_cells[quota].index(cell)] += 1
                if i + 2 < len(path):
                    giver = path[i + 2]
                    taken[giver][plan.quota_cells[giver].index(cell)] -= 1
            free[path[-1]] -= 1
            short[q] -= 1
    return []


def _augmenting_path(
    start: int, plan: _Plan, free: list[int], taken: list[list[int]]
) -> list[int] | None:
    parent: dict[tuple[str, int], tuple[str, int] | None] = {("q", start): None}
    frontier = [start]
    while frontier:
        next_frontier = []
        for quota in frontier:
            for cell in plan.quota_cells[quota]:
                if ("c", cell) in parent:
                    continue
                parent[("c", cell)] = ("q", quota)
                if free[cell]:
                    path: list[int] = []
                    node: tuple[str, int] | None = ("c", cell)
                    while node is not None:
                        path.append(node[1])
                        node = parent[node]
                    return path[::-1]
                for other, cells in enumerate(plan.quota_cells):
                    if ("q", other) not in parent and cell in cells:
                        if taken[other][cells.index(cell)]:
                            parent[("q", other)] = ("c", cell)
                            next_frontier.append(other)
        frontier = next_frontier
    return None


def _reachable(start: int, plan: _Plan, taken: list[list[int]]) -> tuple[list[int], set[int]]:
    """Quotas and cells reachable from a quota that cannot be filled: a set of quotas that
    together need more questions than their cells hold (Hall's condition fails there)."""
    quotas, cells = [start], set()
    frontier = [start]
    while frontier:
        next_frontier = []
        for quota in frontier:
            for cell in plan.quota_cells[quota]:
                if cell in cells:
                    continue
                cells.add(cell)
                for other, other_cells in enumerate(plan.quota_cells):
                    if other not in quotas and cell in other_cells:
                        if taken[other][other_cells.index(cell)]:
                            quotas.append(other)
                            next_frontier.append(other)
        frontier = next_frontier
    return sorted(quotas), cells


def _make_plan(pool: PreparedPool, settings: DrawSettings) -> _Plan:
    size = settings.questions_per_attempt
    if size < 1:
        raise ContestError(
            "Mỗi lượt thi phải có ít nhất 1 câu hỏi",
            "Each attempt needs at least 1 question",
            field="questions_per_attempt",
        )
    if size > len(pool):
        raise ContestError(
            f"Ngân hàng chỉ có {len(pool)} câu nhưng mỗi lượt thi cần {size} câu",
            f"The bank has only {_questions_en(len(pool))} but each attempt needs {size}",
            field="questions_per_attempt",
        )
    quotas = [q for q in settings.quotas if q.count != 0]
    for quota in quotas:
        if quota.count < 0:
            raise ContestError(
                f"Chỉ tiêu {_describe_vi(quota)} không được là số âm ({quota.count})",
                f"The quota {_describe_en(quota)} cannot be negative ({quota.count})",
                field="quotas",
            )
    reserved = sum(q.count for q in quotas)
    if reserved > size:
        raise ContestError(
            f"Tổng các chỉ tiêu ({reserved} câu) vượt quá số câu mỗi lượt thi ({size})",
            f"The quotas add up to {reserved} questions, more than the {size} of an attempt",
            field="quotas",
        )
    plan = _Plan(
        quota_counts=tuple(q.count for q in quotas),
        quota_cells=tuple(
            tuple(i for i, key in enumerate(pool.cell_keys) if q.matches(key)) for q in quotas
        ),
        rest=size - reserved,
    )
    # Fill greedily in order, then repair; whatever stays short shows which quotas clash.
    free = [len(c) for c in pool.cells]
    taken, short = [], []
    for count, cells in zip(plan.quota_counts, plan.quota_cells):
        got = []
        for c in cells:
            n = min(free[c], count - sum(got))
            got.append(n)
            free[c] -= n
        taken.append(got)
        short.append(count - sum(got))
    stuck = _repair(plan, free, taken, short) if any(short) else []
    if stuck:
        clashing, cells = _reachable(stuck[0], plan, taken)
        available = sum(len(pool.cells[c]) for c in cells)
        _raise_shortage([quotas[i] for i in clashing], available)
    return plan


def _raise_shortage(quotas: list[Quota], available: int) -> None:
    if len(quotas) == 1:
        quota = quotas[0]
        raise ContestError(
            f"Ngân hàng chỉ có {available} câu {_describe_vi(quota)} nhưng cần {quota.count}",
            f"The bank has only {_questions_en(available)} {_describe_en(quota)} "
            f"but {quota.count} {'is' if quota.count == 1 else 'are'} needed",
            field="quotas",
        )
    need = sum(q.count for q in quotas)
    list_vi = ", ".join(f"{_describe_vi(q)} ({q.count} câu)" for q in quotas)
    list_en = ", ".join(f"{_describe_en(q)} ({q.count})" for q in quotas)
    raise ContestError(
        f"Các chỉ tiêu {list_vi} cần tổng cộng {need} câu khác nhau nhưng ngân hàng chỉ có "
        f"{available} câu thuộc các chỉ tiêu này",
        f"The quotas {list_en} together need {need} different questions but the bank has "
        f"only {available} that match them",
        field="quotas",
    )


def _questions_en(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _describe_vi(quota: Quota) -> str:
    parts = []
    if quota.topic is not None:
        parts.append(f"chủ đề '{quota.topic}'")
    if quota.difficulty is not None:
        parts.append(f"mức '{_DIFFICULTY_VI.get(quota.difficulty, quota.difficulty)}'")
    return " ".join(parts) or "bất kỳ"


def _describe_en(quota: Quota) -> str:
    parts = []
    if quota.topic is not None:
        parts.append(f"on topic '{quota.topic}'")
    if quota.difficulty is not None:
        parts.append(f"of difficulty '{quota.difficulty}'")
    return " ".join(parts) or "of any kind"
