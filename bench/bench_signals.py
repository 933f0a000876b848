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
from bench.signals_population import Round, ring_sheet_shows, scenario
from contest.domain.signals import round_signals


def _false_positives(seeds: int) -> tuple[int, int, int, int, int, list[int]]:
    honest_flagged = honest_total = found = planted = full_rings = 0
    hidden: list[int] = []  # seeds whose ring copied a sheet too right to show (see below)
    for seed in range(seeds):
        pop = scenario(honest=2000, seed=100 + seed)
        result = round_signals(pop.sheets, pop.traces, pop.starts, pop.accounts)
        flagged = {p for c in result.clusters for p in c.participant_ids}
        honest_flagged += len(flagged & pop.honest)
        honest_total += len(pop.honest)
        if not ring_sheet_shows(pop):
            hidden.append(100 + seed)
        for case, members in pop.planted.items():
            planted += 1
            # a case is found when at least 3 of its accounts (or all, if fewer) are flagged
            found += len(members & flagged) >= min(3, len(members))
            if case == "ring":
                full_rings += members <= flagged
    return honest_flagged, honest_total, found, planted, full_rings, hidden


def _timed(attempts: int) -> tuple[float, float, int, int, bool, int, int]:
    """One round of `attempts` (a third as many honest people, 3 attempts each) with a ring of 5:
    the time, whether the ring is found whole and how many honest people are flagged."""
    people = attempts // 3
    r = Round(seed=11, bank_size=50, paper=20)
    r.honest(people, attempts_each=3)
    r.ring(list(range(people + 1, people + 6)))
    pop = r.pop
    start, cpu = time.perf_counter(), time.process_time()
    result = round_signals(pop.sheets, pop.traces, pop.starts, pop.accounts)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    flagged = {p for c in result.clusters for p in c.participant_ids}
    return (
        elapsed,
        cpu,
        result.similarity.candidate_pairs,
        peak_mib,
        pop.planted["ring"] <= flagged,
        len(flagged & pop.honest),
        len(pop.honest),
    )


def run() -> list[Figure]:
    seeds = int(os.environ.get("CONTEST_BENCH_SIGNALS_SEEDS", "10"))
    attempts = int(os.environ.get("CONTEST_BENCH_SIGNALS_ATTEMPTS", "300000"))
    honest_flagged, honest_total, found, planted, full_rings, hidden = _false_positives(seeds)
    rate = 100 * honest_flagged / honest_total
    elapsed, cpu, candidates, peak, ring_found, big_flagged, big_honest = _timed(attempts)
    big_rate = 100 * big_flagged / big_honest
    hidden_note = (
        f" (seeds {', '.join(map(str, hidden))}: the ring copied a sheet so right that no two "
        "members share 3 wrong answers, which answers alone cannot tell from strong honest "
        "people)"
        if hidden
        else ""
    )
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
                "answerers, papers of 20 from 40 questions, a reading pace each, 30 % starting "
                "in the opening rush)"
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
                f"ring found whole in {full_rings} of {seeds} seeds{hidden_note}"
            ),
        ),
        Figure(
            name=f"cheating signals for {attempts:,} attempts",
            value=round(elapsed, 1),
            unit="s",
            bar=f"≤ {budget:,.0f} s (5 min at 300,000)",
            ok=elapsed <= budget,
            note=(
                f"one core, wall time; {cpu:.1f} s of CPU; {candidates:,} candidate pairs; "
                f"peak memory {peak:,} MiB"
            ),
        ),
        Figure(
            name=f"cheating signals at {attempts:,} attempts: ring of 5 found whole",
            value=int(ring_found),
            unit="of 1",
            bar="1",
            ok=ring_found,
            note=(
                "the ring copies one sheet in the opening rush, as at 2,000 entries; rarity "
                "thresholds rise by 1 for each tenfold of entries beyond 1,000"
            ),
        ),
        Figure(
            name=f"cheating signals at {attempts:,} attempts: honest participants flagged",
            value=round(big_rate, 3),
            unit="%",
            bar="< 1 %",
            ok=big_rate < 1,
            note=f"{big_flagged:,} of {big_honest:,} (3 attempts each)",
        ),
    ]
