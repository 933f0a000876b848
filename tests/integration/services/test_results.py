from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError, PermissionDenied
from contest.models import Attempt, AuditEntry, EligibilityDecision, PrizeList, Round
from contest.services import prize_lists, prize_plans, prizes, results, screening
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất",
            "label_en": "First prize",
            "rank_order": 1,
            "quota": 1,
        },
        {
            "code": "second",
            "label_vi": "Giải Nhì",
            "label_en": "Second prize",
            "rank_order": 2,
            "quota": 1,
        },
        {
            "code": "third",
            "label_vi": "Giải Ba",
            "label_en": "Third prize",
            "rank_order": 3,
            "quota": 1,
            "min_score": 6,
        },
    ],
    "order": ["correct", "prediction_error", "duration", "submitted_at"],
}


def staff_actor(user) -> Actor:
    return Actor("staff", user.id, user.username)


@pytest.fixture
def setup(db):
    contest = make_contest(db, "ket-qua")
    round_ = contest.rounds[0]
    versions = make_bank(db, "kq-bank", 10)
    people = {}
    # (name, correct, seconds, prediction): the true figure will be 2 (two all-correct, both eligible)
    for name, correct, seconds, prediction in [
        ("Nguyễn Văn An", 10, 300, 2),
        ("Trần Thị Bình", 10, 200, 9),
        ("Lê Văn Cường", 9, 100, 2),
        ("Phạm Thị Dung", 8, 100, 2),
        ("Hoàng Văn Em", 5, 100, 2),
    ]:
        p = make_entrant(db, contest, name)
        people[name] = (
            p,
            make_final_attempt(
                db, round_, p, versions, correct, seconds=seconds, prediction=prediction
            ),
        )
    cheat = make_entrant(db, contest, "Vũ Văn Nhanh")
    people["Vũ Văn Nhanh"] = (
        cheat,
        make_final_attempt(db, round_, cheat, versions, 10, seconds=5, prediction=2),
    )
    late = make_entrant(db, contest, "Đỗ Thị Muộn")
    people["Đỗ Thị Muộn"] = (
        late,
        make_final_attempt(
            db, round_, late, versions, 7, seconds=900, prediction=3, materialise=False, answered=8
        ),
    )
    member = make_staff(db, "giamkhao1", ["committee_member"])
    chair = make_staff(db, "truongban1", ["committee_chair", "committee_member"])
    prize_plans.save_plan(db, staff_actor(member), contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    return contest, round_, people, member, chair


def test_closing_scores_expired_attempts_and_fixes_the_true_figure_from_eligible_entries(db, setup):
    contest, round_, people, member, _ = setup
    report = results.close_round(db, staff_actor(member), round_)
    late = db.get(Attempt, people["Đỗ Thị Muộn"][1].id)
    assert (late.correct, late.answered, late.finish_reason) == (7, 8, "expired")
    assert late.duration_ms == round_.time_limit_seconds * 1000  # time taken stops at the deadline
    # the 5-second paper is flagged, so only An and Bình count: the true figure is 2
    assert report.true_figure == 2 and report.scored_now == 1 and report.entrants == 7
    assert (
        report.eligible_entrants == 5
    )  # the fast one and the unfinished (8 of 10 answered) are flagged
    assert (
        db.execute(select(AuditEntry).where(AuditEntry.action == "results.close_round"))
        .scalars()
        .first()
    )


def test_ranking_follows_tie_breaks_and_says_why(db, setup):
    contest, round_, people, member, _ = setup
    results.close_round(db, staff_actor(member), round_)
    rows = results.individual_ranking(db, round_)
    names = [r.participant.full_name for r in rows if r.rank]
    assert names[:4] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
    assert "độ lệch dự đoán" in rows[1].why_vi  # Bình is behind An on the prediction, not on time
    assert rows[-1].rank is None and not rows[-1].verdict.eligible


def test_decisions_are_reversible_audited_and_never_deleted(db, setup):
    contest, round_, people, member, _ = setup
    results.close_round(db, staff_actor(member), round_)
    fast = people["Vũ Văn Nhanh"][1]
    flagged = screening.flag_rows(db, round_, code="implausibly_fast")
    assert [r.attempt.id for r in flagged] == [fast.id]
    screening.decide(
        db, staff_actor(member), round_, "attempt", [fast.id], True, "Đã xác minh qua điện thoại"
    )
    assert results.load_round(db, round_).verdicts[fast.id].eligible
    screening.decide(
        db,
        staff_actor(member),
        round_,
        "attempt",
        [fast.id],
        False,
        "Phát hiện dùng công cụ tự động",
    )
    verdict = results.load_round(db, round_).verdicts[fast.id]
    assert not verdict.eligible and len(verdict.decisions) == 2
    assert (
        db.execute(select(EligibilityDecision).where(EligibilityDecision.subject_id == fast.id))
        .scalars()
        .all()
    )
    audits = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "screening.decide"))
        .scalars()
        .all()
    )
    assert len(audits) == 2
    with pytest.raises(ContestError):
        screening.decide(db, staff_actor(member), round_, "attempt", [fast.id], True, "  ")


