import io
import json
from datetime import timedelta

import pytest
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from openpyxl import load_workbook
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError
from contest.models import Attempt, AuditEntry, KeyCorrection, Question
from contest.services import exports, prize_plans, prizes, results, screening, statistics
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
            "code": "consolation",
            "label_vi": "Giải Khuyến khích",
            "label_en": "Consolation",
            "rank_order": 2,
            "quota": 2,
        },
    ]
}
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Em",
    "Giang",
    "Hải",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phúc",
]
COLLECTIVE = {
    "criterion": "participants",
    "pools": ["all"],
    "tiers": [
        {
            "code": "collective",
            "label_vi": "Giải tập thể",
            "label_en": "Collective prize",
            "rank_order": 1,
            "quota": 0,
            "group_quotas": {"all": 1},
        }
    ],
    "roll_up": True,
    "unit_pools": {"LS-TP": "all", "LS-TD": "all"},
}


@pytest.fixture
def closed(db):
    contest = make_contest(db, "xuat-file")
    round_ = contest.rounds[0]
    versions = make_bank(db, "xf-bank", 10)
    member = make_staff(db, "gk-xf", ["committee_member"])
    actor = Actor("staff", member.id, member.username)
    # twelve people so statistics have enough responses; question 0 is answered "wrong" (option 2)
    # by the strongest, as if the key were wrong
    attempts = []
    for i in range(12):
        p = make_entrant(
            db, contest, f"Nguyễn Văn {GIVEN[i]}", unit_code="LS-TP-CL" if i % 2 else "LS-TD"
        )
        correct = 10 - (i // 2)
        attempts.append(
            make_final_attempt(db, round_, p, versions, correct, seconds=100 + i, prediction=i)
        )
    for a in attempts[:6]:
        a0 = db.execute(select(Attempt).where(Attempt.id == a.id)).scalar_one()
        from contest.models import Answer

        ans = db.get(Answer, (a0.id, 0))
        ans.chosen = [2]
        a0.correct -= 1
        a0.score -= 1
    db.commit()
    prize_plans.save_plan(db, actor, contest, PLAN)
    prize_plans.save_plan(db, actor, contest, COLLECTIVE, kind="collective")
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, actor, round_)
    return contest, round_, versions, actor, attempts


def _sheet(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return wb.active


def test_prize_list_export_has_the_annex_shape(db, closed):
    contest, round_, versions, actor, _ = closed
    pl = prizes.allocate(db, actor, round_).prize_list
    ws = _sheet(exports.prize_list_xlsx(db, pl))
    assert [c.value for c in ws[1]] == [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Đơn vị",
        "Giải",
        "Ghi chú",
    ]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[2]] == [
        1,
        "Nguyễn Văn An",
        "02/01/1985",
        "Huyện Tràng Định",
        "Giải Nhất",
        "Đạt giải; Mỗi người một giải trong cả cuộc thi, giữ giải cao nhất",
    ]
    assert ws.column_dimensions["B"].width >= len("Nguyễn Văn An")


def test_ranking_collectives_participation_and_decisions_exports(db, closed):
    contest, round_, versions, actor, attempts = closed
    ws = _sheet(exports.ranking_xlsx(db, round_))
    assert [c.value for c in ws[1]][:5] == [
        "Hạng",
        "Mã thí sinh",
        "Họ và tên",
        "Đơn vị",
        "Số câu đúng",
    ]
    assert ws.max_row == 13 and ws["A2"].value == 1
    ws = _sheet(exports.collectives_xlsx(db, contest))
    assert ws["A1"].value == "Hạng" and ws["B2"].value in ("Thành phố Lạng Sơn", "Huyện Tràng Định")
    ws = _sheet(exports.participation_xlsx(db, contest))
    assert [c.value for c in ws[1]] == [
        "Mã đơn vị",
        "Đơn vị",
        "Số cán bộ",
        "Số người dự thi",
        "Số bài thi",
        "Tỷ lệ tham gia (%)",
    ]
    screening.decide(db, actor, round_, "attempt", [attempts[0].id], False, "Vi phạm thể lệ")
    ws = _sheet(exports.decisions_xlsx(db, contest))
    assert ws["E2"].value == "Không hợp lệ" and ws["F2"].value == "Vi phạm thể lệ"


def test_statistics_flag_a_key_strong_participants_disagree_with(db, closed):
    contest, round_, versions, actor, _ = closed
    stats = {s.version_id: s for s in statistics.question_statistics(db, round_)}
    first = stats[versions[0].id]
    assert first.responses == 12 and first.facility == pytest.approx(6 / 12)
    assert first.discrimination is not None and first.discrimination < 0
    assert first.flags_vi
    assert {o.option_id: o.chosen for o in first.options}["2"] == 6
    assert not stats[versions[1].id].flags_vi


def test_key_correction_regrades_every_affected_attempt_with_a_report(db, closed):
    contest, round_, versions, actor, attempts = closed
    before = {a.id: db.get(Attempt, a.id).correct for a in attempts}
    report = statistics.correct_key(
        db, actor, round_, versions[0].id, ["2"], "Đáp án B mới đúng theo Nghị định"
    )
    assert report.before_key == ["1"] and report.after_key == ["2"] and report.affected == 12
    for a in attempts[:6]:
        assert db.get(Attempt, a.id).correct == before[a.id] + 1
    for a in attempts[6:]:
        assert db.get(Attempt, a.id).correct == before[a.id] - 1
    assert db.execute(select(KeyCorrection)).scalars().one().report["affected"] == 12
    question = db.get(Question, versions[0].question_id)
    assert question.current_version_id != versions[0].id  # new draws carry the corrected key
    assert (
        db.execute(select(AuditEntry).where(AuditEntry.action == "results.correct_key"))
        .scalars()
        .one()
    )
    with pytest.raises(ContestError):
        statistics.correct_key(db, actor, round_, versions[0].id, ["9"], "sai")


def test_cli_rank_json_lists_every_field(db, closed, engine, monkeypatch):
    from typer.testing import CliRunner

    from contest import db as database
    from contest.cli import app

    contest, round_, *_ = closed
    monkeypatch.setattr(database, "session_factory", lambda: lambda: db)
    monkeypatch.setattr(db, "close", lambda: None)
    out = CliRunner().invoke(
        app, ["results", "rank", "--contest", contest.slug, "--round", "1", "--json"]
    )
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    first = payload["entries"][0]
    assert {
        "rank",
        "participant_id",
        "name",
        "unit_code",
        "correct",
        "prediction",
        "prediction_error",
        "duration_seconds",
        "submitted_at",
        "eligibility",
        "prize",
    } <= set(first)
    assert first["rank"] == 1 and first["name"] == "Nguyễn Văn An" and first["unit_code"] == "LS-TD"
    assert first["duration_seconds"] == 100.0
    bad = CliRunner().invoke(
        app, ["results", "rank", "--contest", contest.slug, "--round", "9", "--json"]
    )
    assert bad.exit_code == 1 and json.loads(bad.output)["ok"] is False


def test_closing_again_regrades_an_attempt_finalised_with_the_old_key(db, closed):
    contest, round_, versions, actor, attempts = closed
    statistics.correct_key(db, actor, round_, versions[0].id, ["2"], "Đáp án B mới đúng")
    late = db.get(Attempt, attempts[6].id)
    assert late.correct == 6  # 7 right under the old key, question 1 now wrong
    late.correct = 7  # as if it had been running and was finalised with the old key
    db.commit()
    results.close_round(db, actor, round_)
    db.refresh(late)
    assert late.correct == 6
