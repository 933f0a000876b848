"""`contest signals compute|list` as an operator runs them, on the demo contest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    db_file = tmp_path_factory.mktemp("signals-cli") / "contest.db"
    environment = {
        **os.environ,
        "CONTEST_DATABASE_URL": f"sqlite:///{db_file}",
        "CONTEST_SECRET_KEY": "cli-test-key",
    }
    for args in (["migrate"], ["demo"]):
        done = subprocess.run(
            [CONTEST, *args], env=environment, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
    return environment


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env, capture_output=True, text=True, timeout=300)


def test_compute_then_list_a_round_as_json(env):
    done = run(env, "signals", "compute", "--contest", "lang-son-2023", "--round", "1", "--json")
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert [r["round"] for r in runs] == [1]
    assert runs[0]["entries"] >= 0
    listed = run(env, "signals", "list", "--contest", "lang-son-2023", "--round", "1", "--json")
    assert listed.returncode == 0, listed.stderr
    rounds = json.loads(listed.stdout)["rounds"]
    assert rounds[0]["computed_at"] is not None
    assert len(rounds[0]["clusters"]) == runs[0]["clusters"]


def test_list_says_when_a_round_was_never_computed_and_an_unknown_contest_is_a_user_error(env):
    listed = run(env, "signals", "list", "--contest", "lang-son-2023", "--round", "2")
    assert listed.returncode == 0, listed.stderr
    assert "chưa tính / not computed" in listed.stdout
    missing = run(env, "signals", "compute", "--contest", "khong-co", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["errors"][0]["message_en"]
