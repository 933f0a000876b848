from datetime import UTC, date, datetime, timedelta

import pytest

from contest.domain import eligibility
from contest.domain.eligibility import (
    AttemptFacts,
    Decision,
    FlagCode,
    Profile,
    ScreeningRules,
    citizen_id_problems,
    decide,
    duplicate_citizen_id_flags,
    screen_attempt,
    screen_profile,
    screen_round,
    verdicts_for,
)
from contest.domain.errors import ContestError

T0 = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)  # Monday 10:00 in Hà Nội
RULES = ScreeningRules(
    age_cutoff=date(2023, 7, 3),
    excluded_citizen_ids=frozenset({"020090001234"}),
    opens_at=T0,
    closes_at=T0 + timedelta(days=7, hours=-1),
    known_unit_ids=frozenset({"tp-lang-son", "cao-loc"}),
)


def profile(pid="p1", **changes):
    base = dict(
        participant_id=pid,
        full_name="Nguyễn Văn An",
        date_of_birth=date(1990, 5, 17),
        gender="male",
        citizen_id="020090012345",
        phone="0912345678",
        unit_id="cao-loc",
        registered_at=T0,
    )
    base.update(changes)
    return Profile(**base)


def codes(flags):
    return [f.code for f in flags]


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("a complete valid profile", {}, []),
        ("missing phone", {"phone": None}, [FlagCode.PROFILE_INCOMPLETE]),
        ("blank name", {"full_name": "  "}, [FlagCode.PROFILE_INCOMPLETE]),
        ("citizen id of 11 digits", {"citizen_id": "02009001234"}, [FlagCode.PROFILE_INVALID]),
        ("citizen id year disagrees", {"citizen_id": "020091012345"}, [FlagCode.PROFILE_INVALID]),
        ("citizen id gender disagrees", {"citizen_id": "020190012345"}, [FlagCode.PROFILE_INVALID]),
        ("unknown province code", {"citizen_id": "003090012345"}, [FlagCode.PROFILE_INVALID]),
        ("bad phone", {"phone": "12345"}, [FlagCode.PROFILE_INVALID]),
        ("unit outside the contest", {"unit_id": "ha-noi"}, [FlagCode.PROFILE_INVALID]),
        ("excluded staff", {"citizen_id": "020090001234"}, [FlagCode.EXCLUDED_STAFF]),
        (
            "eleven years old at the cut-off",
            {"date_of_birth": date(2011, 7, 4), "citizen_id": "020211012345"},
            [FlagCode.UNDER_AGE],
        ),
        (
            "twelve exactly on the cut-off day",
            {"date_of_birth": date(2011, 7, 3), "citizen_id": "020211012345"},
            [],
        ),
        (
            "a woman born in 2005",
            {"date_of_birth": date(2005, 1, 1), "gender": "female", "citizen_id": "020305012345"},
            [],
        ),
    ],
)
def test_profile_rules(name, changes, expected):
    assert codes(screen_profile(profile(**changes), RULES)) == expected


def test_flags_explain_themselves_in_both_languages():
    (flag,) = screen_profile(profile(phone=None, unit_id=None), RULES)
    assert flag.message_vi == "Thiếu thông tin: số điện thoại, đơn vị."
    assert flag.message_en == "Missing: phone, unit."


def test_old_nine_digit_id_is_accepted_only_when_the_rules_allow_it():
    assert citizen_id_problems("123456789", date(1990, 1, 1), "male")
    assert not citizen_id_problems("123456789", date(1990, 1, 1), "male", allow_old_id=True)


def test_one_account_per_citizen_id_keeps_the_earliest_registration():
    flags = duplicate_citizen_id_flags(
        [
            profile("late", registered_at=T0 + timedelta(hours=2)),
            profile("early", registered_at=T0),
            profile("other", citizen_id="020090099999"),
        ]
    )
    assert set(flags) == {"late"}
    assert flags["late"].code is FlagCode.DUPLICATE_CITIZEN_ID
    assert "early" in flags["late"].message_en


def test_duplicate_accounts_registered_at_the_same_moment_are_all_flagged():
    flags = duplicate_citizen_id_flags([profile("a"), profile("b")])
    assert set(flags) == {"a", "b"}


def attempt(aid="a1", pid="p1", n=20, answered=20, start=T0 + timedelta(hours=1), seconds=600):
    return AttemptFacts(aid, pid, n, answered, start, start + timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("name", "facts", "rules", "expected"),
    [
        ("an ordinary attempt", attempt(), RULES, []),
        ("two unanswered questions", attempt(answered=18), RULES, [FlagCode.UNANSWERED_QUESTIONS]),
        (
            "unanswered allowed by the rules",
            attempt(answered=18),
            ScreeningRules(require_all_answered=False),
            [],
        ),
        (
            "started before the window",
            attempt(start=T0 - timedelta(minutes=1)),
            RULES,
            [FlagCode.OUTSIDE_WINDOW],
        ),
        (
            "submitted after the window",
            attempt(start=T0 + timedelta(days=7, hours=-1, minutes=-5), seconds=600),
            RULES,
            [FlagCode.OUTSIDE_WINDOW],
        ),
        (
            "twenty questions in nine seconds",
            attempt(seconds=9),
            RULES,
            [FlagCode.IMPLAUSIBLY_FAST],
        ),
        ("twenty questions in twenty seconds", attempt(seconds=20), RULES, []),
        (
            "a stricter threshold per question",
            attempt(seconds=50),
            ScreeningRules(min_seconds_per_question=3),
            [FlagCode.IMPLAUSIBLY_FAST],
        ),
    ],
)
def test_attempt_rules(name, facts, rules, expected):
    assert codes(screen_attempt(facts, rules)) == expected


