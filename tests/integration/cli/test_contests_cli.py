"""`contest contests list|publish|copy` as an operator runs them: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_contest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from contest.migrate import upgrade
from contest.services import contests

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'contest.db'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as db:
        make_contest(db, "lang-son-2023")
    engine.dispose()
    return {**os.environ, "CONTEST_DATABASE_URL": url, "CONTEST_SECRET_KEY": "cli-test-key"}, url


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env[0], capture_output=True, text=True, timeout=120)


def test_copy_for_next_year_then_publish(env):
    done = run(
        env,
        "contests",
        "copy",
        "lang-son-2023",
        "--to",
        "lang-son-2024",
        "--shift-days",
        "366",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["rounds"] == 1 and report["units"] == 4
    listed = json.loads(run(env, "contests", "list", "--json").stdout)["contests"]
    assert {c["slug"]: c["status"] for c in listed} == {
        "lang-son-2023": "published",
        "lang-son-2024": "draft",
    }
    assert run(env, "contests", "publish", "lang-son-2024").returncode == 0
    again = run(env, "contests", "publish", "lang-son-2024", "--json")
    assert again.returncode == 1 and json.loads(again.stdout)["errors"][0]["message_en"]
    engine = create_engine(env[1])
    with Session(engine) as db:
        assert not contests.get_by_slug(db, "lang-son-2024").is_draft
    engine.dispose()


def test_a_taken_slug_exits_1_with_both_languages(env):
    done = run(env, "contests", "copy", "lang-son-2023", "--to", "lang-son-2023")
    assert done.returncode == 1
    assert "Đã có cuộc thi" in done.stderr and "exists" in done.stderr


def test_create_a_contest_from_last_years_file_then_set_a_round(env, tmp_path):
    demo = Path(__file__).resolve().parents[3] / "question_banks" / "lang-son-2023"
    for n, ext in ((1, "xlsx"), (2, "docx"), (3, "gift"), (4, "csv")):
        done = run(
            env, "bank", "import", str(demo / f"tuan-{n}.{ext}"), "--bank", f"ls2023-tuan-{n}"
        )
        assert done.returncode == 0, done.stderr
    file = tmp_path / "cuoc-thi.toml"
    text = (demo / "contest.toml").read_text(encoding="utf-8")
    file.write_text(text.replace('slug = "lang-son-2023"', 'slug = "ls-2023-tu-tep"'), "utf-8")
    (tmp_path / "units.csv").write_bytes((demo / "units.csv").read_bytes())  # the file names it
    made = run(env, "contests", "create", str(file), "--json")
    assert made.returncode == 0, made.stdout + made.stderr
    assert (json.loads(made.stdout)["rounds"], json.loads(made.stdout)["units_created"]) == (
        [1, 2, 3, 4],
        29,
    )
    again = run(env, "contests", "create", str(file), "--json")
    assert again.returncode == 1
    assert json.loads(again.stdout)["errors"][0]["field"] == "slug"
    changed = run(
        env, "rounds", "set", "--contest", "ls-2023-tu-tep", "--round", "1",
        "--questions", "5", "--minutes", "10", "--json",
    )  # fmt: skip
    assert changed.returncode == 0, changed.stdout
    assert json.loads(changed.stdout)["time_limit_minutes"] == 10
    exported = run(env, "contests", "export", "ls-2023-tu-tep", "-")
    assert "questions_per_attempt = 5" in exported.stdout and "[[rounds]]" in exported.stdout
