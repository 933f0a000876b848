"""The acceptance scenario: planted cheating among 2,000 simulated honest participants."""

from bench.signals_population import scenario
from contest.domain.signals import SignalKind, round_signals


def test_planted_ring_device_and_script_are_flagged_and_under_one_percent_of_honest_people():
    population = scenario(honest=2000, seed=7)
    result = round_signals(
        population.sheets, population.traces, population.starts, population.accounts
    )
    flagged = {p for c in result.clusters for p in c.participant_ids}
    for case, members in population.planted.items():
        assert members <= flagged, f"{case} not flagged: {sorted(members - flagged)}"
    honest_flagged = flagged & population.honest
    assert len(honest_flagged) < 0.01 * len(population.honest)

    by_member = {p: c for c in result.clusters for p in c.participant_ids}
    ring = by_member[min(population.planted["ring"])]
    assert SignalKind.SHARED_SHEET in ring.kinds
    device = by_member[min(population.planted["device"])]
    assert {SignalKind.SHARED_DEVICE, SignalKind.FAMILY_DEVICE} <= set(device.kinds)
    fast = by_member[min(population.planted["fast"])]
    assert SignalKind.FAST_SAVES in fast.kinds
    for cluster in (ring, device, fast):
        assert cluster.reason_vi and cluster.reason_en
