"""Rules that decide winners, end to end on a real database: the counting attempt, one prize
per person across rounds, ties kept to the list, four eyes and the states of a list."""

import json
from datetime import timedelta

import pytest
from factories import (
    make_bank,
    make_entrant,
    make_final_attempt,
    make_staff,
    make_weekly_contest,
    plan_tier,
)
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError, PermissionDenied
from contest.models import AuditEntry
from contest.services import prize_lists, prize_plans, prizes, results
from contest.services.context import Actor


def actor(user) -> Actor:
    return Actor("staff", user.id, user.username)


@pytest.fixture
def committee(db):
    member = make_staff(db, "uyvien", ["committee_member"])
    other = make_staff(db, "uyvien2", ["committee_member"])
    chair = make_staff(db, "chutich", ["committee_chair", "committee_member"])
    return actor(member), actor(other), actor(chair)


def close(db, who, round_):
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    return results.close_round(db, who, round_)


# --- the counting attempt ------------------------------------------------------------------


def test_the_closer_prediction_chooses_the_counting_attempt_when_scores_tie(db, committee):
    member, _, _ = committee
    contest = make_weekly_contest(db, "dem-du-doan")
    round_ = contest.rounds[0]
    versions = make_bank(db, "dd-bank", 10)
    an = make_entrant(db, contest, "Nguyễn Văn An", unit_code="LS-TP")
    # Both 10 of 10: the true figure is 1 (An alone), so the slower attempt's 1 is exact.
    fast_far = make_final_attempt(db, round_, an, versions, 10, seconds=100, prediction=50)
    slow_close = make_final_attempt(
        db,
        round_,
        an,
        versions,
        10,
        seconds=400,
        prediction=1,
        number=2,
        start_offset=timedelta(hours=2),
    )
    prize_plans.save_plan(db, member, contest, {"tiers": [plan_tier("first", "Giải Nhất", 1, 1)]})
    report = close(db, member, round_)
    assert report.true_figure == 1
    data = results.load_round(db, round_)
    assert data.counting[an.id].id == slow_close.id != fast_far.id
    row = results.individual_ranking(db, round_, data)[0]
    assert row.attempt.id == slow_close.id and row.entry.prediction_error == 0


# --- four eyes and the states of a list --------------------------------------------------------


@pytest.fixture
def closed_round(db, committee):
    member, _, _ = committee
    contest = make_weekly_contest(db, "bon-mat")
    round_ = contest.rounds[0]
    versions = make_bank(db, "bm-bank", 5)
    for name, correct in (("Nguyễn Văn An", 5), ("Trần Thị Bình", 4)):
        make_final_attempt(
            db, round_, make_entrant(db, contest, name, unit_code="LS-TP"), versions, correct
        )
    prize_plans.save_plan(db, member, contest, {"tiers": [plan_tier("first", "Giải Nhất", 1, 1)]})
    close(db, member, round_)
    return contest, round_


def test_whoever_allocated_a_list_cannot_approve_it(db, committee, closed_round):
    _, member, chair = committee
    contest, round_ = closed_round
    pl = prizes.allocate(db, chair, round_).prize_list
    prize_lists.propose(db, member, pl)
    with pytest.raises(PermissionDenied) as refused:
        prize_lists.approve(db, chair, pl)
    assert "bốn mắt" in refused.value.message_vi and "four eyes" in refused.value.message_en
    assert pl.status == "proposed"


def test_whoever_proposed_a_list_cannot_approve_it_but_another_chair_can(
    db, committee, closed_round
):
    member, _, chair = committee
    contest, round_ = closed_round
    other_chair = actor(make_staff(db, "phochutich", ["committee_chair"]))
    pl = prizes.allocate(db, member, round_).prize_list
    prize_lists.propose(db, chair, pl)
    with pytest.raises(PermissionDenied):
        prize_lists.approve(db, chair, pl)
    prize_lists.approve(db, other_chair, pl)
    assert pl.status == "approved"
    approval = db.execute(
        select(AuditEntry).where(AuditEntry.action == "prizes.approve")
    ).scalar_one()
    assert json.loads(approval.details)["proposed_by"].endswith("chutich")


