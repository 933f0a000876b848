"""One machine, as `make run` starts it: `contest serve` brings its own job worker, so a bulk
certificate issue started on the committee page finishes with no second command."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = _free_port()
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
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
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
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
