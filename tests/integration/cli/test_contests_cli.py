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