def test_a_contest_without_four_eyes_lets_the_chair_do_everything(db, committee, closed_round):
    _, _, chair = committee
    contest, round_ = closed_round
    contest.four_eyes = False
    db.commit()
    pl = prizes.allocate(db, chair, round_).prize_list
    prize_lists.propose(db, chair, pl)
    prize_lists.approve(db, chair, pl)
    assert pl.status == "approved"


def test_refilling_a_draft_makes_the_new_allocator_the_one_who_may_not_approve(
    db, committee, closed_round
):
    member, _, chair = committee
    contest, round_ = closed_round
    pl = prizes.allocate(db, chair, round_).prize_list
    again = prizes.allocate(db, member, round_).prize_list
    assert again.id == pl.id and again.allocated_by_id == member.id
    prize_lists.propose(db, member, again)
    prize_lists.approve(db, chair, again)
    assert again.status == "approved"


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        pytest.param(["approved"], "approved", id="a-draft-cannot-be-approved"),
        pytest.param(["published"], "published", id="a-draft-cannot-be-published"),
        pytest.param(
            ["proposed", "proposed"], "proposed", id="a-proposal-cannot-be-proposed-again"
        ),
        pytest.param(["proposed", "published"], "published", id="a-proposal-cannot-be-published"),
        pytest.param(
            ["proposed", "approved", "draft"], "draft", id="an-approved-list-never-goes-back"
        ),
    ],
)
def test_only_the_allowed_moves_of_a_list_are_made(db, committee, closed_round, moves, refused):
    member, _, chair = committee
    contest, round_ = closed_round
    pl = prizes.allocate(db, member, round_).prize_list
    *allowed, last = moves
    for target in allowed:
        prize_lists.transition(db, chair if target == "approved" else member, pl, target)
    before = pl.status
    with pytest.raises((ContestError, PermissionDenied)):
        prize_lists.transition(db, chair, pl, last)
    assert pl.status == before and last == refused


def test_the_allowed_moves_are_what_the_page_may_offer(db, committee, closed_round):
    member, _, chair = committee
    contest, round_ = closed_round
    pl = prizes.allocate(db, member, round_).prize_list
    assert prize_lists.allowed_next(pl) == (prize_lists.ListStatus.PROPOSED,)
    prize_lists.propose(db, member, pl)
    assert prize_lists.allowed_next(pl) == (prize_lists.ListStatus.APPROVED,)
    assert prize_lists.roles_for("approved") == ("committee_chair",)


# --- one prize per person across rounds ---------------------------------------------------------

THREE_TIERS = [
    plan_tier("first", "Giải Nhất", 1, 1),
    plan_tier("second", "Giải Nhì", 2, 1),
    plan_tier("third", "Giải Ba", 3, 1),
]


def two_weeks(db, committee, slug, scope):
    member, _, chair = committee
    contest = make_weekly_contest(db, slug, rounds=2)
    week1, week2 = contest.rounds
    versions = make_bank(db, f"{slug}-bank", 10)
    people = {
        name: make_entrant(db, contest, name, unit_code="LS-TP")
        for name in ("An", "Bình", "Chi", "Dung", "Em", "Giang")
    }
    for name, correct in (("An", 10), ("Chi", 9), ("Bình", 8), ("Dung", 7)):
        make_final_attempt(db, week1, people[name], versions, correct)
    prize_plans.save_plan(db, member, contest, {"tiers": THREE_TIERS, "one_prize_scope": scope})
    close(db, member, week1)
    first = prizes.allocate(db, member, week1).prize_list
    prize_lists.propose(db, member, first)
    prize_lists.approve(db, chair, first)
    # Bình won third in week 1 and now wins first in week 2.
    for name, correct in (("Bình", 10), ("Em", 9), ("Giang", 8)):
        make_final_attempt(db, week2, people[name], versions, correct)
    close(db, member, week2)
    return contest, week1, week2, people, first


