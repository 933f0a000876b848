"""The job queue (Huey): carries job ids from the web processes to `contest worker`, and runs
the periodic housekeeping (sweeper, audit seal, purges, job recovery) in the workers, not in
every web process.

`CONTEST_QUEUE_URL` picks the storage: a SQLite file (the default, one machine, `make run`)
or Redis (`redis://host:6379/0`, workers on any host). What a job is and how far it got lives
in the database (`contest.services.jobs`); a queue message lost with a crashed worker costs
nothing, because recovery finds the job by its lease and sends it again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Scheduler
from huey.exceptions import TaskLockedException

from contest.config import get_settings

log = logging.getLogger("contest.queue")


def make_huey(url: str, name: str) -> Huey:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, utc=True)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), utc=True)
    if url == "memory://":  # tests: messages stay in this process
        return MemoryHuey(name, utc=True)
    raise ValueError(f"CONTEST_QUEUE_URL: unsupported queue {url!r} (sqlite:///…, redis://…)")


_settings = get_settings()
huey = make_huey(_settings.resolved_queue_url(), _settings.queue_name)


def describe() -> str:
    """Where the queue lives, without a password."""
    url = _settings.resolved_queue_url()
    if "@" in url:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return f"{url} ({_settings.queue_name})"


@huey.task(retries=max(0, _settings.job_max_attempts - 1), retry_delay=5)
def run_job(job_id: int) -> None:
    """Run one job; an unexpected error leaves it queued and the queue retries it later."""
    from contest.db import session_scope
    from contest.services import jobs

    with session_scope() as db:
        jobs.run(db, job_id)


def enqueue(job_id: int) -> None:
    """Send a committed job to the workers."""
    run_job(job_id)


@huey.task()
def deliver_message(notice_id: int) -> None:
    """Send one committed message now (a reset code someone waits for); a failure is recorded
    on the message and retried by the periodic send, not by the queue."""
    from contest.db import session_scope
    from contest.services import messages

    with session_scope() as db:
        messages.deliver(db, notice_id)


def connect() -> None:
    """Make the services in this process send their jobs and messages through this queue."""
    from contest.services import jobs, messages

    jobs.dispatcher = enqueue
    messages.dispatcher = deliver_message


def every(seconds: int):
    """A periodic-task schedule: true on the seconds of the day that `seconds` divides; never for 0."""

    def due(moment) -> bool:
        return (
            seconds > 0 and (moment.hour * 3600 + moment.minute * 60 + moment.second) % seconds == 0
        )

    return due


def _housekeeping(name: str, fn, *, exclusive: bool) -> None:
    """Run `fn` in its own session; `exclusive`: one worker at a time, where the queue's storage
    can give a lock that expires (Redis 7.4+), so a crashed holder cannot block it for good.
    Elsewhere (the SQLite queue, older Redis) it simply runs: every one of these tasks is safe
    on every host at once, the lock only saves duplicate work."""
    from contest.db import session_scope

    lock = huey.lock_task(f"contest-{name}", ttl=600) if exclusive else None
    try:
        if lock is not None:
            lock.acquire()
    except TaskLockedException:
        log.debug("%s already running elsewhere", name)
        return
    except NotImplementedError:  # this storage has no expiring keys
        lock = None
    try:
        with session_scope() as db:
            fn(db)
    finally:
        if lock is not None:
            lock.release()


@huey.periodic_task(every(_settings.sweep_interval_seconds), name="contest.sweep")
def sweep() -> None:
    """Score attempts whose time ran out without a submit."""
    from contest.services import taking

    _housekeeping("sweep", taking.sweep, exclusive=True)


@huey.periodic_task(every(_settings.sweep_interval_seconds), name="contest.purge")
def purge() -> None:
    """Old sign-in failures and devices, finished or abandoned provider sign-ins (with the
    verified details they held), staged uploads past their hour, old live counters."""
    from contest.services import live, oidc, ratelimit, staging

    _housekeeping("login-purge", ratelimit.purge_old_failures, exclusive=True)
    _housekeeping("oidc-purge", oidc.purge_old_sign_ins, exclusive=True)
    _housekeeping("staging-sweep", staging.sweep, exclusive=True)
    _housekeeping("live-counts-purge", live.purge, exclusive=True)


@huey.periodic_task(every(_settings.audit_seal_interval_seconds), name="contest.audit_seal")
def audit_seal() -> None:
    """Chain queued audit entries; sealers take turns on the chain's head row."""
    from contest.services import audit

    _housekeeping("audit-seal", audit.seal_pending, exclusive=False)


@huey.periodic_task(every(_settings.job_recover_interval_seconds), name="contest.recover_jobs")
def recover_jobs() -> None:
    """Queue again the jobs a dead worker left behind."""
    from contest.services import jobs

    _housekeeping("recover-jobs", jobs.recover, exclusive=True)


@huey.periodic_task(every(_settings.outbox_interval_seconds), name="contest.outbox")
def send_messages() -> None:
    """Send due messages and retry failed sends; a message is taken by one worker at a time."""
    from contest.services import messages

    _housekeeping("outbox", messages.send_due, exclusive=False)


@huey.periodic_task(
    every(_settings.message_schedule_interval_seconds), name="contest.message_schedule"
)
def schedule_messages() -> None:
    """Queue the news that fell due (rounds opening and closing, results, certificates); each
    message has a key, so a second worker or a second run queues nothing twice."""
    from contest.services import message_schedule

    _housekeeping("message-schedule", message_schedule.queue_due_news, exclusive=True)


class _SecondScheduler(Scheduler):
    # Huey checks periodic tasks once a minute; the audit seal is due every few seconds.
    periodic_task_seconds = 1


class WorkerConsumer(Consumer):
    scheduler_class = _SecondScheduler


def consumer(workers: int = 2, *, processes: bool = True, periodic: bool = True) -> Consumer:
    """A consumer of the queue. Processes by default: rendering PDFs is CPU work under the GIL."""
    from contest import db as database
    from contest.db import session_scope
    from contest.services import jobs

    connect()
    # Jobs left behind by a worker that died are due again at once, not in a recovery interval.
    with session_scope() as db:
        jobs.recover(db)
    # Forked workers must not share this process's database connections.
    database.get_engine().dispose()
    database.use_engine(None)
    return WorkerConsumer(
        huey,
        workers=workers,
        worker_type="process" if processes else "thread",
        periodic=periodic,
        check_worker_health=True,
        initial_delay=0.05,
        max_delay=1.0,
    )
