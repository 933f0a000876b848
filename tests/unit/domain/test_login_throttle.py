"""Sign-in delays: growing, capped, never for a trusted device; alerts once per threshold."""

from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.login_throttle import (
    FailureCounts,
    ThrottlePolicy,
    delay_after,
    device_is_trusted,
    raises_alert,
    wait_seconds,
)

NOW = datetime(2023, 7, 10, 3, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


@pytest.mark.parametrize(
    "failures, expected", [(0, 0), (4, 0), (5, 1), (6, 2), (9, 16), (13, 256), (14, 300), (99, 300)]
)
def test_delays_double_after_the_free_failures_up_to_the_cap(failures, expected):
    assert delay_after(failures, 5, 300) == expected


def test_a_wait_counts_from_the_last_failure():
    counts = FailureCounts(from_address=7, last_from_address=NOW - timedelta(seconds=1))
    assert wait_seconds(counts, trusted=False, now=NOW, policy=POLICY) == 3
    assert wait_seconds(counts, trusted=False, now=NOW + timedelta(seconds=3), policy=POLICY) == 0


def test_many_addresses_together_are_slowed_by_the_account_counter():
    counts = FailureCounts(from_address=0, untrusted=25, last_untrusted=NOW - timedelta(seconds=2))
    assert wait_seconds(counts, trusted=False, now=NOW, policy=POLICY) == 30


def test_a_trusted_device_never_waits_for_failures_made_elsewhere():
    counts = FailureCounts(
        from_address=50, last_from_address=NOW, untrusted=500, last_untrusted=NOW, from_device=0
    )
    assert device_is_trusted(True, counts, POLICY)
    assert wait_seconds(counts, trusted=True, now=NOW, policy=POLICY) == 0


def test_a_device_that_fails_itself_is_no_longer_trusted():
    assert not device_is_trusted(True, FailureCounts(from_device=10), POLICY)
    assert not device_is_trusted(False, FailureCounts(), POLICY)


@pytest.mark.parametrize(
    "failures, alert", [(19, False), (20, True), (21, False), (40, True), (60, False), (80, True)]
)
def test_the_staff_are_alerted_once_per_threshold(failures, alert):
    assert raises_alert(failures, POLICY) is alert
