import random
from datetime import UTC, datetime, timedelta

import pytest

from contest.domain.errors import InvalidInput
from contest.domain.signals import (
    SETTING_MEANINGS,
    AccountFacts,
    AnswerSheet,
    EntryTiming,
    SaveTrace,
    SignalKind,
    SignalSettings,
    StartEvent,
    account_links,
    agreement_tail_log10,
    answer_similarity,
    clusters_of,
    normalise_email,
    normalise_phone,
    poisson_tail_log10,
    product_tail_log10,
    round_signals,
    seconds_per_answer,
    settings_from,
    start_bursts,
    timing_signals,
)

T0 = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)


def test_every_setting_says_what_it_means_in_both_languages():
    for name in SignalSettings.__dataclass_fields__:
        meaning = SETTING_MEANINGS[name]
        assert meaning.meaning_vi and meaning.meaning_en and meaning.label_vi


def test_settings_from_form_values_accept_decimal_commas_and_report_every_bad_field():
    assert settings_from({"min_agreement": "0,9"}).min_agreement == 0.9
    assert settings_from({}) == SignalSettings()
    with pytest.raises(InvalidInput) as caught:
        settings_from({"min_agreement": "2", "device_accounts": "ba", "min_evidence": ""})
    fields = caught.value.by_field()
    assert set(fields) == {"min_agreement", "device_accounts"}
    assert "phải từ 0 đến 1" in fields["min_agreement"].message_vi
    assert "whole number" in fields["device_accounts"].message_en


def test_poisson_tail_matches_hand_figures():
    # P(X >= 1 | 1) = 1 - e^-1 = 0.632 → 0.199
    assert poisson_tail_log10(1, 1.0) == pytest.approx(0.199, abs=1e-3)
    # P(X >= 5 | 0.5) ≈ 1.72e-4 → 3.76
    assert poisson_tail_log10(5, 0.5) == pytest.approx(3.76, abs=0.01)
    assert poisson_tail_log10(0, 3.0) == 0.0


def test_agreement_tail_of_certain_and_coin_events():
    assert agreement_tail_log10([0.5] * 10, 10) == pytest.approx(10 * 0.30103, abs=1e-6)
    assert agreement_tail_log10([0.5] * 10, 0) == 0.0
    # at least 9 of 10 fair coins: 11/1024
    assert agreement_tail_log10([0.5] * 10, 9) == pytest.approx(
        -__import__("math").log10(11 / 1024)
    )


def _bank(rng, size=40):
    """(question, correct option, wrong options ordered by attractiveness)."""
    return [(q, f"{q}-a", [f"{q}-b", f"{q}-c", f"{q}-d"]) for q in range(1, size + 1)]


def _honest(rng, bank, attempt_id, pid, skill, paper=20):
    answers = []
    for q, right, wrong in rng.sample(bank, paper):
        if rng.random() < skill:
            answers.append((q, right, True))
        else:
            answers.append((q, rng.choices(wrong, weights=[5, 3, 2])[0], False))
    return AnswerSheet(attempt_id, pid, tuple(answers))


def test_two_entries_copying_each_other_are_paired_with_their_shared_wrong_choices():
    rng = random.Random(1)
    bank = _bank(rng)
    sheets = [_honest(rng, bank, i, i, rng.uniform(0.5, 0.9), paper=30) for i in range(1, 301)]
    source = sheets[0]
    # entry 999 copies entry 1 answer for answer, wrong choices included
    sheets.append(AnswerSheet(999, 999, source.answers))
    found, stats = answer_similarity(sheets)
    pairs = [e for e in found if e.kind is SignalKind.SHARED_ANSWERS]
    assert [set(e.attempt_ids) for e in pairs] == [{1, 999}]
    detail = pairs[0].detail
    wrong_in_source = [(q, o) for q, o, ok in source.answers if not ok]
    assert detail["shared_wrong"] == len(wrong_in_source)
    assert {(q, o) for q, o, _ in detail["shared_wrong_choices"]} == set(wrong_in_source)
    assert detail["identical"] == detail["common"] == 30
    assert detail["expected_identical"] < 30
    assert pairs[0].score >= SignalSettings().min_evidence
    assert stats.candidate_pairs < 300 * 299 / 2 / 10  # bucketing, not all pairs


def test_agreeing_only_on_right_answers_is_no_evidence():
    rng = random.Random(2)
    bank = _bank(rng)
    sheets = [_honest(rng, bank, i, i, 0.7) for i in range(1, 200)]
    perfect = tuple((q, right, True) for q, right, _ in bank[:20])
    sheets += [AnswerSheet(500, 500, perfect), AnswerSheet(501, 501, perfect)]
    found, _ = answer_similarity(sheets)
    assert not [e for e in found if {500, 501} & set(e.participant_ids)]


