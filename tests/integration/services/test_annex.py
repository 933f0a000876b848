"""The decision annex: the shape a committee signs, in .xlsx and in a printable PDF."""

import io
from datetime import date, timedelta
from pathlib import Path

import pypdfium2
import pytest
from factories import (
    make_bank,
    make_entrant,
    make_final_attempt,
    make_staff,
    make_weekly_contest,
    plan_tier,
)
from openpyxl import load_workbook

from contest import clock
from contest.domain.errors import ContestError
from contest.services import annex, prize_lists, prize_plans, prizes, results
from contest.services.context import Actor

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    return " ".join(text.split())  # a name wrapped inside a narrow cell reads as one line


@pytest.fixture
def signed(db):
    member = make_staff(db, "uv-pl", ["committee_member"])
    chair = make_staff(db, "ct-pl", ["committee_chair"])
    m, c = Actor("staff", member.id, member.username), Actor("staff", chair.id, chair.username)
    contest = make_weekly_contest(db, "phu-luc")
    round_ = contest.rounds[0]
    versions = make_bank(db, "pl-bank", 10)
    for name, unit, correct, seconds in (
        ("Nguyễn Thị Hoà Bình", "LS-TP", 10, 300),
        ("Hoàng Văn Sử", "LS-TD", 9, 200),
        ("Lương Thị Ưng", "LS-VL", 9, 250),
        ("Đặng Quốc Việt", "LS-TP", 5, 100),
    ):
        p = make_entrant(db, contest, name, unit_code=unit)
        make_final_attempt(db, round_, p, versions, correct, seconds=seconds, prediction=1)
    prize_plans.save_plan(
        db,
        m,
        contest,
        {"tiers": [plan_tier("first", "Giải Nhất", 1, 1), plan_tier("second", "Giải Nhì", 2, 2)]},
    )
    prize_plans.save_plan(
        db,
        m,
        contest,
        {
            "criterion": "participants",
            "tiers": [plan_tier("collective", "Giải tập thể", 1, 0, group_quotas={"districts": 1})],
            "pools": ["districts"],
            "unit_pools": {"LS-TP": "districts", "LS-TD": "districts", "LS-VL": "districts"},
            "tie_rule": "committee",
        },
        kind="collective",
    )
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    results.close_round(db, m, round_)
    for pl in (
        prizes.allocate(db, m, round_).prize_list,
        prizes.allocate_collectives(db, m, contest),
    ):
        prize_lists.propose(db, m, pl)
        prize_lists.approve(db, c, pl)
    return contest, round_


def test_the_pdf_annex_reads_as_the_decision_annex_in_exact_vietnamese(db, signed):
    contest, round_ = signed
    data, media, name = annex.document(db, contest, "pdf", number="15/QĐ-BTC", on="31/07/2023")
    assert media == "application/pdf" and name == "phu-luc-phu-luc.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "annex.pdf").write_bytes(data)
    text = pdf_text(data)
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHỤ LỤC",
        "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐẠT GIẢI",
        "Kèm theo Quyết định số 15/QĐ-BTC ngày 31 tháng 07 năm 2023 của Ban Tổ chức",
        "I. GIẢI CÁ NHÂN",
        "1. Tuần 1",
        "a) Giải Nhất: 1 giải",
        "b) Giải Nhì: 2 giải",
        "Nguyễn Thị Hoà Bình",
        "Lương Thị Ưng",
        "II. GIẢI TẬP THỂ",
        "Thành phố Lạng Sơn",
    ):
        assert words in text, words
    assert text.index("Hoàng Văn Sử") < text.index("Lương Thị Ưng")  # faster of the two 9s


def test_the_annex_ranks_are_the_ranking_pages(db, signed):
    contest, round_ = signed
    ws = load_workbook(io.BytesIO(annex.document(db, contest, "xlsx")[0])).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in cells for v in row if v]
    assert (
        "Kèm theo Quyết định số …………/QĐ-BTC ngày ………… tháng ………… năm ………… của Ban Tổ chức"
        in " ".join(flat).replace("(", "").replace(")", "")
    )
    ranking = {r.participant.full_name: r.rank for r in results.individual_ranking(db, round_)}
    header = next(i for i, row in enumerate(cells) if row[:2] == ["STT", "Họ và tên"])
    lines = [row for row in cells[header + 1 :] if row[1] in ranking]
    assert lines and all(int(row[6]) == ranking[row[1]] for row in lines)
    assert cells[header][:8] == [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Đơn vị",
        "Số câu đúng",
        "Thời gian (giây)",
        "Hạng",
        "Ghi chú",
    ]
    collective = next(i for i, row in enumerate(cells) if row[:2] == ["STT", "Đơn vị"])
    assert cells[collective + 1][1] == "Thành phố Lạng Sơn" and cells[collective + 1][2] == "2"


def test_a_list_not_yet_approved_is_marked_as_a_draft(db, signed):
    contest, round_ = signed
    member = make_staff(db, "uv-pl2", ["committee_member"])
    pl = prizes.allocate(
        db, Actor("staff", member.id, member.username), round_, correction_note="Đính chính"
    ).prize_list
    text = pdf_text(annex.document(db, contest, "pdf", pl=pl)[0])
    assert "DỰ THẢO" in text and "Phiên bản 2" in text


def test_a_decision_date_that_is_not_a_date_is_refused_in_both_languages(db, signed):
    contest, _ = signed
    with pytest.raises(ContestError) as refused:
        annex.document(db, contest, "pdf", on="31/13/2023")
    assert "dd/mm/yyyy" in refused.value.message_vi and "dd/mm/yyyy" in refused.value.message_en
    assert date(2023, 7, 31) == annex.parse_decision_date("31/07/2023")


def test_the_cli_writes_the_annex_by_the_files_suffix(db, signed, monkeypatch, tmp_path):
    import json

    from typer.testing import CliRunner

    from contest import db as database
    from contest.cli import app

    contest, _ = signed
    monkeypatch.setattr(database, "session_factory", lambda: lambda: db)
    monkeypatch.setattr(db, "close", lambda: None)
    target = tmp_path / "phu-luc.pdf"
    out = CliRunner().invoke(
        app,
        [
            "results",
            "annex",
            "--contest",
            contest.slug,
            "--out",
            str(target),
            "--number",
            "15/QĐ-BTC",
            "--date",
            "31/07/2023",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["ok"] and target.read_bytes().startswith(b"%PDF")
    assert "Quyết định số 15/QĐ-BTC ngày 31 tháng 07 năm 2023" in pdf_text(target.read_bytes())
    refused = CliRunner().invoke(
        app,
        ["results", "annex", "--contest", contest.slug, "--out", str(tmp_path / "x.doc"), "--json"],
    )
    assert refused.exit_code == 1 and json.loads(refused.output)["errors"][0]["message_vi"]
