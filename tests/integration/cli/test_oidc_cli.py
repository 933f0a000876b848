"""`contest oidc set|show|disable` as an operator runs them: a real process, a real SQLite file,
and a real local OpenID provider for `--check`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_contest
from oidc_provider import CLIENT_ID, Provider
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from contest.migrate import upgrade
from contest.models import AuditEntry, IdentityProvider

CONTEST = str(Path(sys.executable).with_name("contest"))


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path / 'contest.db'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as db:
        make_contest(db, "lang-son-2023")
    engine.dispose()
    environment = {
        **os.environ,
        "CONTEST_DATABASE_URL": url,
        "CONTEST_SECRET_KEY": "cli-test-key",
        "CONTEST_OIDC_SECRETS_DIR": str(tmp_path / "secrets"),
    }
    environment.pop("CONTEST_OIDC_SECRET_LANG_SON", None)
    return environment, url, tmp_path


def run(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CONTEST, "oidc", *args],
        env=env[0],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def test_set_show_and_disable_keep_the_secret_out_of_the_database(env):
    provider = Provider().start()
    try:
        bad = run(
            env,
            "set",
            "--contest",
            "lang-son-2023",
            "--issuer",
            "http://sso.example.vn",
            "--client-id",
            CLIENT_ID,
            "--json",
        )
        assert bad.returncode == 1
        assert json.loads(bad.stdout)["errors"][0]["field"] == "issuer"

        secret = env[2] / "from-the-provider.txt"
        secret.write_text("the-client-secret\n")
        done = run(
            env,
            "set",
            "--contest",
            "lang-son-2023",
            "--issuer",
            provider.issuer,
            "--client-id",
            CLIENT_ID,
            "--name",
            "VNeID",
            "--secret-name",
            "lang-son",
            "--secret-file",
            str(secret),
            "--claim-citizen-id",
            "identity.cccd",
            "--check",
            "--json",
        )
        assert done.returncode == 0, done.stderr + done.stdout
        shown = json.loads(done.stdout)["provider"]
        assert shown["secret"] == "file" and shown["claims"]["citizen_id"] == "identity.cccd"
        assert shown["redirect_uri"].endswith("/c/lang-son-2023/oidc/callback")
        stored = env[2] / "secrets" / "lang-son"
        assert stored.read_text().strip() == "the-client-secret"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert ("GET", "/.well-known/openid-configuration") in provider.requests

        # A later `set` changes only what it names.
        assert (
            run(
                env, "set", "--contest", "lang-son-2023", "--scopes", "openid profile phone"
            ).returncode
            == 0
        )
        text = run(env, "show", "--contest", "lang-son-2023")
        assert text.returncode == 0
        assert "identity.cccd" in text.stdout and "openid profile phone" in text.stdout
        assert run(env, "disable", "--contest", "lang-son-2023").returncode == 0
        assert (
            json.loads(run(env, "show", "--contest", "lang-son-2023", "--json").stdout)["provider"][
                "enabled"
            ]
            is False
        )
    finally:
        provider.stop()
    engine = create_engine(env[1])
    with Session(engine) as db:
        row = db.execute(select(IdentityProvider)).scalar_one()
        assert row.secret_name == "lang-son"
        dumped = " ".join(str(v) for v in row.__dict__.values())
        assert "the-client-secret" not in dumped
        actions = [a for (a,) in db.execute(select(AuditEntry.action))]
        assert actions.count("oidc.configure") == 2 and "oidc.disable" in actions
        details = " ".join(d for (d,) in db.execute(select(AuditEntry.details)))
        assert "the-client-secret" not in details
    engine.dispose()


def test_show_names_a_contest_without_a_provider(env):
    shown = run(env, "show", "--contest", "lang-son-2023", "--json")
    assert shown.returncode == 1
    assert "no identity provider" in json.loads(shown.stdout)["errors"][0]["message_en"]
