"""Cheating signals: false positives among simulated honest people, planted cases found, and the
time to compute every signal of a round of 300,000 attempts on one core.

CONTEST_BENCH_SIGNALS_ATTEMPTS sets the size of the timed round (default 300,000; a shared
machine may run 30,000) and CONTEST_BENCH_SIGNALS_SEEDS the number of simulated 2,000-person
rounds behind the false-positive rate (default 10)."""

from __future__ import annotations

import os
import resource
import time

from bench import Figure
from bench.signals_population import Round, scenario
from contest.domain.signals import round_signals


def _false_positives(seeds: int) -> tuple[int, int, int, int, int]:
    honest_flagged = honest_total = found = planted = full_rings = 0
    for seed in range(seeds):
        pop = scenario(honest=2000, seed=100 + seed)
        result = round_signals(pop.sheets, pop.traces, pop.starts, pop.accounts)
        flagged = {p for c in result.clusters for p in c.participant_ids}
        honest_flagged += len(flagged & pop.honest)
        honest_total += len(pop.honest)
        for case, members in pop.planted.items():
            planted += 1
            # a case is found when at least 3 of its accounts (or all, if fewer) are flagged
            found += len(members & flagged) >= min(3, len(members))
            if case == "ring":
                full_rings += members <= flagged
    return honest_flagged, honest_total, found, planted, full_rings


def _timed(attempts: int) -> tuple[float, int, int]:
    people = attempts // 3
    r = Round(seed=11, bank_size=50, paper=20)
    r.honest(people, attempts_each=3)
    r.ring(list(range(people + 1, people + 6)))
    pop = r.pop
    start = time.perf_counter()
    result = round_signals(pop.sheets, pop.traces, pop.starts, pop.accounts)
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return elapsed, result.similarity.candidate_pairs, peak_mib


def run() -> list[Figure]:
    seeds = int(os.environ.get("CONTEST_BENCH_SIGNALS_SEEDS", "10"))
    attempts = int(os.environ.get("CONTEST_BENCH_SIGNALS_ATTEMPTS", "300000"))
    honest_flagged, honest_total, found, planted, full_rings = _false_positives(seeds)
    rate = 100 * honest_flagged / honest_total
    elapsed, candidates, peak = _timed(attempts)
    budget = 300 * attempts / 300_000
    return [
        Figure(
            name="cheating signals: honest participants flagged",
            value=round(rate, 3),
            unit="%",
            bar="< 1 %",
            ok=rate < 1,
            note=(
                f"{honest_flagged} of {honest_total:,} over {seeds} simulated rounds (3PL IRT "
                "answerers, papers of 20 from 40 questions, lognormal reading times)"
            ),
        ),
        Figure(
            name="cheating signals: planted cases found",
            value=found,
            unit=f"of {planted}",
            bar=f"{planted}",
            ok=found == planted,
            note=(
                f"a ring of 5 sharing one sheet, 3 accounts on one device, 1 script, per round; "
                f"ring found whole in {full_rings} of {seeds}"
            ),
        ),
        Figure(
            name=f"cheating signals for {attempts:,} attempts",
            value=round(elapsed, 1),
            unit="s",
            bar=f"≤ {budget:,.0f} s (5 min at 300,000)",
            ok=elapsed <= budget,
            note=f"one core; {candidates:,} candidate pairs; peak memory {peak:,} MiB",
        ),
    ]
