"""Background jobs: the one owner of their states, progress, leases, retries and cancellation.

The queue (`contest.queue`, Huey) only carries a job's id to a worker; the `jobs` row says
what the job is and how far it got. A worker claims a job by taking a lease with a fresh
token, and renews it in the same transaction as each step of work, guarded by that token. So:
- a worker killed mid-job leaves a lease that runs out; `recover` queues the job again and
  the next worker resumes it from the last committed step (never left "running");
- a step is committed together with its progress, or not at all: run twice, a job does its
  work once (a superseded or cancelled worker finds its token gone and rolls back).
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.db import transactional
from contest.domain.errors import ContestError, NotFound
from contest.models import Job
from contest.models.jobs import ACTIVE_STATES
from contest.services import audit
from contest.services.context import Actor

log = logging.getLogger("contest.jobs")

# kind → "module:function" taking (db, job, progress) and returning an Outcome. Imported when
# a job of that kind runs, so this module imports none of the services that create jobs.
HANDLERS = {
    "certificates.issue": "contest.services.certificates:run_issue",
    "certificates.bundle": "contest.services.certificates:run_bundle",
    "exports.xlsx": "contest.services.exports:run_export",
    "signals.compute": "contest.services.signals:run_compute",
    "banks.import": "contest.services.bank_imports:run_import",
}
# A queued job nobody picked up for this many leases lost its queue message: send it again.
_STALE_QUEUED_LEASES = 5


class JobInterrupted(Exception):
    """The job was cancelled or another worker took it over: stop without writing."""


@dataclass(frozen=True)
class Outcome:
    message_vi: str
    message_en: str
    result_key: str | None = None
    result_name: str | None = None
    result_type: str | None = None
    result_size: int | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def actor_of(job: Job) -> Actor:
    data = (job.params or {}).get("actor") or {}
    return Actor(
        kind=data.get("kind", "system"),
        id=data.get("id"),
        label=data.get("label", ""),
        ip=data.get("ip", ""),
    )


# --- creating and dispatching ----------------------------------------------------------------


def create(
    db: Session, actor: Actor, kind: str, *, contest_id: int | None = None, params: dict
) -> Job:
    """A queued job in the caller's transaction; the caller commits, then calls `dispatch`."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    now = clock.now()
    job = Job(
        kind=kind,
        contest_id=contest_id,
        params={
            **params,
            "actor": {"kind": actor.kind, "id": actor.id, "label": actor.label, "ip": actor.ip},
        },
        status="queued",
        total=0,
        done=0,
        counts={},
        attempts=0,
        max_attempts=max(1, get_settings().job_max_attempts),
        worker="",
        message_vi="",
        message_en="",
        created_by=actor.audit_name[:120],
        created_at=now,
        enqueued_at=now,
    )
    db.add(job)
    db.flush()
    return job


def _not_configured(job_id: int) -> None:
    log.warning("job %s committed but no queue is configured in this process", job_id)


# Set by the process that owns the transport (the web app, the CLI, the worker: the queue's
# `enqueue`); services do not know how jobs travel. Tests run a job in their own transaction.
dispatcher: Callable[[int], None] = _not_configured


def dispatch(job_id: int) -> None:
    """Hand a committed job to the queue. A failure here is logged, not raised: the job is
    committed as queued, and `recover` sends it again."""
    try:
        dispatcher(job_id)
    except Exception:
        log.exception("could not enqueue job %s; recovery will retry", job_id)


# --- running ---------------------------------------------------------------------------------


class Progress:
    """What a handler reports through; every report renews the lease and checks the token."""

    def __init__(self, db: Session, job: Job, token: str) -> None:
        self.db = db
        self.job = job
        self.token = token

    def report(
        self, *, done: int | None = None, total: int | None = None, counts: dict | None = None
    ) -> None:
        """Record progress in the current transaction (the caller commits it with its work)."""
        values: dict = {"lease_until": clock.now() + _lease()}
        if done is not None:
            values["done"] = done
        if total is not None:
            values["total"] = total
        if counts is not None:
            values["counts"] = dict(counts)
        result = _execute(
            self.db,
            update(Job)
            .where(Job.id == self.job.id, Job.claim_token == self.token, Job.status == "running")
            .values(**values)
            .execution_options(synchronize_session=False),
        )
        if result.rowcount != 1:
            raise JobInterrupted(self.job.id)
        for name, value in values.items():
            setattr(self.job, name, value)

    def commit(self, **values) -> None:
        self.report(**values)
        self.db.commit()


