"""`contest tokens create|list|revoke` as an operator runs them: real processes on a database
file, the token then used against the staff API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_weekly_contest
from sqlalchemy.orm import Session

from contest.db import make_engine
from contest.migrate import upgrade

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('tokenscli') / 'contest.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        make_weekly_contest(db, "xuat-ket-qua")
    engine.dispose()
    return {**os.environ, "CONTEST_DATABASE_URL": url, "CONTEST_SECRET_KEY": "cli-test-key"}


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env, capture_output=True, text=True, timeout=120)


def test_create_list_revoke_and_the_secret_is_printed_once(env):
    done = run(
        env,
        "tokens",
        "create",
        "--name",
        "Cổng dữ liệu tỉnh",
        "--contest",
        "xuat-ket-qua",
        "--scope",
        "rankings:read",
        "--days",
        "7",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    secret = created["token"]
    assert secret.startswith("ct_") and created["prefix"] == secret[:7]
    assert created["scopes"] == ["rankings:read"] and created["contests"] == ["xuat-ket-qua"]
    assert created["state"] == "active" and created["created_by"] == "system:cli"

    listed = json.loads(run(env, "tokens", "list", "--json").stdout)["tokens"]
    mine = next(t for t in listed if t["id"] == created["id"])
    assert mine["name"] == "Cổng dữ liệu tỉnh" and "token" not in mine
    assert secret not in run(env, "tokens", "list").stdout

    revoked = run(env, "tokens", "revoke", str(created["id"]), "--reason", "Thử", "--json")
    assert revoked.returncode == 0, revoked.stderr
    listed = json.loads(run(env, "tokens", "list", "--json").stdout)["tokens"]
    assert next(t for t in listed if t["id"] == created["id"])["state"] == "revoked"
    again = run(env, "tokens", "revoke", str(created["id"]), "--json")
    assert again.returncode == 1 and "already revoked" in again.stdout


def test_refusals_exit_1_with_both_languages(env):
    done = run(env, "tokens", "create", "--name", "", "--contest", "khong-co", "--json")
    assert done.returncode == 1
    errors = json.loads(done.stdout)["errors"]
    assert errors[0]["field"] == "contests" and "khong-co" in errors[0]["message_vi"]
    bad = run(
        env,
        "tokens",
        "create",
        "--name",
        "X",
        "--contest",
        "xuat-ket-qua",
        "--scope",
        "results:write",
        "--days",
        "1000",
        "--json",
    )
    assert bad.returncode == 1
    fields = {e["field"] for e in json.loads(bad.stdout)["errors"]}
    assert fields == {"scopes", "days"}
    assert run(env, "tokens", "revoke", "99999").returncode == 1
