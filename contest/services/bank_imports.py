"""A confirmed bank import: inside the request when it is small, by a worker when it is large.

Parsing and inserting 10,000 questions with their pictures takes seconds of an app process that
also serves answer saves, so above `INLINE_MAX` questions the staged upload (kept where every
host reads it, services/staging.py) is imported by the job queue and its page shows the result."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contest.db import transaction
from contest.domain.errors import ContestError
from contest.models import Job
from contest.services import audit, banks, jobs, staging
from contest.services.context import Actor

IMPORT_JOB = "banks.import"
# Up to this many questions the import runs in the request (about a second).
INLINE_MAX = 2000


def needs_worker(manifest: dict) -> bool:
    return int(manifest.get("questions") or 0) > INLINE_MAX


def start_job(db: Session, actor: Actor, token: str, owner: str, manifest: dict) -> Job:
    """Queue the import of a staged upload; the token and its owner travel with the job."""
    with transaction(db):
        job = jobs.create(
            db,
            actor,
            IMPORT_JOB,
            params={"token": token, "owner": owner, "bank": manifest["bank"]},
        )
        audit.record(
            db,
            actor,
            "banks.import_job",
            "job",
            job.id,
            {"bank": manifest["bank"], "questions": manifest.get("questions")},
        )
    jobs.dispatch(job.id)  # after the commit: a worker must find the row
    return job


def run_import(db: Session, job: Job, progress: jobs.Progress) -> jobs.Outcome:
    """The import job: the same import as the confirm button's, in one transaction; a rerun
    after a killed worker finds the questions already there and imports them as duplicates."""
    manifest, files = staging.take(db, job.params["token"], job.params["owner"])
    progress.commit(total=int(manifest.get("questions") or 0), done=0)
    report = banks.import_questions(
        db, jobs.actor_of(job), manifest["bank"], files, bank_title=manifest.get("title") or None
    )
    if not report.ok:
        first = report.errors[0] if report.errors else None
        raise ContestError(
            f"Không nhập câu hỏi nào: {len(report.errors)} lỗi"
            + (f"; lỗi đầu tiên: {first.message_vi}" if first else "")
            + ". Hãy xem trước lại tệp.",
            f"Nothing was imported: {len(report.errors)} errors"
            + (f"; the first: {first.message_en}" if first else "")
            + ". Preview the file again.",
        )
    staging.discard(db, job.params["token"])
    progress.report(done=report.imported + report.duplicates)
    return jobs.Outcome(
        f"Đã nhập {report.imported} câu hỏi vào ngân hàng {report.bank} "
        f"({report.duplicates} câu trùng bỏ qua).",
        f"Imported {report.imported} questions into bank {report.bank} "
        f"({report.duplicates} duplicates left out).",
    )