def test_bulk_decision_covers_every_selected_entry(db, setup):
    contest, round_, people, member, _ = setup
    results.close_round(db, staff_actor(member), round_)
    ids = [people["Vũ Văn Nhanh"][1].id, people["Đỗ Thị Muộn"][1].id]
    screening.decide(db, staff_actor(member), round_, "attempt", ids, True, "Ban Tổ chức chấp nhận")
    data = results.load_round(db, round_)
    assert all(data.verdicts[i].eligible for i in ids)


def test_approval_freezes_the_list_and_a_correction_makes_version_two(db, setup):
    contest, round_, people, member, chair = setup
    results.close_round(db, staff_actor(member), round_)
    report = prizes.allocate(db, staff_actor(member), round_)
    pl = report.prize_list
    assert report.by_tier == {"first": 1, "second": 1, "third": 1}
    assert [(e.participant_id, e.tier_code) for e in pl.entries] == [
        (people["Nguyễn Văn An"][0].id, "first"),
        (people["Trần Thị Bình"][0].id, "second"),
        (people["Lê Văn Cường"][0].id, "third"),
    ]
    with pytest.raises(PermissionDenied):
        prize_lists.approve(db, staff_actor(member), pl)  # not proposed, and not the chair either
    prize_lists.propose(db, staff_actor(member), pl)
    with pytest.raises(PermissionDenied):
        prize_lists.approve(db, staff_actor(member), pl)
    prize_lists.approve(db, staff_actor(chair), pl)
    assert pl.status == "approved"
    with pytest.raises(ContestError):
        prizes.set_entry_tier(db, staff_actor(member), pl.entries[0].id, "second", "sửa")
    with pytest.raises(ContestError):
        prizes.allocate(db, staff_actor(member), round_)
    with pytest.raises(ContestError):
        results.close_round(db, staff_actor(member), round_)
    v2 = prizes.allocate(
        db, staff_actor(member), round_, correction_note="Đính chính theo đơn khiếu nại"
    ).prize_list
    assert (v2.version, v2.supersedes_id, v2.status) == (2, pl.id, "draft")
    db.refresh(pl)
    assert pl.status == "approved" and len(pl.entries) == 3
    # certificates still see version 1 until version 2 is approved
    awards = results.approved_awards(db, contest.id, round_.id)
    assert {a.prize_list_version for a in awards} == {1}
    assert awards[0].tier_label_vi == "Giải Nhất" and awards[0].recipient_name == "Nguyễn Văn An"
    assert awards[0].recipient_unit == "Phường Chi Lăng" and "Tuần 1" in awards[0].achievement_vi
    prize_lists.propose(db, staff_actor(member), v2)
    prize_lists.approve(db, staff_actor(chair), v2)
    prize_lists.publish(db, staff_actor(chair), v2)
    assert {a.prize_list_version for a in results.approved_awards(db, contest.id)} == {2}
    assert (
        len(db.execute(select(PrizeList).where(PrizeList.round_id == round_.id)).scalars().all())
        == 2
    )
    actions = {e.action for e in db.execute(select(AuditEntry)).scalars()}
    assert {"prizes.allocate", "prizes.propose", "prizes.approve", "prizes.publish"} <= actions