def tiers_by_name(pl, people):
    names = {p.id: n for n, p in people.items()}
    return {names[e.participant_id]: e.tier_code for e in pl.entries}


def test_a_later_higher_prize_makes_a_proposed_correction_of_the_earlier_list(db, committee):
    member, _, chair = committee
    contest, week1, week2, people, first = two_weeks(db, committee, "mot-giai", "contest")
    report = prizes.allocate(db, member, week2)
    assert tiers_by_name(report.prize_list, people) == {
        "Bình": "first",
        "Em": "second",
        "Giang": "third",
    }
    (correction,) = report.corrections
    assert (correction.round_id, correction.version, correction.status) == (week1.id, 2, "proposed")
    assert correction.supersedes_id == first.id
    assert tiers_by_name(correction, people) == {"An": "first", "Chi": "second", "Dung": "third"}
    assert "Bình giữ giải cao hơn ở Tuần 2, trả lại Giải Ba" in correction.note
    assert "one prize per person in the whole contest" in correction.note
    assert {e.rule for e in correction.entries} == {"contest_highest"}
    # Until the correction is approved, approving week 2 would give Bình two prizes.
    prize_lists.propose(db, member, report.prize_list)
    with pytest.raises(ContestError) as blocked:
        prize_lists.approve(db, chair, report.prize_list)
    assert "bản đính chính" in blocked.value.message_vi
    prize_lists.approve(db, chair, correction)
    prize_lists.approve(db, chair, report.prize_list)
    awards = results.approved_awards(db, contest.id)
    holders = [a.participant_id for a in awards]
    assert len(holders) == len(set(holders)) == 6


def test_per_round_independently_leaves_the_earlier_list_alone(db, committee):
    member, _, chair = committee
    contest, week1, week2, people, first = two_weeks(db, committee, "tung-dot", "round")
    report = prizes.allocate(db, member, week2)
    assert report.corrections == ()
    assert tiers_by_name(report.prize_list, people) == {
        "Bình": "first",
        "Em": "second",
        "Giang": "third",
    }
    assert {e.rule for e in report.prize_list.entries} == {"per_round"}
    prize_lists.propose(db, member, report.prize_list)
    prize_lists.approve(db, chair, report.prize_list)
    holders = [a.recipient_name for a in results.approved_awards(db, contest.id)]
    assert holders.count("Bình") == 2


# --- collective ties at a quota boundary --------------------------------------------------------


def test_units_tied_at_the_collective_quota_boundary_stay_on_the_list_and_block_proposing(
    db, committee
):
    member, _, _ = committee
    contest = make_weekly_contest(db, "tap-the-dong-hang")
    round_ = contest.rounds[0]
    versions = make_bank(db, "tt-bank", 5)
    # Thành phố 30 %; Tràng Định and Văn Lãng exactly 10,00 % each; two prizes to give.
    for code, count in (("LS-TP", 30), ("LS-TD", 10), ("LS-VL", 10)):
        for k in range(count):
            name = f"Người dự thi {code[3:].lower()} {chr(97 + k % 26)}{chr(97 + k // 26)}"
            p = make_entrant(db, contest, name, unit_code=code)
            make_final_attempt(db, round_, p, versions, 4)
    prize_plans.save_plan(db, member, contest, {"tiers": [plan_tier("first", "Giải Nhất", 1, 1)]})
    prize_plans.save_plan(
        db,
        member,
        contest,
        {
            "criterion": "participation_rate",
            "tiers": [plan_tier("collective", "Giải tập thể", 1, 0, group_quotas={"districts": 2})],
            "pools": ["districts"],
            "unit_pools": {"LS-TP": "districts", "LS-TD": "districts", "LS-VL": "districts"},
            "tie_rule": "committee",
        },
        kind="collective",
    )
    close(db, member, round_)
    pl = prizes.allocate_collectives(db, member, contest)
    lines = {e.unit_id: e for e in pl.entries}
    assert len(pl.entries) == 3  # one prize and two undecided lines, none dropped
    undecided = [e for e in pl.entries if e.tier_code == "undecided"]
    assert len(undecided) == 2 and all("10,00%" in e.reason_vi for e in undecided)
    with pytest.raises(ContestError):
        prize_lists.propose(db, member, pl)
    first, second = undecided
    prizes.set_entry_tier(db, member, first.id, "collective", "Bốc thăm công khai ngày 2/8")
    prizes.set_entry_tier(db, member, second.id, None, "Bốc thăm công khai ngày 2/8")
    prize_lists.propose(db, member, pl)
    assert [e.tier_label_vi for e in pl.entries] == ["Giải tập thể", "Giải tập thể"]
    assert len(lines) == 3
    edits = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "prizes.edit_line"))
        .scalars()
        .all()
    )
    assert len(edits) == 2


