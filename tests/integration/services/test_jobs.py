"""Background jobs: a killed worker's job resumes, a job runs once however often it is
delivered, progress is recorded with each step, cancel and retry, errors are kept."""

from datetime import timedelta

import pytest
from factories import make_award, make_contest
from sqlalchemy import select

from contest import clock
from contest.domain.errors import ContestError
from contest.models import AuditEntry, Certificate, Job
from contest.services import certificates as service
from contest.services import jobs
from contest.services.context import Actor

CHAIR = Actor("staff", 1, "truongban")


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no except clause sees it."""


@pytest.fixture
def awards(db, monkeypatch):
    contest = make_contest(db)
    items = [make_award(contest, f"prize:{i}", f"Người nhận {i}") for i in range(7)]
    monkeypatch.setattr(service, "awards_for", lambda *a, **k: items)
    monkeypatch.setattr(service, "JOB_BATCH", 3)
    sent: list[int] = []
    monkeypatch.setattr(jobs, "dispatcher", sent.append)
    return contest, items, sent


def _serials(db, contest) -> list[int]:
    return sorted(
        db.execute(select(Certificate.serial).where(Certificate.contest_id == contest.id)).scalars()
    )


def _kill_after_batches(monkeypatch, n: int) -> None:
    real = service.issue_certificates
    calls = {"n": 0}

    def issue(*args, **kwargs):
        if calls["n"] == n:
            raise WorkerKilled
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "issue_certificates", issue)


def test_a_job_is_queued_and_dispatched_after_its_commit(db, awards):
    contest, _, sent = awards
    job = service.start_issue_job(db, CHAIR, contest)
    assert (job.status, job.kind, job.params["actor"]["label"]) == (
        "queued",
        "certificates.issue",
        "truongban",
    )
    assert sent == [job.id]


def test_a_job_killed_with_its_worker_is_queued_again_and_resumes_without_gaps(
    db, awards, monkeypatch
):
    contest, _, sent = awards
    job = service.start_issue_job(db, CHAIR, contest)
    _kill_after_batches(monkeypatch, 1)
    with pytest.raises(WorkerKilled):
        jobs.run(db, job.id, worker="host-a:1")
    db.rollback()
    stuck = jobs.get(db, job.id)
    # What a restart used to leave forever: running, with one batch committed with its progress.
    assert (stuck.status, stuck.done, stuck.total, stuck.worker) == ("running", 3, 7, "host-a:1")
    assert _serials(db, contest) == [1, 2, 3]
    assert jobs.recover(db) == []  # its lease has not run out yet: the worker may be alive

    clock.shift(timedelta(seconds=61))
    assert jobs.recover(db) == [job.id]
    assert jobs.get(db, job.id).status == "queued"
    monkeypatch.undo()
    monkeypatch.setattr(service, "awards_for", lambda *a, **k: awards[1])
    monkeypatch.setattr(service, "JOB_BATCH", 3)
    done = jobs.run(db, job.id, worker="host-b:2")
    assert (done.status, done.done, done.attempts) == ("done", 7, 2)
    assert done.counts == {"issued": 7, "skipped": 0}
    assert _serials(db, contest) == list(range(1, 8))
    # Once done, delivering it again does nothing.
    assert jobs.run(db, job.id).status == "done" and _serials(db, contest) == list(range(1, 8))


def test_a_later_issue_is_not_refused_forever_by_a_dead_job(db, awards, monkeypatch):
    contest, _, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)
    jobs.claim(db, job.id, "dead-host:9")
    with pytest.raises(ContestError, match="already running"):
        service.start_issue_job(db, CHAIR, contest)
    clock.shift(timedelta(seconds=61))
    jobs.recover(db)
    assert service.run_issue_job(db, CHAIR, job.id).status == "done"
    assert service.start_issue_job(db, CHAIR, contest).status == "queued"


def test_a_superseded_worker_writes_nothing_more(db, awards):
    contest, _, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)
    first, token_a = jobs.claim(db, job.id, "slow-host:1")
    assert jobs.claim(db, job.id, "other:2") is None  # the lease holds
    clock.shift(timedelta(seconds=61))
    _, token_b = jobs.claim(db, job.id, "other:2")
    with pytest.raises(jobs.JobInterrupted):
        jobs.Progress(db, first, token_a).report(done=1)
    db.rollback()
    jobs.Progress(db, first, token_b).commit(done=1)
    assert jobs.get(db, job.id).done == 1


def test_running_the_same_job_twice_issues_each_certificate_once(db, awards):
    contest, items, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)
    jobs.run(db, job.id)
    # Delivered again with its progress lost (the worst case): it walks the whole list again.
    row = jobs.get(db, job.id)
    row.status, row.done = "queued", 0
    db.commit()
    again = jobs.run(db, job.id)
    assert again.status == "done" and again.counts == {"issued": 0, "skipped": 7}
    assert _serials(db, contest) == list(range(1, len(items) + 1))


def test_cancel_stops_a_running_job_at_its_next_step(db, awards, monkeypatch):
    contest, _, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)
    real = service.issue_certificates
    calls = {"n": 0}

    def issue(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the committee cancels while the second batch is being issued
            db.execute(Job.__table__.update().where(Job.id == job.id).values(status="cancelled"))
            db.commit()  # as another session would
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "issue_certificates", issue)
    stopped = jobs.run(db, job.id)
    assert (stopped.status, stopped.done) == ("cancelled", 3)
    assert _serials(db, contest) == [1, 2, 3]


def test_cancel_and_retry_by_an_operator_are_audited(db, awards):
    contest, _, sent = awards
    job = service.start_issue_job(db, CHAIR, contest)
    assert jobs.cancel(db, CHAIR, job.id).status == "cancelled"
    assert jobs.run(db, job.id).status == "cancelled"  # a late queue message changes nothing
    with pytest.raises(ContestError):
        jobs.cancel(db, CHAIR, job.id)
    again = jobs.retry(db, CHAIR, job.id)
    assert again.status == "queued" and sent[-1] == job.id
    assert jobs.run(db, job.id).status == "done"
    with pytest.raises(ContestError):
        jobs.retry(db, CHAIR, job.id)
    actions = set(
        db.execute(
            select(AuditEntry.action).where(AuditEntry.action.in_(("jobs.cancel", "jobs.retry")))
        ).scalars()
    )
    assert actions == {"jobs.cancel", "jobs.retry"}


def test_an_unexpected_error_is_retried_then_kept_on_the_job(db, awards, monkeypatch):
    contest, _, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(service, "issue_certificates", broken)
    for _ in range(job.max_attempts - 1):
        with pytest.raises(jobs.RetryLater):
            jobs.run(db, job.id)
        assert jobs.get(db, job.id).status == "queued"
    failed = jobs.run(db, job.id)
    assert failed.status == "failed" and failed.message_en == "System error: OSError."
    assert failed.attempts == failed.max_attempts and failed.finished_at is not None


def test_a_job_whose_worker_keeps_dying_is_given_up_and_can_be_retried(db, awards):
    contest, _, _ = awards
    job = service.start_issue_job(db, CHAIR, contest)
    for _ in range(job.max_attempts):
        jobs.claim(db, job.id, "crashing:1")
        clock.shift(timedelta(seconds=61))
        jobs.recover(db)
    given_up = jobs.get(db, job.id)
    assert given_up.status == "failed" and "stopped 3 times" in given_up.message_en
    assert jobs.retry(db, CHAIR, job.id).attempts == 0
    assert jobs.run(db, job.id).status == "done"


def test_a_queued_job_whose_message_was_lost_is_sent_again(db, awards):
    contest, _, sent = awards
    job = service.start_issue_job(db, CHAIR, contest)
    sent.clear()
    assert jobs.recover(db) == []
    clock.shift(timedelta(minutes=6))
    assert jobs.recover(db) == [job.id] and sent == [job.id]
    assert jobs.recover(db) == []  # sent once per interval, not on every pass


def test_a_bundle_job_builds_the_zip_or_pdf_into_the_file_store(db, awards):
    import io
    import zipfile

    from pypdf import PdfReader

    from contest import storage
    from contest.certificates import format_code

    contest, items, _ = awards
    issued = service.issue_certificates(db, CHAIR, items[:3]).certificates
    for fmt in ("zip", "pdf"):
        job = service.start_bundle_job(db, CHAIR, contest, list(reversed(issued)), fmt)
        done = jobs.run(db, job.id)
        assert (done.status, done.done, done.total) == ("done", 3, 3)
        data = storage.get_store().read_bytes(db, done.result_key)
        assert done.result_size == len(data) and done.result_name.endswith(f".{fmt}")
        if fmt == "zip":
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            assert names == [f"{c.serial:05d}-{format_code(c.code)}.pdf" for c in issued]
        else:
            assert len(PdfReader(io.BytesIO(data)).pages) == 3
        chunks, size = jobs.result_file(db, done)
        assert b"".join(chunks) == data and size == len(data)


def test_a_bundle_job_cut_off_starts_its_file_again(db, awards, monkeypatch):
    from contest import storage

    contest, items, _ = awards
    issued = service.issue_certificates(db, CHAIR, items).certificates
    monkeypatch.setattr(service, "_BUNDLE_STEP", 2)
    job = service.start_bundle_job(db, CHAIR, contest, issued, "zip")
    real = service.render_certificate
    calls = {"n": 0}

    def render(*args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise WorkerKilled
        return real(*args)

    monkeypatch.setattr(service, "render_certificate", render)
    with pytest.raises(WorkerKilled):
        jobs.run(db, job.id)
    db.rollback()
    assert jobs.get(db, job.id).done == 4  # progress committed, no file
    clock.shift(timedelta(seconds=61))
    jobs.recover(db)
    done = jobs.run(db, job.id)
    assert (done.status, done.done, done.attempts) == ("done", 7, 2)
    assert storage.get_store().info(db, done.result_key).size == done.result_size