def test_implausibly_fast_message_uses_vietnamese_decimals():
    (flag,) = screen_attempt(attempt(seconds=9.5), RULES)
    assert "9,5 giây" in flag.message_vi and "9.5 seconds" in flag.message_en


def decision(eligible, minutes, subject="a1", reason="Đã xác minh"):
    return Decision(subject, eligible, reason, "verified", "chair", T0 + timedelta(minutes=minutes))


def test_no_flags_and_no_decision_is_eligible():
    verdict = decide("a1", [], [])
    assert verdict.eligible and verdict.reason_en == "Eligible"


def test_a_flag_makes_the_subject_ineligible_until_the_committee_decides():
    flags = screen_attempt(attempt(seconds=9), RULES)
    verdict = decide("a1", flags, [])
    assert not verdict.eligible and verdict.needs_decision


def test_the_latest_decision_wins_and_the_trail_keeps_everything():
    flags = screen_attempt(attempt(seconds=9), RULES)
    first, second = decision(True, 10), decision(False, 30, reason="Gian lận")
    verdict = decide("a1", flags, [second, first])
    assert not verdict.eligible
    assert verdict.decisions == (first, second)
    assert verdict.trail == (*flags, first, second)
    assert verdict.reason_vi == "Gian lận"


def test_a_later_decision_reverses_an_earlier_one():
    verdict = decide("a1", [], [decision(False, 10, reason="Sai thông tin"), decision(True, 20)])
    assert verdict.eligible and len(verdict.decisions) == 2


def test_decisions_at_the_same_moment_follow_the_recorded_order():
    verdict = decide("a1", [], [decision(False, 10, reason="x"), decision(True, 10)])
    assert verdict.eligible


@pytest.mark.parametrize(("reason_vi", "reason_en", "by"), [("", " ", "chair"), ("Lý do", "", " ")])
def test_a_decision_needs_a_reason_and_a_decider(reason_vi, reason_en, by):
    with pytest.raises(ContestError):
        Decision("a1", False, reason_vi, reason_en, by, T0)


def test_screening_a_round_combines_profile_and_attempt_flags():
    profiles = [
        profile("p1"),
        profile("p2", full_name="Trần Văn Bình", citizen_id="020090012346", phone=None),
        profile("p3", citizen_id="020090012345", registered_at=T0 + timedelta(days=1)),
    ]
    attempts = [
        attempt("a1", "p1"),
        attempt("a2", "p1", seconds=5),
        attempt("b1", "p2"),
        attempt("c1", "p3"),
    ]
    decisions = [
        decision(True, 5, subject="a2", reason="Mạng chậm, đã kiểm tra nhật ký"),
        decision(True, 6, subject="p2", reason="Đã bổ sung số điện thoại"),
    ]
    verdicts = screen_round(profiles, attempts, RULES, decisions)
    assert {aid: v.eligible for aid, v in verdicts.items()} == {
        "a1": True,
        "a2": True,
        "b1": True,
        "c1": False,
    }
    assert codes(verdicts["c1"].flags) == [FlagCode.DUPLICATE_CITIZEN_ID]
    assert codes(verdicts["b1"].flags) == [FlagCode.PROFILE_INCOMPLETE]


def test_an_attempt_of_an_unknown_participant_is_refused():
    with pytest.raises(ContestError):
        screen_round([], [attempt()], RULES)


def test_verdicts_for_works_use_decisions_alone():
    ruling = decision(False, 1, subject="w2", reason="Sai thể thức")
    verdicts = verdicts_for({"w1": (), "w2": ()}, [ruling])
    assert verdicts["w1"].eligible and not verdicts["w2"].eligible


# --- a person, not only an attempt ---------------------------------------------------------

OTHER = dict(full_name="Trần Thị Bình", gender="female", citizen_id="020190054321")