# --- prizes for empty papers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_score", "warned"),
    [
        pytest.param(None, True, id="a-tier-without-minimum-reaching-zero-is-flagged"),
        pytest.param(1, False, id="a-minimum-keeps-zero-out-and-nothing-is-flagged"),
    ],
)
def test_a_tier_without_minimum_that_reaches_zero_correct_is_flagged(
    db, committee, min_score, warned
):
    member, _, _ = committee
    # A slug is lower-case: "None" would not be one.
    contest = make_weekly_contest(db, f"khong-diem-{min_score or 'khong'}")
    round_ = contest.rounds[0]
    versions = make_bank(db, f"kd-bank-{min_score}", 5)
    for name, correct in (("Nguyễn Văn An", 3), ("Trần Thị Bình", 0)):
        p = make_entrant(db, contest, name, unit_code="LS-TP")
        make_final_attempt(db, round_, p, versions, correct)
    extra = {} if min_score is None else {"min_score": min_score}
    prize_plans.save_plan(
        db,
        member,
        contest,
        {
            "tiers": [
                plan_tier("first", "Giải Nhất", 1, 1),
                plan_tier("kk", "Giải Khuyến khích", 2, 1, **extra),
            ]
        },
    )
    close(db, member, round_)
    pl = prizes.allocate(db, member, round_).prize_list
    warnings = prizes.list_view(db, contest, pl).warnings
    if warned:
        ((vi, en),) = warnings
        assert (
            vi.startswith("Giải Khuyến khích không có điểm tối thiểu") and "1 bài 0 câu đúng" in vi
        )
        assert "0 correct answers" in en
    else:
        assert warnings == () and len(pl.entries) == 1


def test_the_plan_preview_shows_what_allocating_would_do_across_rounds(db, committee):
    """Week 1's preview, after week 2 gave Bình a higher prize, frees Bình's third prize for
    the next in line, as allocating does; under "per round" it leaves Bình in place."""
    from contest.domain.prizes import Outcome
    from contest.services import plans

    member, _, _ = committee
    for slug, scope, third in (
        ("xem-truoc-ca", "contest", "Dung"),
        ("xem-truoc-dot", "round", "Bình"),
    ):
        contest, week1, _, people, _ = two_weeks(db, committee, slug, scope)
        plan = prize_plans.plan_for(db, contest.id, week1.id)
        preview = plans.preview_prize_plan(db, contest, plan, 1)
        won = {preview.names[r.entry.owner_id]: r.tier_code for r in preview.allocation.awarded()}
        assert won == {"An": "first", "Chi": "second", third: "third"}
        draft = prizes.allocate(db, member, week1, correction_note="Soát lại").prize_list
        assert tiers_by_name(draft, people) == won
        if scope == "contest":
            held = [r for r in preview.allocation.results if r.outcome is Outcome.HAS_HIGHER_PRIZE]
            assert [preview.names[r.entry.owner_id] for r in held] == ["Bình"]
            assert [preview.names[r.entry.owner_id] for r in preview.held_elsewhere] == ["Bình"]
            assert preview.rule_words[1].startswith("One prize per person in the whole contest")