def test_two_entries_of_one_participant_are_never_paired():
    rng = random.Random(3)
    bank = _bank(rng)
    sheets = [_honest(rng, bank, i, i, 0.7) for i in range(1, 200)]
    sheets.append(AnswerSheet(900, 1, sheets[0].answers))  # participant 1 again, same answers
    found, _ = answer_similarity(sheets)
    assert not found


def test_a_group_answering_from_one_sheet_is_found_even_where_papers_barely_overlap():
    rng = random.Random(4)
    bank = _bank(rng, 40)
    sheets = [_honest(rng, bank, i, i, rng.uniform(0.4, 0.95)) for i in range(1, 1001)]
    sheet = {
        q: (q, rng.choice(wrong), False) if rng.random() < 0.45 else (q, right, True)
        for q, right, wrong in bank
    }
    for k in range(6):
        paper = rng.sample(bank, 20)
        sheets.append(AnswerSheet(2000 + k, 2000 + k, tuple(sheet[q] for q, _, _ in paper)))
    found, _ = answer_similarity(sheets)
    groups = [e for e in found if e.kind is SignalKind.SHARED_SHEET]
    assert groups, "the ring's sheet was not found"
    members = set(groups[0].participant_ids)
    assert len(members & set(range(2000, 2006))) >= 4
    assert members <= set(range(2000, 2006))
    assert groups[0].detail["sheet_wrong_choices"]


def test_independent_chances_multiply_by_fishers_rule():
    assert product_tail_log10([]) == 0
    assert product_tail_log10([2.5]) == pytest.approx(2.5)
    # two chances of 1 in 100: P(U1 U2 <= 1e-4) = 1e-4 (1 + ln 1e4)
    math = __import__("math")
    assert product_tail_log10([2, 2]) == pytest.approx(-math.log10(1e-4 * (1 + math.log(1e4))))
    assert product_tail_log10([2, 0]) < 2  # a figure of no weight still costs its look


def _spread_traces(count, first_id=1, pace=15.0, rush=0):
    """`rush` entries starting in the 30 minutes after T0, the rest spread over a week."""
    traces = []
    for k in range(count):
        offset = (
            timedelta(minutes=30 * k / max(rush, 1)) if k < rush else timedelta(days=7) * k / count
        )
        traces.append(_trace(first_id + k, first_id + k, [pace] * 20, T0 + offset))
    return traces


def test_starting_close_counts_for_little_in_the_opening_rush_and_much_on_a_quiet_day():
    traces = _spread_traces(1000, rush=500)
    quiet = T0 + timedelta(days=3, hours=2)
    traces += [
        _trace(5001, 5001, [15.0] * 20, T0 + timedelta(minutes=10)),
        _trace(5002, 5002, [15.0] * 20, T0 + timedelta(minutes=11)),
        _trace(5003, 5003, [4.0] * 20, quiet),
        _trace(5004, 5004, [5.0] * 20, quiet + timedelta(minutes=1)),
    ]
    timing = EntryTiming.of(traces, SignalSettings())
    in_rush = timing.pair(5001, 5002)
    on_quiet_day = timing.pair(5003, 5004)
    assert in_rush["start_rarity_log10"] < 1.5  # ~17 others start within that minute
    assert on_quiet_day["start_rarity_log10"] > 2.5
    assert in_rush["pace_rarity_log10"] == 0  # the round's usual pace
    assert on_quiet_day["pace_seconds"] == 5.0
    assert on_quiet_day["pace_rarity_log10"] > 5  # both faster than 1,002 of 1,004 entries