@pytest.mark.parametrize(
    ("name", "second", "flagged", "words"),
    [
        ("strangers", profile("p2", phone="0987654321", **OTHER), set(), None),
        (
            "same name and date of birth under another CCCD",
            profile("p2", citizen_id="020090099999", phone="0987654321"),
            {"p1", "p2"},
            "cùng họ tên và ngày sinh",
        ),
        (
            "same phone under another name",
            profile("p2", **OTHER),
            {"p1", "p2"},
            "cùng số điện thoại",
        ),
        (
            "same email written differently",
            profile("p2", phone="0987654321", email=" AN@Example.vn", **OTHER),
            {"p1", "p2"},
            "cùng thư điện tử",
        ),
        (
            "same browser",
            profile("p2", phone="0987654321", devices=frozenset({"dev-1"}), **OTHER),
            {"p1", "p2"},
            "cùng trình duyệt",
        ),
        (
            "same CCCD is the duplicate flag's business, not this one",
            profile("p2"),
            set(),
            None,
        ),
    ],
)
def test_likely_second_accounts(name, second, flagged, words):
    first = profile("p1", email="an@example.vn", devices=frozenset({"dev-1"}))
    found = eligibility.second_account_flags([first, second])
    assert set(found) == flagged, name
    for flag in found.values():
        assert flag.code is FlagCode.SECOND_ACCOUNT
        assert words in flag.message_vi
        # The other account is named, never only by an internal id.
        assert "CCCD ****" in flag.message_vi and "CCCD ****" in flag.message_en


def test_a_second_account_names_the_other_person():
    found = eligibility.second_account_flags(
        [profile("p1"), profile("p2", citizen_id="020090099999", phone="0987654321")]
    )
    assert "Nguyễn Văn An (CCCD ****9999)" in found["p1"].message_vi
    assert "Nguyễn Văn An (CCCD ****2345)" in found["p2"].message_en


VOIDING = ScreeningRules(opens_at=T0, closes_at=T0 + timedelta(days=7), cheating_voids_all=True)


@pytest.mark.parametrize(
    ("name", "rules", "decisions", "caught_elsewhere", "expected"),
    [
        (
            "by default a fast attempt leaves the clean one standing",
            ScreeningRules(opens_at=T0, closes_at=T0 + timedelta(days=7)),
            [],
            None,
            {"a1": True, "a2": False},
        ),
        (
            "when the rules say so, an undecided fast attempt rules out the clean one",
            VOIDING,
            [],
            None,
            {"a1": False, "a2": False},
        ),
        (
            "the committee upholding the speed flag keeps both out",
            VOIDING,
            [decision(False, 5, subject="a2")],
            None,
            {"a1": False, "a2": False},
        ),
        (
            "clearing the fast attempt frees the clean one",
            VOIDING,
            [decision(True, 5, subject="a2")],
            None,
            {"a1": True, "a2": True},
        ),
        (
            "a decision on the clean attempt itself overrides the rule",
            VOIDING,
            [decision(True, 5, subject="a1")],
            None,
            {"a1": True, "a2": False},
        ),
        (
            "caught in another round rules out this round's attempts",
            VOIDING,
            [],
            {"p1": "x9"},
            {"a1": False, "a2": False},
        ),
        (
            "caught in another round does not matter without the rule",
            ScreeningRules(opens_at=T0, closes_at=T0 + timedelta(days=7)),
            [],
            {"p1": "x9"},
            {"a1": True, "a2": False},
        ),
    ],
)
def test_a_caught_cheater_and_their_other_attempts(
    name, rules, decisions, caught_elsewhere, expected
):
    verdicts = screen_round(
        [profile("p1"), profile("p2", phone="0987654321", **OTHER)],
        [attempt("a1", "p1"), attempt("a2", "p1", seconds=3), attempt("b1", "p2")],
        rules,
        decisions,
        caught_elsewhere,
    )
    assert {k: verdicts[k].eligible for k in expected} == expected, name
    assert verdicts["b1"].eligible, "another person is never touched"
    if not expected["a1"] and not decisions:
        assert FlagCode.CAUGHT_ELSEWHERE in codes(verdicts["a1"].flags)


def test_caught_cheating_names_the_attempt_that_was_caught():
    verdicts = {
        "a1": decide("a1", screen_attempt(attempt("a1", seconds=3), RULES), []),
        "a2": decide("a2", screen_attempt(attempt("a2", answered=3), RULES), []),
        "b1": decide("b1", screen_attempt(attempt("b1", "p2"), RULES), []),
    }
    owners = {"a1": "p1", "a2": "p3", "b1": "p2"}
    # An unanswered attempt is short of the rules, not cheating.
    assert eligibility.caught_cheating(verdicts, owners) == {"p1": "a1"}


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("quiz", FlagCode.IMPLAUSIBLY_FAST, FlagCode.DUPLICATE_WORK),
        ("works", FlagCode.DUPLICATE_WORK, FlagCode.IMPLAUSIBLY_FAST),
    ],
)
def test_flags_offered_follow_the_contest_kind(kind, shown, hidden):
    codes_ = eligibility.flag_codes_for(kind)
    assert shown in codes_ and hidden not in codes_
    assert FlagCode.EXCLUDED_STAFF in codes_


def test_every_flag_has_words_in_both_languages():
    for code in FlagCode:
        vi, en = eligibility.FLAG_WORDS[code]
        assert vi and en and vi != en and "_" not in vi + en
    assert eligibility.flag_words("implausibly_fast", "en") == "Implausibly fast"
