"""Background job pages: the list, one job's progress, cancel and retry, the file a job built."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.domain.errors import ContestError, NotFound
from contest.domain.permissions import OFFICE, roles_for
from contest.services import contests, jobs
from contest.services.sessions import Principal
from contest.web import downloads
from contest.web.deps import actor_for, get_db, is_htmx, require_staff
from contest.web.templating import render

router = APIRouter(prefix="/admin/jobs")

VIEWERS = OFFICE
OPERATORS = roles_for("operate_jobs")


@router.get("")
def job_list(
    request: Request,
    status: str = "",
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*VIEWERS)),
):
    items = jobs.list_jobs(db, status=status or None, limit=100)
    slugs = {c.id: c.slug for c in contests.list_contests(db)}
    return render(
        request, "jobs/list.html", {"items": items, "status": status, "contest_slugs": slugs}
    )


def _job_page(request: Request, db: Session, job_id: int, error: ContestError | None = None):
    job = jobs.get(db, job_id)
    ctx = {"job": job, "error": error}
    if is_htmx(request) and error is None:
        return render(request, "jobs/_job.html", ctx)
    return render(request, "jobs/job.html", ctx, status_code=422 if error else 200)


@router.get("/{job_id}")
def job_page(
    request: Request,
    job_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*VIEWERS)),
):
    return _job_page(request, db, job_id)


@router.post("/{job_id}/cancel")
def cancel(
    request: Request,
    job_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OPERATORS)),
):
    try:
        jobs.cancel(db, actor_for(request, principal), job_id)
    except NotFound:
        raise
    except ContestError as exc:
        return _job_page(request, db, job_id, exc)
    return RedirectResponse(f"/admin/jobs/{job_id}", status_code=303)


@router.post("/{job_id}/retry")
def retry(
    request: Request,
    job_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*OPERATORS)),
):
    try:
        jobs.retry(db, actor_for(request, principal), job_id)
    except NotFound:
        raise
    except ContestError as exc:
        return _job_page(request, db, job_id, exc)
    return RedirectResponse(f"/admin/jobs/{job_id}", status_code=303)


@router.get("/{job_id}/file")
def job_file(
    job_id: int,
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_staff(*VIEWERS)),
):
    """The file a finished job built, streamed from the file store (any host serves it)."""
    job = jobs.get(db, job_id)
    found = jobs.result_file(db, job)
    if found is None:
        raise NotFound("Công việc này chưa tạo tệp nào.", "This job has not built a file.")
    chunks, size = found
    return downloads.stream(
        chunks,
        size=size,
        media_type=job.result_type or "application/octet-stream",
        filename=job.result_name or f"job-{job.id}",
    )