def test_copied_answers_weigh_more_when_the_two_started_together_at_copying_speed():
    rng = random.Random(5)
    bank = _bank(rng)
    sheets = [_honest(rng, bank, i, i, rng.uniform(0.5, 0.9)) for i in range(1, 1001)]
    traces = _spread_traces(1000)
    source = _honest(rng, bank, 3001, 3001, 0.6)
    right = {q: r for q, r, _ in bank}
    # a copy of 17 of the 20 answers; the other 3 answered right
    copy = AnswerSheet(
        3002,
        3002,
        source.answers[:17] + tuple((q, right[q], True) for q, _, _ in source.answers[17:]),
    )
    sheets += [source, copy]
    quiet = T0 + timedelta(days=4, hours=3, minutes=7)
    together = [_trace(3001, 3001, [4.0] * 20, quiet), _trace(3002, 3002, [5.0] * 20, quiet)]
    apart = [
        _trace(3001, 3001, [15.0] * 20, T0 + timedelta(days=1)),
        _trace(3002, 3002, [15.0] * 20, T0 + timedelta(days=5)),
    ]
    low = SignalSettings(min_evidence=0, min_ring_evidence=0, min_shared_wrong=2)

    def pair(extra, settings=low):
        found, _ = answer_similarity(sheets, settings, traces + extra)
        return [e for e in found if set(e.participant_ids) == {3001, 3002}]

    (with_timing,) = pair(together)
    (without,) = pair(apart)
    assert with_timing.detail["timing_counted"] and not without.detail["timing_counted"]
    assert with_timing.score > without.score + 2
    assert "started" in with_timing.message_en and "bắt đầu cách" in with_timing.message_vi
    assert "started" not in without.message_en
    # at a threshold between the two, only the pair that started together is raised
    between = (with_timing.score + without.score) / 2
    settings = SignalSettings(min_evidence=between, min_shared_wrong=2)
    assert pair(together, settings) and not pair(apart, settings)
    # and with the setting off, timing is not weighed at all
    off = SignalSettings(min_evidence=0, min_ring_evidence=0, min_shared_wrong=2, timing_evidence=0)
    (plain,) = pair(together, off)
    assert "start_gap_seconds" not in plain.detail


def _trace(aid, pid, gaps, start=T0):
    t, saved = start, []
    for g in gaps:
        t += timedelta(seconds=g)
        saved.append(t)
    return SaveTrace(aid, pid, start, tuple(saved))


def test_time_per_answer_splits_one_form_post_between_its_answers():
    trace = SaveTrace(1, 1, T0, (T0 + timedelta(seconds=10),) * 2 + (T0 + timedelta(seconds=16),))
    assert seconds_per_answer(trace) == [5.0, 5.0, 6.0]


def test_answers_saved_faster_than_reading_are_flagged_and_steady_readers_are_not():
    fast = _trace(1, 1, [0.4] * 20)
    reader = _trace(2, 2, [12, 30, 8, 19, 25, 14, 9, 40, 22, 17])
    one_post = SaveTrace(3, 3, T0, (T0 + timedelta(seconds=300),) * 20)  # no-script page
    found = timing_signals([fast, reader, one_post])
    assert [(e.kind, e.participant_ids) for e in found] == [(SignalKind.FAST_SAVES, (1,))]
    assert found[0].detail["median_seconds"] == pytest.approx(0.4)


def test_identical_answer_rhythms_across_accounts_are_linked():
    rng = random.Random(5)
    script = [3.0, 7.0, 2.0, 9.0, 4.0, 6.0, 5.0, 8.0]
    traces = [
        _trace(1, 1, script),
        _trace(2, 2, [g + 0.2 for g in script], start=T0 + timedelta(hours=3)),
        *[_trace(10 + i, 10 + i, [rng.uniform(5, 40) for _ in range(8)]) for i in range(50)],
    ]
    found = [e for e in timing_signals(traces) if e.kind is SignalKind.IDENTICAL_TIMING]
    assert [e.participant_ids for e in found] == [(1, 2)]


def test_starts_bunched_on_one_device_are_a_burst_and_spread_ones_are_not():
    starts = [
        StartEvent(i, i, T0 + timedelta(minutes=2 * i), "1.2.3.4", "phone-x") for i in range(3)
    ]
    starts += [
        StartEvent(10 + i, 10 + i, T0 + timedelta(hours=i), "1.2.3.4", "phone-y") for i in range(3)
    ]
    found = start_bursts(starts)
    assert [(e.kind, e.participant_ids) for e in found] == [
        (SignalKind.START_BURST_DEVICE, (0, 1, 2))
    ]


def _week_of_starts(addresses=200, per_address=10, first_id=1000):
    """Starts spread over a week from many addresses: the round's ordinary pace."""
    step = timedelta(days=7) / (addresses * per_address)
    return [
        StartEvent(first_id + k, first_id + k, T0 + k * step, f"100.64.0.{k % addresses}", f"w{k}")
        for k in range(addresses * per_address)
    ]


def test_starts_from_one_school_address_need_many_accounts():
    starts = _week_of_starts() + [
        StartEvent(i, i, T0 + timedelta(seconds=10 * i), "10.0.0.1", f"d{i}") for i in range(29)
    ]
    assert start_bursts(starts) == []
    starts.append(StartEvent(29, 29, T0 + timedelta(seconds=290), "10.0.0.1", "d29"))
    (burst,) = start_bursts(starts)
    assert burst.kind is SignalKind.START_BURST_ADDRESS
    assert burst.detail["expected"] < 1 and "expected" in burst.message_en


