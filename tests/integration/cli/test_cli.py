"""The `contest` command as an operator runs it: a real process on a real SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A migrated database with the demo, as an operator would have after `make run`."""
    db_file = tmp_path_factory.mktemp("cli") / "contest.db"
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
    return environment, db_file


def run(env, *args: str, input: str | None = None) -> subprocess.CompletedProcess:  # noqa: A002
    return subprocess.run(
        [CONTEST, *args], env=env[0], capture_output=True, text=True, input=input, timeout=120
    )


def test_migrate_and_demo_again_change_nothing(env):
    assert run(env, "migrate").returncode == 0
    again = run(env, "demo", "--json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["contest"] == "lang-son-2023" and data["created"] is False and data["units"] >= 20
    assert {s["username"] for s in data["staff"]} >= {"admin", "bantochuc", "giamkhao", "truongban"}


def test_units_import_with_errors_exits_1_and_lists_every_problem(env, tmp_path):
    bad = tmp_path / "don-vi.csv"
    bad.write_text(
        "code,name,parent_code,headcount\nX1,,LS,\nX2,Xã Hai,KHONG,-3\n", encoding="utf-8"
    )
    result = run(env, "units", "import", str(bad), "--contest", "lang-son-2023", "--json")
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {
        (2, "name"),
        (3, "parent_code"),
        (3, "headcount"),
    }
    assert all(e["message_vi"] and e["message_en"] for e in errors)


def test_units_import_good_file(env, tmp_path):
    good = tmp_path / "don-vi.csv"
    good.write_text(
        "code,name,parent_code,headcount\nLS-TEST,Đơn vị thử nghiệm,LS,12\n", encoding="utf-8"
    )
    result = run(env, "units", "import", str(good), "--contest", "lang-son-2023", "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["created"] == 1


def test_users_create_and_bad_role(env):
    ok = run(
        env,
        "users",
        "create",
        "thuky",
        "--name",
        "Thư ký Hội đồng",
        "--role",
        "committee_member",
        "--json",
        input="mat-khau-rat-dai\nmat-khau-rat-dai\n",
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout[ok.stdout.index("{") :])["roles"] == ["committee_member"]
    bad = run(
        env,
        "users",
        "create",
        "khac",
        "--name",
        "X",
        "--role",
        "god",
        input="mat-khau-rat-dai\nmat-khau-rat-dai\n",
    )
    assert bad.returncode == 1 and "god" in bad.stderr


def test_bad_usage_exits_2(env):
    assert run(env, "units", "import").returncode == 2


def test_audit_seal_chains_queued_entries_and_verify_counts_what_waits(env):
    with sqlite3.connect(env[1]) as conn:
        conn.execute(
            "INSERT INTO audit_pending (at, actor, action, object_type, object_id, ip, details) "
            "VALUES ('2026-11-23 07:00:00.000000', 'participant:1', 'attempt.start', 'attempt', '1', '', '{}')"
        )
    waiting = json.loads(run(env, "audit", "verify", "--json").stdout)
    assert waiting["ok"] and waiting["pending"] >= 1
    sealed = run(env, "audit", "seal", "--json")
    assert sealed.returncode == 0 and json.loads(sealed.stdout)["sealed"] == waiting["pending"]
    after = json.loads(run(env, "audit", "verify", "--json").stdout)
    assert (
        after["ok"]
        and after["pending"] == 0
        and after["checked"] == waiting["checked"] + waiting["pending"]
    )


def test_audit_verify_names_the_first_tampered_row(env):
    clean = run(env, "audit", "verify", "--json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["checked"] > 3
    with sqlite3.connect(env[1]) as conn:
        conn.execute("UPDATE audit_log SET action = 'forged' WHERE seq = 3")
    broken = run(env, "audit", "verify")
    assert broken.returncode == 1
    assert "3" in broken.stderr and "edited" in broken.stderr


def test_audit_verify_with_exported_checkpoints_catches_a_recomputed_chain(tmp_path):
    """`contest audit checkpoints export`, then a rewrite with every hash recomputed: `contest
    audit verify` alone passes, `--checkpoints FILE` fails and names the row."""
    from datetime import datetime

    from contest.domain.audit_chain import AuditRecord, record_hash

    db_file = tmp_path / "contest.db"
    env = {
        **os.environ,
        "CONTEST_DATABASE_URL": f"sqlite:///{db_file}",
        "CONTEST_SECRET_KEY": "cli-test-key",
        "CONTEST_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "keys" / "audit.pem"),
    }
    assert run((env,), "migrate").returncode == 0
    with sqlite3.connect(db_file) as conn:
        for n in range(4):
            conn.execute(
                "INSERT INTO audit_pending (at, actor, action, object_type, object_id, ip, details) "
                f"VALUES ('2026-11-23 07:0{n}:00.000000', 'staff:1:admin', 'test.{n}', 'x', '{n}', '', '{{}}')"
            )
    exported = tmp_path / "checkpoints.json"
    done = run((env,), "audit", "checkpoints", "export", "--out", str(exported))
    assert done.returncode == 0, done.stderr
    assert json.loads(exported.read_text())["checkpoints"]
    assert (tmp_path / "keys" / "audit.pem").exists()
    ok = run((env,), "audit", "verify", "--checkpoints", str(exported), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["checkpoints"] >= 1

    with sqlite3.connect(db_file) as conn:
        rows = conn.execute(
            "SELECT seq, at, actor, action, object_type, object_id, ip, details, prev_hash "
            "FROM audit_log ORDER BY seq"
        ).fetchall()
        prev = "0" * 64
        for seq, at, actor, action, otype, oid, ip, details, _ in rows:
            if seq == 2:
                actor = "staff:2:someone-else"
            when = datetime.fromisoformat(at).replace(tzinfo=__import__("datetime").UTC)
            h = record_hash(AuditRecord(seq, when, actor, action, otype, oid, ip, details, prev))
            conn.execute(
                "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (actor, prev, h, seq),
            )
            prev = h
        conn.execute("UPDATE audit_head SET last_hash = ? WHERE id = 1", (prev,))
    assert run((env,), "audit", "verify").returncode == 0  # the chain alone cannot tell
    caught = run((env,), "audit", "verify", "--checkpoints", str(exported))
    assert caught.returncode == 1
    assert "rewritten" in caught.stderr and "viết lại" in caught.stderr
