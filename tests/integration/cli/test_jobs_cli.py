"""`contest jobs list|retry|cancel` as an operator runs them: a real process on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from contest import clock
from contest.db import make_engine
from contest.models import Job

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    db_file = tmp_path_factory.mktemp("jobscli") / "contest.db"
    environment = {
        **os.environ,
        "CONTEST_DATABASE_URL": f"sqlite:///{db_file}",
        "CONTEST_QUEUE_URL": "memory://",
    }
    assert run(environment, "migrate").returncode == 0
    engine = make_engine(environment["CONTEST_DATABASE_URL"])
    with Session(engine) as db:
        for status in ("failed", "running"):
            db.add(
                Job(
                    kind="certificates.issue",
                    params={},
                    status=status,
                    total=10,
                    done=4,
                    counts={},
                    attempts=3,
                    max_attempts=3,
                    worker="host:1",
                    message_vi="Lỗi hệ thống: OSError." if status == "failed" else "",
                    message_en="System error: OSError." if status == "failed" else "",
                    created_by="staff:1:truongban",
                    created_at=clock.now(),
                )
            )
        db.commit()
    engine.dispose()
    return environment


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env, capture_output=True, text=True, timeout=120)


def test_list_shows_progress_and_errors(env):
    done = run(env, "jobs", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = {j["id"]: j for j in json.loads(done.stdout)["jobs"]}
    assert listed[1]["status"] == "failed" and listed[1]["message_en"] == "System error: OSError."
    assert (listed[2]["done"], listed[2]["total"]) == (4, 10)
    text = run(env, "jobs", "list", "--status", "failed").stdout
    assert "#1" in text and "4/10" in text and "#2 " not in text


def test_retry_and_cancel_change_the_state_or_say_why_not(env):
    retried = run(env, "jobs", "retry", "1", "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["job"]["status"] == "queued"
    refused = run(env, "jobs", "retry", "2")
    assert refused.returncode == 1 and "Only a failed or cancelled job" in refused.stderr
    cancelled = run(env, "jobs", "cancel", "2", "--json")
    assert json.loads(cancelled.stdout)["job"]["status"] == "cancelled"
    missing = run(env, "jobs", "cancel", "999", "--json")
    assert missing.returncode == 1 and json.loads(missing.stdout)["ok"] is False
