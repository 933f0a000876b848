"""`contest certificates …` as an operator runs it: a real process on a demo database."""

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
    db_file = tmp_path_factory.mktemp("certcli") / "contest.db"
    environment = {
        **os.environ,
        "CONTEST_DATABASE_URL": f"sqlite:///{db_file}",
        "CONTEST_SECRET_KEY": "cli-test-key",
        "CONTEST_BASE_URL": "https://thi.example.vn",
    }
    for args in (["migrate"], ["demo", "--json"]):
        done = subprocess.run(
            [CONTEST, *args], env=environment, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
    return environment


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTEST, *args], env=env, capture_output=True, text=True, timeout=180)


def test_issue_writes_pdfs_lists_them_and_is_idempotent(env, tmp_path):
    first = run(
        env, "certificates", "issue", "--contest", "lang-son-2023", "--out", str(tmp_path), "--json"
    )
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    rows = data["certificates"]
    # The demo's approved lists already got their certificates when the demo was loaded.
    assert rows and data["issued"] == 0 and data["existing"] == len(rows)
    for row in rows:
        assert set(row) >= {"code", "recipient", "prize", "file", "verification_url"}
        assert Path(row["file"]).read_bytes()[:5] == b"%PDF-"
        assert row["verification_url"] == f"https://thi.example.vn/xac-minh/{row['code']}"
    numbers = sorted(int(r["number"].split("/")[0]) for r in rows)
    assert numbers == list(range(1, len(rows) + 1))
    again = json.loads(
        run(env, "certificates", "issue", "--contest", "lang-son-2023", "--json").stdout
    )
    assert again["issued"] == 0 and [r["code"] for r in again["certificates"]] == [
        r["code"] for r in rows
    ]


def test_verify_and_revoke_by_code(env):
    rows = json.loads(
        run(env, "certificates", "issue", "--contest", "lang-son-2023", "--json").stdout
    )["certificates"]
    code = rows[0]["code"].lower().replace("-", " ")
    ok = run(env, "certificates", "verify", code, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "valid"
    missing_reason = run(env, "certificates", "revoke", code, "--reason", "", "--json")
    assert missing_reason.returncode == 1 and "reason" in missing_reason.stdout
    assert (
        run(env, "certificates", "revoke", code, "--reason", "Trao nhầm người nhận").returncode == 0
    )
    revoked = run(env, "certificates", "verify", code, "--json")
    assert revoked.returncode == 1
    assert json.loads(revoked.stdout)["revoked_reason"] == "Trao nhầm người nhận"
    mistyped = run(env, "certificates", "verify", "K7QM-3XWD-9A")
    assert mistyped.returncode == 1 and "có thể gõ nhầm" in mistyped.stdout


def test_unknown_contest_or_round_exits_1(env):
    assert run(env, "certificates", "issue", "--contest", "khong-co").returncode == 1
    bad = run(env, "certificates", "issue", "--contest", "lang-son-2023", "--round", "9", "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["errors"][0]["field"] == "round"