def test_participation_awards_list_every_eligible_participant(db, setup):
    contest, round_, people, member, _ = setup
    results.close_round(db, staff_actor(member), round_)
    awards = results.approved_awards(db, contest.id, round_.id, kind="participation")
    assert len(awards) == 5 and all(a.kind == "participation" for a in awards)
    assert len({a.award_key for a in awards}) == 5


def test_a_round_cannot_be_closed_while_open(db):
    contest = make_contest(db, "dang-mo")
    member = make_staff(db, "gk-mo", ["committee_member"])
    with pytest.raises(ContestError):
        results.close_round(db, staff_actor(member), db.get(Round, contest.rounds[0].id))


def test_a_tie_at_the_boundary_waits_for_the_committee_then_the_line_is_settled(db):
    contest = make_contest(db, "dong-hang")
    round_ = contest.rounds[0]
    versions = make_bank(db, "dh-bank", 5)
    member = make_staff(db, "gk-dh", ["committee_member"])
    actor = staff_actor(member)
    a = make_entrant(db, contest, "Nguyễn Văn An")
    b = make_entrant(db, contest, "Trần Văn Bình")
    for p in (a, b):  # equal on every key: same score, prediction, time and finish
        make_final_attempt(db, round_, p, versions, 5, seconds=120, prediction=1)
    plan = {
        "tiers": [
            {
                "code": "first",
                "label_vi": "Giải Nhất",
                "label_en": "First prize",
                "rank_order": 1,
                "quota": 1,
            }
        ],
        "tie_rule": "committee",
    }
    prize_plans.save_plan(db, actor, contest, plan)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, actor, round_)
    rows = results.individual_ranking(db, round_)
    assert rows[0].rank == rows[1].rank == 1 and "Bằng nhau ở mọi tiêu chí" in rows[1].why_vi
    report = prizes.allocate(db, actor, round_)
    pl = report.prize_list
    assert report.undecided == 2 and {e.tier_code for e in pl.entries} == {"undecided"}
    with pytest.raises(ContestError):
        prize_lists.propose(db, actor, pl)
    by_person = {e.participant_id: e for e in pl.entries}
    prizes.set_entry_tier(db, actor, by_person[a.id].id, "first", "Bốc thăm công khai ngày 12/7")
    prizes.set_entry_tier(db, actor, by_person[b.id].id, None, "Bốc thăm công khai ngày 12/7")
    prize_lists.propose(db, actor, pl)
    assert [(e.participant_id, e.tier_code) for e in pl.entries] == [(a.id, "first")]
    assert (
        db.execute(select(AuditEntry).where(AuditEntry.action == "prizes.edit_line"))
        .scalars()
        .all()
    )


def test_cli_allocates_proposes_approves_publishes_and_exports(db, setup, monkeypatch, tmp_path):
    import json

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from contest import db as database
    from contest.cli import app

    contest, round_, people, member, chair = setup
    monkeypatch.setattr(database, "session_factory", lambda: lambda: db)
    monkeypatch.setattr(db, "close", lambda: None)
    run = CliRunner().invoke
    base = ["--contest", contest.slug, "--round", "1", "--json"]
    assert run(app, ["results", "close", *base]).exit_code == 0
    out = run(app, ["prizes", "allocate", *base])
    assert out.exit_code == 0, out.output
    list_id = json.loads(out.output)["id"]
    assert json.loads(out.output)["corrections"] == []
    refused = run(
        app, ["prizes", "approve", "--list", str(list_id), "--by", member.username, "--json"]
    )
    assert refused.exit_code == 1 and json.loads(refused.output)["errors"][0]["message_en"]
    for step, who in (("propose", member), ("approve", chair), ("publish", chair)):
        out = run(app, ["prizes", step, "--list", str(list_id), "--by", who.username, "--json"])
        assert out.exit_code == 0, out.output
    assert json.loads(out.output)["status"] == "published"
    target = tmp_path / "giai.xlsx"
    out = run(
        app,
        [
            "results",
            "export",
            "prizes",
            "--contest",
            contest.slug,
            "--round",
            "1",
            "--out",
            str(target),
        ],
    )
    assert out.exit_code == 0, out.output
    ws = load_workbook(target).active
    assert [c.value for c in ws[1]] == [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Đơn vị",
        "Giải",
        "Ghi chú",
    ]
    assert ws["B2"].value == "Nguyễn Văn An" and ws["E2"].value == "Giải Nhất"