def _execute(db: Session, statement) -> CursorResult:
    """An UPDATE whose row count tells whether its guard held."""
    return cast(CursorResult, db.execute(statement))


def _lease() -> timedelta:
    return timedelta(seconds=max(1, get_settings().job_lease_seconds))


def claim(db: Session, job_id: int, worker: str | None = None) -> tuple[Job, str] | None:
    """Take the job if it is queued, or running on a lease that ran out; None otherwise."""
    now = clock.now()
    token = secrets.token_hex(16)
    result = _execute(
        db,
        update(Job)
        .where(
            Job.id == job_id,
            Job.attempts < Job.max_attempts,
            or_(Job.status == "queued", and_(Job.status == "running", Job.lease_until < now)),
        )
        .values(
            status="running",
            attempts=Job.attempts + 1,
            claim_token=token,
            worker=(worker or worker_name())[:120],
            lease_until=now + _lease(),
            started_at=now,
            finished_at=None,
        )
        .execution_options(synchronize_session=False),
    )
    db.commit()
    if result.rowcount != 1:
        return None
    job = db.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one()
    return job, token


def _close(db: Session, job_id: int, token: str, status: str, **values) -> bool:
    result = _execute(
        db,
        update(Job)
        .where(Job.id == job_id, Job.claim_token == token, Job.status == "running")
        .values(status=status, claim_token=None, lease_until=None, **values)
        .execution_options(synchronize_session=False),
    )
    db.commit()
    return result.rowcount == 1


class RetryLater(Exception):
    """A job stopped on an unexpected error and has attempts left: the queue runs it again."""


def run(db: Session, job_id: int, worker: str | None = None) -> Job | None:
    """Claim and run one job. Raises RetryLater when the queue should try again."""
    claimed = claim(db, job_id, worker)
    if claimed is None:
        return db.get(Job, job_id)  # done, cancelled, or in another worker's hands
    job, token = claimed
    module_name, function_name = HANDLERS[job.kind].split(":")
    handler = getattr(importlib.import_module(module_name), function_name)
    try:
        outcome: Outcome = handler(db, job, Progress(db, job, token))
    except JobInterrupted:
        db.rollback()
        log.info("job %s stopped: cancelled or taken over", job_id)
    except ContestError as exc:
        db.rollback()
        _close(
            db,
            job_id,
            token,
            "failed",
            message_vi=exc.message_vi,
            message_en=exc.message_en,
            finished_at=clock.now(),
        )
    except Exception as exc:
        db.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        retry = job.attempts < job.max_attempts
        name = type(exc).__name__
        _close(
            db,
            job_id,
            token,
            "queued" if retry else "failed",
            message_vi=f"Lỗi hệ thống: {name}." + (" Sẽ chạy lại." if retry else ""),
            message_en=f"System error: {name}." + (" It will run again." if retry else ""),
            finished_at=None if retry else clock.now(),
            enqueued_at=clock.now(),
        )
        if retry:
            raise RetryLater(job_id) from exc
    else:
        _close(
            db,
            job_id,
            token,
            "done",
            message_vi=outcome.message_vi,
            message_en=outcome.message_en,
            result_key=outcome.result_key,
            result_name=outcome.result_name,
            result_type=outcome.result_type,
            result_size=outcome.result_size,
            finished_at=clock.now(),
        )
    return db.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one()


