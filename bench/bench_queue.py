"""Certificates through the job queue: 10,000 drawn by `contest worker --workers 2` (bar ≤ 60 s).

What a committee's "download all" of 10,000 costs once it no longer runs in a request: the
selection goes to the queue as two ZIP bundle jobs of 5,000 (one per worker process), each
drawn, zipped and put in the file store (the database). Measured from the jobs' creation to
both being done, beside the machine's ceiling for the same certificates: render_many on
2 processes, drawing only, no queue, no database, no ZIP.

BENCH_QUEUE_COUNT sets the count (e.g. 500 for a quick look on a shared machine).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import Figure

COUNT = int(os.environ.get("BENCH_QUEUE_COUNT", "10000"))
WORKERS = 2


def _drive(count: int) -> dict:
    """Runs in a child process whose environment points at a fresh database and queue."""
    from sqlalchemy import select

    from bench.bench_certificates import items
    from contest import clock, queue
    from contest.certificates import render_many
    from contest.certificates.fonts import register_fonts
    from contest.config import get_settings
    from contest.db import session_scope
    from contest.domain.awards import AwardRecord
    from contest.migrate import upgrade
    from contest.models import Certificate, Job
    from contest.services import certificates, contests, jobs
    from contest.services.context import SYSTEM

    upgrade(get_settings().database_url)
    with session_scope() as db:
        now = clock.now()
        contest = contests.create_contest(
            db,
            SYSTEM,
            contests.ContestSpec(
                status="published",
                slug="bench-queue",
                title_vi="Cuộc thi tìm hiểu về chuyển đổi số",
                title_en="Bench contest",
                rounds=(contests.RoundSpec(1, "Tuần 1", "Week 1", now, now + timedelta(days=7)),),
            ),
        )
        awards = [
            AwardRecord(
                award_key=f"participation:{i}",
                contest_id=contest.id,
                round_id=None,
                kind="participation",
                recipient_kind="individual",
                participant_id=None,
                unit_id=None,
                recipient_name="Nguyễn Văn An",
                recipient_unit="Huyện Tràng Định",
                tier_code="participation",
                tier_label_vi="Chứng nhận tham gia",
                achievement_vi="Đã tham gia Cuộc thi tìm hiểu về chuyển đổi số",
            )
            for i in range(count)
        ]
        start = time.perf_counter()
        for n in range(0, count, 1000):
            certificates.issue_certificates(db, SYSTEM, awards[n : n + 1000])
        issue_seconds = time.perf_counter() - start
        rows = list(db.execute(select(Certificate).order_by(Certificate.serial)).scalars())

    queue.connect()
    worker = subprocess.Popen(
        [sys.executable, "-m", "contest", "worker", "--workers", str(WORKERS)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the worker starts (its start-up is not what is measured)
        half = (len(rows) + 1) // 2
        start = time.perf_counter()
        with session_scope() as db:
            ids = [
                certificates.start_bundle_job(db, SYSTEM, contest, part, "zip").id
                for part in (rows[:half], rows[half:])
            ]
        deadline = time.monotonic() + max(600, count / 5)
        while True:
            with session_scope() as db:
                states = [db.get(Job, i) for i in ids]
                if all(j.status in ("done", "failed", "cancelled") for j in states):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the bundle jobs did not finish")
            time.sleep(0.2)
        queue_seconds = time.perf_counter() - start
        failed = [j.message_en for j in states if j.status != "done"]
        stored = sum(j.result_size or 0 for j in states)
        with session_scope() as db:
            finished = jobs.list_jobs(db, kind=certificates.BUNDLE_JOB)
            attempts = sum(j.attempts for j in finished)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    work = items(count)
    register_fonts()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        render_many(work, tmp, processes=WORKERS)
        ceiling_seconds = time.perf_counter() - start
    return {
        "issue": issue_seconds,
        "queue": queue_seconds,
        "ceiling": ceiling_seconds,
        "failed": failed,
        "stored_bytes": stored,
        "attempts": attempts,
    }


def run(count: int = COUNT) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CONTEST_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "CONTEST_QUEUE_URL": f"sqlite:///{tmp}/queue.db",
            "CONTEST_SECRET_KEY": "bench-queue-secret-key-0123456789-abcdefghij",
            "CONTEST_SWEEP_INTERVAL_SECONDS": "0",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_queue", "--drive", str(count)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
    seconds, ceiling = result["queue"], result["ceiling"]
    bar = 60 * count / 10_000
    return [
        Figure(
            f"{count:,} certificates through the queue (2 ZIP jobs, contest worker --workers {WORKERS})",
            seconds,
            "s",
            f"≤ {bar:,.0f} s",
            seconds <= bar and not result["failed"],
            f"{count / seconds:,.0f} a second, {result['stored_bytes'] / count / 1024:,.1f} KB each "
            f"into the database file store; ceiling on this machine (render_many, {WORKERS} "
            f"processes, no queue/ZIP/database) {ceiling:,.1f} s = {count / ceiling:,.0f} a second; "
            f"issuing them first took {result['issue']:,.1f} s; job runs {result['attempts']}"
            + (f"; FAILED: {result['failed']}" if result["failed"] else ""),
        )
    ]


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 3 and sys.argv[1] == "--drive":
        print(json.dumps(_drive(int(sys.argv[2]))))
    else:
        for figure in run():
            print(figure)
