"""One machine, as `make run` starts it: `contest serve` brings its own job worker, so a bulk
certificate issue started on the committee page finishes with no second command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from live_server import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.timeout(300)


def test_serve_runs_a_worker_beside_itself_and_the_issue_job_finishes(tmp_path):
    env = {
        **os.environ,
        "CONTEST_DATABASE_URL": f"sqlite:///{tmp_path / 'contest.db'}",
        "CONTEST_QUEUE_URL": "",  # the default: a SQLite queue file, served beside the server
        "CONTEST_SECRET_KEY": "one-machine-secret-key-0123456789-abcdefghij",
        "CONTEST_COOKIE_SECURE": "false",
    }
    env.pop("CONTEST_SERVE_WORKER", None)
    contest = [sys.executable, "-m", "contest"]
    for step in (["migrate"], ["demo"]):
        subprocess.run(contest + step, cwd=tmp_path, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*contest, "serve", "--port", str(port), "--no-access-log"],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, base)
        with httpx.Client(base_url=base, timeout=20) as http:
            page = http.get("/staff/login")
            r = http.post(
                "/staff/login",
                data={
                    "csrf_token": CSRF_RE.search(page.text)[1],
                    "username": "truongban",
                    "password": "demo-chair-2023",
                },
            )
            assert r.status_code == 303, r.text
            listing = http.get("/admin/contests/lang-son-2023/certificates")
            r = http.post(
                "/admin/contests/lang-son-2023/certificates/issue",
                data={"csrf_token": CSRF_RE.search(listing.text)[1], "kind": "participation"},
            )
            assert r.status_code == 303, r.text
            job_url = r.headers["location"]
            deadline = time.monotonic() + 60
            while "Đã xong" not in (page := http.get(job_url).text):
                assert "Thất bại" not in page and "Lỗi" not in page, page
                assert time.monotonic() < deadline, "the job did not finish: " + page[-1500:]
                time.sleep(0.5)
            assert "cấp mới 308" in page
            jobs_page = http.get("/admin/jobs").text
            assert job_url.rsplit("/", 1)[1] in jobs_page
    finally:
        stop(server, seconds=20)