def recover(db: Session) -> list[int]:
    """Queue again the jobs whose worker died (lease ran out) and resend queued jobs whose
    queue message was lost; fail those whose attempts are used up. Returns the ids sent."""
    now = clock.now()
    lease = _lease()
    resend: list[int] = []
    stale_running = db.execute(
        select(Job.id, Job.attempts, Job.max_attempts).where(
            Job.status == "running", Job.lease_until < now
        )
    ).all()
    for job_id, attempts, max_attempts in stale_running:
        guard = and_(Job.id == job_id, Job.status == "running", Job.lease_until < now)
        if attempts < max_attempts:
            values = dict(
                status="queued",
                claim_token=None,
                lease_until=None,
                enqueued_at=now,
                message_vi="Tiến trình xử lý đã dừng giữa chừng; công việc được xếp hàng chạy tiếp.",
                message_en="The worker stopped mid-way; the job is queued to resume.",
            )
        else:
            values = dict(
                status="failed",
                claim_token=None,
                lease_until=None,
                finished_at=now,
                message_vi=f"Tiến trình xử lý đã dừng {attempts} lần; công việc dừng lại. Có thể chạy lại.",
                message_en=f"The worker stopped {attempts} times; the job was given up. It can be retried.",
            )
        result = _execute(
            db,
            update(Job).where(guard).values(**values).execution_options(synchronize_session=False),
        )
        if result.rowcount == 1 and values["status"] == "queued":
            resend.append(job_id)
    lost = db.execute(
        select(Job.id).where(
            Job.status == "queued",
            or_(Job.enqueued_at.is_(None), Job.enqueued_at < now - lease * _STALE_QUEUED_LEASES),
        )
    ).scalars()
    for job_id in list(lost):
        db.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
        resend.append(job_id)
    db.commit()
    for job_id in resend:
        dispatch(job_id)
    return resend


# --- operators: list, retry, cancel ----------------------------------------------------------


def get(db: Session, job_id: int, contest_id: int | None = None) -> Job:
    job = db.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if job is None or (contest_id is not None and job.contest_id != contest_id):
        raise NotFound("Không có công việc này.", "There is no such job.")
    return job


def list_jobs(
    db: Session,
    *,
    contest_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Job]:
    query = select(Job).execution_options(populate_existing=True)
    if contest_id is not None:
        query = query.where(Job.contest_id == contest_id)
    if kind:
        query = query.where(Job.kind == kind)
    if status == "active":
        query = query.where(Job.status.in_(ACTIVE_STATES))
    elif status:
        query = query.where(Job.status == status)
    return list(db.execute(query.order_by(Job.id.desc()).limit(limit)).scalars())


def active_job(db: Session, kind: str, contest_id: int) -> Job | None:
    return db.execute(
        select(Job)
        .where(Job.kind == kind, Job.contest_id == contest_id, Job.status.in_(ACTIVE_STATES))
        .limit(1)
    ).scalar_one_or_none()


@transactional
def cancel(db: Session, actor: Actor, job_id: int) -> Job:
    """Stop a queued or running job; a running worker stops at its next step, writing nothing more."""
    job = get(db, job_id)
    if job.status not in ACTIVE_STATES:
        raise ContestError(
            "Chỉ huỷ được công việc đang chờ hoặc đang chạy.",
            "Only a queued or running job can be cancelled.",
        )
    job.status = "cancelled"
    job.claim_token = None
    job.lease_until = None
    job.finished_at = clock.now()
    job.message_vi = "Đã huỷ."
    job.message_en = "Cancelled."
    db.flush()
    audit.record(db, actor, "jobs.cancel", "job", job.id, {"kind": job.kind})
    return job


@transactional
def _requeue(db: Session, actor: Actor, job_id: int) -> Job:
    """Queue a failed or cancelled job again; it resumes from its last committed step."""
    job = get(db, job_id)
    if job.status not in ("failed", "cancelled"):
        raise ContestError(
            "Chỉ chạy lại được công việc bị lỗi hoặc đã huỷ.",
            "Only a failed or cancelled job can be retried.",
        )
    if job.contest_id is not None and active_job(db, job.kind, job.contest_id) is not None:
        raise ContestError(
            "Đang có một công việc cùng loại chạy cho cuộc thi này.",
            "A job of the same kind is already running for this contest.",
        )
    job.status = "queued"
    job.attempts = 0
    job.finished_at = None
    job.enqueued_at = clock.now()
    job.message_vi = ""
    job.message_en = ""
    db.flush()
    audit.record(db, actor, "jobs.retry", "job", job.id, {"kind": job.kind})
    return job


def retry(db: Session, actor: Actor, job_id: int) -> Job:
    """Queue a failed or cancelled job again; it resumes from its last committed step."""
    job = _requeue(db, actor, job_id)
    dispatch(job.id)  # once the job is committed as queued
    return job


def result_file(db: Session, job: Job) -> tuple[Iterator[bytes], int] | None:
    """The chunks and size of the file a finished job built, or None."""
    from contest import storage

    if job.status != "done" or not job.result_key:
        return None
    store = storage.get_store()
    info = store.info(db, job.result_key)
    if info is None:
        return None
    return store.read(db, job.result_key), info.size
