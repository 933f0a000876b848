"""The planted ring over many simulated rounds: found whole, with few honest people flagged.

A ring copies one sheet; members' papers draw 20 of 40 questions, so two members share about 10
questions and a few wrong answers, and no single pair of them may stand out. The ring must be
found whole all the same, round after round, not only for one lucky seed."""

import pytest

from bench.signals_population import ring_sheet_shows, scenario
from contest.domain.signals import round_signals

SMALL_SEEDS = range(40)


def _flagged(population):
    result = round_signals(
        population.sheets, population.traces, population.starts, population.accounts
    )
    return {p for c in result.clusters for p in c.participant_ids}


def test_the_ring_is_found_whole_in_nearly_every_small_round_and_honest_flags_stay_under_1_percent():
    whole, missed = 0, []
    for seed in SMALL_SEEDS:
        population = scenario(honest=500, seed=seed)
        flagged = _flagged(population)
        honest_flagged = flagged & population.honest
        assert len(honest_flagged) < 0.01 * len(population.honest), (seed, sorted(honest_flagged))
        for case in ("device", "fast"):
            assert population.planted[case] <= flagged, (seed, case)
        ring = population.planted["ring"]
        if ring <= flagged:
            whole += 1
        else:
            missed.append(seed)
            # A miss is only ever a ring copying a sheet with few wrong answers: some member
            # answered all but a handful right, which honest strong people also do.
            wrong = [
                sum(not ok for _, _, ok in s.answers)
                for s in population.sheets
                if s.participant_id in ring - flagged
            ]
            assert min(wrong) <= 5, (seed, wrong)
    # measured 38 of 40 (seeds 28 and 37 miss members with 3 to 5 wrong answers of 20) since
    # start times and pace are weighed beside answers; 36 of 40 before (4, 20, 28, 32 missed);
    # 33 of 40 before groups were seeded by open triangles, settled member by member and
    # joined by linked entries
    assert whole >= 38, missed


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 12, 23])
def test_the_acceptance_round_of_2000_finds_the_ring_whole(seed):
    population = scenario(honest=2000, seed=seed)
    assert ring_sheet_shows(population)
    flagged = _flagged(population)
    for case, members in population.planted.items():
        assert members <= flagged, (case, sorted(members - flagged))
    assert len(flagged & population.honest) < 0.01 * len(population.honest)


def test_a_ring_copying_a_sheet_with_few_wrong_answers_is_told_apart_as_not_showing():
    # seed 106 draws a sheet the ring answers 16 to 18 of 20 right from: no two members share
    # three wrong answers, so the answers alone cannot tell them from strong honest people
    population = scenario(honest=2000, seed=106)
    assert not ring_sheet_shows(population)
    assert ring_sheet_shows(scenario(honest=2000, seed=100))
