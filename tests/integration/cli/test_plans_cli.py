"""`contest plans export|import|excluded` as an operator runs them: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from factories import make_contest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from contest.migrate import upgrade
from contest.services import plans
from contest.services.context import SYSTEM

CONTEST = str(Path(sys.executable).with_name("contest"))

PRIZE_PLAN = {
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "label_en": "First prize", "quota": 1},
        {
            "code": "second",
            "label_vi": "Giải Nhì",
            "label_en": "Second prize",
            "quota": 2,
            "min_score": 6,
        },
    ],
    "tie_rule": "committee",
    "cap_percent": 50,
    "one_prize_scope": "contest",
}
ROUND_PLAN = {
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất tuần",
            "quota": 2,
            "group_quotas": "officials=1, students=1",
        }
    ],
    "groups": "officials, students",
}
COLLECTIVE = {
    "criterion": "participation_rate",
    "keys": "participants, mean_score",
    "pools": "agencies, districts",
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "group_quotas": "agencies=1, districts=1"}
    ],
    "unit_pools": {"LS-TP": "districts", "LS-TP-CL": "agencies"},
    "size_bands": [{"max_headcount": 49, "min_rate": 0.3}, {"max_headcount": 99, "min_rate": 0.25}],
}


@pytest.fixture
def env(tmp_path):
    db_file = tmp_path / "contest.db"
    url = f"sqlite:///{db_file}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as db:
        source = make_contest(db, "nam-truoc")
        make_contest(db, "nam-nay")
        plans.save_prize_plan(db, SYSTEM, source, PRIZE_PLAN)
        plans.save_prize_plan(db, SYSTEM, source, ROUND_PLAN, round_number=1)
        plans.save_collective_plan(db, SYSTEM, source, COLLECTIVE)
        plans.save_screening(
            db, SYSTEM, source, {"min_seconds_per_question": "1,5", "require_all_answered": "no"}
        )
        plans.import_excluded(
            db, SYSTEM, source, "CCCD,Họ và tên\n020085000901,Hoàng Thị Ban\n".encode(), "ds.csv"
        )
    engine.dispose()
    return {**os.environ, "CONTEST_DATABASE_URL": url, "CONTEST_SECRET_KEY": "cli-test-key"}


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env, capture_output=True, text=True, timeout=120)


def test_plans_round_trip_from_last_year_to_this_year(env, tmp_path):
    last_year, this_year = tmp_path / "nam-truoc.toml", tmp_path / "nam-nay.toml"
    done = run(env, "plans", "export", "--contest", "nam-truoc", str(last_year), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["excluded"] == 1
    text = last_year.read_text(encoding="utf-8")
    assert 'label_vi = "Giải Nhất"' in text and "[[prize_plan.tiers]]" in text
    doc = tomllib.loads(text)
    assert doc["collective_plan"]["keys"] == ["participants", "mean_score"]
    assert doc["round_plans"][0]["round"] == 1
    assert doc["screening"] == {"min_seconds_per_question": 1.5, "require_all_answered": False}

    checked = run(
        env, "plans", "import", "--contest", "nam-nay", str(last_year), "--dry-run", "--json"
    )
    assert checked.returncode == 0 and "prize_plan" in json.loads(checked.stdout)["changed"]
    assert run(env, "plans", "export", "--contest", "nam-nay", str(this_year)).returncode == 0
    assert "prize_plan" not in tomllib.loads(
        this_year.read_text(encoding="utf-8")
    )  # dry run wrote nothing

    done = run(env, "plans", "import", "--contest", "nam-nay", str(last_year), "--json")
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)["changed"]) >= {
        "screening",
        "prize_plan",
        "collective_plan",
        "excluded",
    }
    assert run(env, "plans", "export", "--contest", "nam-nay", str(this_year)).returncode == 0
    copied = tomllib.loads(this_year.read_text(encoding="utf-8"))
    assert {**copied, "contest": "nam-truoc"} == doc

    again = run(env, "plans", "import", "--contest", "nam-nay", str(this_year), "--json")
    assert json.loads(again.stdout)["changed"] == []  # the same plans: nothing changes


def test_a_bad_file_changes_nothing_and_names_every_field(env, tmp_path):
    good = tmp_path / "good.toml"
    assert run(env, "plans", "export", "--contest", "nam-truoc", str(good)).returncode == 0
    doc = good.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        doc.replace("cap_percent = 50", "cap_percent = 150").replace(
            'LS-TP = "districts"', 'LS-KHONG = "districts"'
        ),
        encoding="utf-8",
    )
    done = run(env, "plans", "import", "--contest", "nam-nay", str(bad), "--json")
    assert done.returncode == 1
    errors = json.loads(done.stdout)["errors"]
    fields = {e["field"] for e in errors}
    assert {"prize_plan.cap_percent", "collective_plan.unit_pools.LS-KHONG"} <= fields
    assert all(e["message_vi"] and e["message_en"] for e in errors)
    export = tmp_path / "after.toml"
    assert (
        run(env, "plans", "export", "--contest", "nam-nay", str(export), "--json").returncode == 0
    )
    after = tomllib.loads(export.read_text(encoding="utf-8"))
    assert (
        "prize_plan" not in after and after["excluded"] == []
    )  # the good sections were not written either

    broken = tmp_path / "broken.toml"
    broken.write_text("[prize_plan\n", encoding="utf-8")
    done = run(env, "plans", "import", "--contest", "nam-nay", str(broken))
    assert done.returncode == 1 and "line 1" in done.stderr
    assert run(env, "plans", "import", str(broken)).returncode == 2  # --contest missing


def test_excluded_list_from_a_spreadsheet_with_row_errors(env, tmp_path):
    bad = tmp_path / "loai-tru.csv"
    bad.write_text("CCCD,Họ và tên\n020085000901,A\n12345,B\n", encoding="utf-8")
    done = run(env, "plans", "excluded", "--contest", "nam-nay", str(bad), "--json")
    assert done.returncode == 1
    [error] = json.loads(done.stdout)["errors"]
    assert (error["row"], error["field"]) == (3, "citizen_id")
    good = tmp_path / "ok.csv"
    good.write_text("CCCD,Họ và tên\n020085000901,A\n", encoding="utf-8")
    done = run(env, "plans", "excluded", "--contest", "nam-nay", str(good), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["people"] == 1
