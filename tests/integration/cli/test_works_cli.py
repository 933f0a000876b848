"""`contest works export|import` as an operator runs them: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from factories import make_contest, make_works_contest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from contest.migrate import upgrade
from contest.models import WorksSettings
from contest.services import contests

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'contest.db'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as db:
        make_works_contest(db, "tac-pham-2024")
        make_contest(db, "tac-pham-2025")
    engine.dispose()
    return {**os.environ, "CONTEST_DATABASE_URL": url, "CONTEST_SECRET_KEY": "cli-test-key"}, url


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env[0], capture_output=True, text=True, timeout=120)


def test_settings_round_trip_to_another_contest(env, tmp_path):
    out = tmp_path / "tac-pham.toml"
    done = run(env, "works", "export", "--contest", "tac-pham-2024", str(out), "--json")
    assert done.returncode == 0, done.stderr
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert [c["code"] for c in doc["rubric"]] == ["content", "creativity", "impact", "form"]
    assert doc["rubric"][0]["max_points"] == 40 and "deadline" in doc
    done = run(env, "works", "import", "--contest", "tac-pham-2025", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["criteria"] == 4
    engine = create_engine(env[1])
    with Session(engine) as db:
        contest = contests.get_by_slug(db, "tac-pham-2025")
        assert contest.kind == "works"
        row = db.get(WorksSettings, contest.id)
        assert [c["label_vi"] for c in row.rubric][0] == "Nội dung, tính chính xác"
        source = db.get(WorksSettings, contests.get_by_slug(db, "tac-pham-2024").id)
        assert abs(row.deadline - source.deadline) < timedelta(minutes=1)
    engine.dispose()


def test_a_bad_file_names_every_field_and_changes_nothing(env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'deadline = "sớm"\nallowed_types = ["exe"]\nmax_files = 0\n[[rubric]]\ncode = "x"\n',
        encoding="utf-8",
    )
    done = run(env, "works", "import", "--contest", "tac-pham-2025", str(bad), "--json")
    assert done.returncode == 1
    fields = {e["field"] for e in json.loads(done.stdout)["errors"]}
    assert fields == {"deadline", "allowed_types", "max_files", "rubric"}
    engine = create_engine(env[1])
    with Session(engine) as db:
        assert contests.get_by_slug(db, "tac-pham-2025").kind == "quiz"
    engine.dispose()