def test_a_shared_address_in_the_opening_rush_is_no_burst_when_it_brings_its_share():
    # 2,000 people start within 10 minutes of the opening from 40 operator addresses (50 each);
    # every address brings about its share of the rush, which is no evidence
    rush = [
        StartEvent(k, k, T0 + timedelta(seconds=0.3 * k), f"100.64.1.{k % 40}", f"r{k}")
        for k in range(2000)
    ]
    starts = _week_of_starts() + rush
    assert [e for e in start_bursts(starts) if e.kind is SignalKind.START_BURST_ADDRESS] == []
    # the same 50 accounts from a home address that starts nothing else on a quiet day are
    burst = [
        StartEvent(5000 + k, 5000 + k, T0 + timedelta(days=3, seconds=10 * k), "10.9.9.9", f"h{k}")
        for k in range(50)
    ]
    found = start_bursts(_week_of_starts() + burst)
    assert [e.kind for e in found] == [SignalKind.START_BURST_ADDRESS]


def _account(pid, name="Nguyễn Văn An", cid="020090012345", device="", **kw):
    base = dict(
        participant_id=pid,
        full_name=name,
        citizen_id=cid,
        phone=f"09{pid:08d}",
        email=None,
        registered_at=T0 + timedelta(days=pid),
        registered_address=f"10.0.{pid}.1",
        registered_device=device or f"dev-{pid}",
    )
    base.update(kw)
    base.setdefault("devices", frozenset({base["registered_device"]}))
    return AccountFacts(**base)


def test_phone_and_email_are_compared_in_one_form():
    assert normalise_phone("+84 912 345 678") == normalise_phone("0912.345.678") == "0912345678"
    assert normalise_email("An.Nguyen+thi@Gmail.com") == normalise_email("annguyen@gmail.com")
    assert normalise_email("an+x@example.vn") == "an@example.vn"


def test_accounts_on_one_device_with_family_ids_are_linked_twice():
    accounts = [
        _account(1, "Hoàng Văn Bảo", "020090000001", device="shared"),
        _account(2, "Hoàng Thị Cúc", "020192000002", device="shared"),
        _account(3, "Lý Văn Dũng", "014090000003", device="shared"),
        _account(4, "Hoàng Văn Em", "020090000004"),
    ]
    found = account_links(accounts)
    kinds = {(e.kind, e.participant_ids) for e in found}
    assert kinds == {
        (SignalKind.SHARED_DEVICE, (1, 2, 3)),
        (SignalKind.FAMILY_DEVICE, (1, 2)),
    }


def test_shared_phone_email_and_registrations_together_from_one_address():
    accounts = [
        _account(1, phone="0912345678", email="a.b@gmail.com"),
        _account(2, phone="+84912345678"),
        _account(3, email="ab@gmail.com"),
        *[
            _account(
                10 + i,
                registered_address="27.72.1.1",
                registered_at=T0 + timedelta(minutes=2 * i),
            )
            for i in range(5)
        ],
    ]
    found = {(e.kind, e.participant_ids) for e in account_links(accounts)}
    assert found == {
        (SignalKind.SHARED_PHONE, (1, 2)),
        (SignalKind.SHARED_EMAIL, (1, 3)),
        (SignalKind.REGISTRATION_ADDRESS, (10, 11, 12, 13, 14)),
    }


def test_clusters_join_accounts_through_any_evidence_and_give_one_line_reasons():
    accounts = [
        _account(1, device="shared"),
        _account(2, device="shared"),
        _account(3, phone="0900000002"),  # account 2's phone
        _account(4),
    ]
    evidence = account_links(accounts) + timing_signals([_trace(7, 9, [0.3] * 10)])
    clusters = clusters_of(evidence)
    joined = {c.participant_ids: c for c in clusters}
    assert set(joined) == {(1, 2, 3), (9,)}
    assert joined[(1, 2, 3)].reason_vi.startswith("3 tài khoản: ")
    assert "one device" in joined[(1, 2, 3)].reason_en
    assert "one phone number" in joined[(1, 2, 3)].reason_en
    assert "faster than reading" in joined[(9,)].reason_en
    assert joined[(9,)].attempt_ids == (7,)


def test_an_empty_or_single_entry_round_has_no_signals():
    assert round_signals([], [], [], []).clusters == ()
    one = AnswerSheet(1, 1, ((1, "1-b", False), (2, "2-b", False), (3, "3-b", False)))
    assert round_signals([one], [], [], []).clusters == ()
