"""`contest jobs …` and `contest worker`: background jobs and the process that runs them."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from contest.commands.output import JsonFlag

jobs_app = typer.Typer(help="Công việc chạy nền / background jobs", no_args_is_help=True)

CLI_ACTOR_LABEL = "cli"


def _as_dict(job) -> dict:
    return {
        "id": job.id,
        "kind": job.kind,
        "contest_id": job.contest_id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "counts": job.counts,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "worker": job.worker,
        "message_vi": job.message_vi,
        "message_en": job.message_en,
        "result_name": job.result_name,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@jobs_app.command("list")
def list_command(
    status: Annotated[
        str, typer.Option(help="queued, running, done, failed, cancelled, or active.")
    ] = "",
    limit: int = 50,
    as_json: JsonFlag = False,
) -> None:
    """Recent jobs, newest first, with their progress and errors."""
    from contest.db import session_scope
    from contest.services import jobs

    with session_scope() as db:
        items = [_as_dict(j) for j in jobs.list_jobs(db, status=status or None, limit=limit)]
    if as_json:
        typer.echo(json.dumps({"ok": True, "jobs": items}, ensure_ascii=False, default=str))
        return
    for j in items:
        message = j["message_vi"] or ""
        typer.echo(
            f"#{j['id']:<6} {j['kind']:<20} {j['status']:<9} {j['done']}/{j['total']}"
            f"  lần / attempt {j['attempts']}/{j['max_attempts']}  {message}"
        )
    if not items:
        typer.echo("Không có công việc nào / no jobs")


def _operate(action: str, job_id: int, as_json: bool) -> None:
    from contest.commands.output import error_dict, fail
    from contest.db import session_scope
    from contest.domain.errors import ContestError
    from contest.services import jobs
    from contest.services.context import Actor

    actor = Actor(kind="system", label=CLI_ACTOR_LABEL)
    with session_scope() as db:
        try:
            job = getattr(jobs, action)(db, actor, job_id)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        data = _as_dict(job)
    if as_json:
        typer.echo(json.dumps({"ok": True, "job": data}, ensure_ascii=False, default=str))
    else:
        typer.echo(f"#{data['id']} {data['kind']}: {data['status']}")


@jobs_app.command("retry")
def retry_command(job_id: int, as_json: JsonFlag = False) -> None:
    """Queue a failed or cancelled job again; it resumes where it stopped."""
    _operate("retry", job_id, as_json)


@jobs_app.command("cancel")
def cancel_command(job_id: int, as_json: JsonFlag = False) -> None:
    """Cancel a queued or running job; a running one stops at its next step."""
    _operate("cancel", job_id, as_json)


def worker(
    workers: Annotated[int, typer.Option(help="Jobs run at once (one per core).")] = 2,
    threads: Annotated[
        bool, typer.Option("--threads", help="Threads instead of processes (one core's worth).")
    ] = False,
    periodic: Annotated[
        bool, typer.Option(help="Also run the periodic housekeeping (sweeper, audit seal).")
    ] = True,
) -> None:
    """Run the job queue: certificate issues, downloads being built, housekeeping."""
    from contest import logs, queue

    # JSON lines or readable text (CONTEST_LOG_FORMAT). Huey is kept to warnings: the audit seal
    # runs every few seconds and its line per task would drown the rest; jobs report their
    # progress and errors in the jobs table and contest.jobs, and huey still logs failures.
    logs.configure()
    typer.echo(
        f"Đang chạy hàng đợi / running the queue: {queue.describe()}, {workers} "
        f"{'luồng / threads' if threads else 'tiến trình / processes'}"
    )
    _stop_with_parent()
    queue.consumer(workers, processes=not threads, periodic=periodic).run()


def _stop_with_parent() -> None:
    """A worker started by `contest serve` stops when that server is gone, however it ended."""
    import os
    import signal
    import threading
    import time

    parent = os.environ.get("CONTEST_WORKER_PARENT_PID")
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
