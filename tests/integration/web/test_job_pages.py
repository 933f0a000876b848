"""Job pages: progress and errors of queued and running jobs, cancel and retry by role."""

from conftest import csrf_from
from factories import make_award, make_contest, make_staff

from contest.services import certificates as service
from contest.services import jobs
from contest.services.context import Actor

CHAIR = Actor("staff", 1, "truongban")


def _sign_in(client, username):
    token = csrf_from(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": "correct-horse-battery"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _failed_job(db, monkeypatch):
    contest = make_contest(db)
    awards = [make_award(contest, f"prize:{i}") for i in range(2)]
    monkeypatch.setattr(service, "awards_for", lambda *a, **k: awards)
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: None)
    job = service.start_issue_job(db, CHAIR, contest)
    job = jobs.cancel(db, CHAIR, job.id)
    return contest, job


def test_the_job_list_shows_each_job_with_progress_and_its_error(client, db, monkeypatch):
    contest, job = _failed_job(db, monkeypatch)
    make_staff(db, "org", ["organiser"])
    _sign_in(client, "org")
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert f'href="/admin/jobs/{job.id}"' in page.text and "Đã huỷ" in page.text
    assert contest.slug in page.text
    detail = client.get(f"/admin/jobs/{job.id}").text
    assert "<progress" in detail
    # An organiser may watch, not operate.
    assert f"/admin/jobs/{job.id}/retry" not in detail


def test_a_cancelled_job_is_run_again_from_its_page(client, db, monkeypatch):
    _, job = _failed_job(db, monkeypatch)
    make_staff(db, "member", ["committee_member"])
    _sign_in(client, "member")
    page = client.get(f"/admin/jobs/{job.id}").text
    assert f'action="/admin/jobs/{job.id}/retry"' in page
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: jobs.run(db, job_id))
    r = client.post(
        f"/admin/jobs/{job.id}/retry", data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"], headers={"HX-Request": "true"}).text
    assert done.lstrip().startswith("<section") and "Đã xong" in done and "every 2s" not in done
    again = client.post(f"/admin/jobs/{job.id}/cancel", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 422 and "Chỉ huỷ được" in again.text


def test_a_queued_job_polls_and_can_be_cancelled_but_not_by_a_judge(client, db, monkeypatch):
    contest = make_contest(db)
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: None)
    job = service.start_issue_job(db, CHAIR, contest)
    make_staff(db, "judge", ["judge"])
    _sign_in(client, "judge")
    token = csrf_from(client.get("/staff/login").text)
    refused = client.post(f"/admin/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert refused.status_code == 403
    make_staff(db, "chair", ["committee_chair"])
    _sign_in(client, "chair")
    page = client.get(f"/admin/jobs/{job.id}").text
    assert 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page
    assert client.post(f"/admin/jobs/{job.id}/cancel", data={}).status_code == 403  # no CSRF token
    r = client.post(
        f"/admin/jobs/{job.id}/cancel", data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert r.status_code == 303 and jobs.get(db, job.id).status == "cancelled"
    assert client.get("/admin/jobs/999999").status_code == 404


def test_a_large_selection_is_built_by_a_worker_and_downloaded_from_the_job(
    client, db, monkeypatch
):
    import io
    import zipfile

    contest = make_contest(db)
    awards = [make_award(contest, f"prize:{i}") for i in range(3)]
    service.issue_certificates(db, CHAIR, awards)
    make_staff(db, "org", ["organiser"])
    _sign_in(client, "org")
    monkeypatch.setattr(service, "BUNDLE_INLINE_MAX", 2)
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: jobs.run(db, job_id))
    token = csrf_from(client.get(f"/admin/contests/{contest.slug}/certificates").text)
    r = client.post(
        f"/admin/contests/{contest.slug}/certificates/all.zip",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/jobs/")
    page = client.get(r.headers["location"]).text
    assert "Đã xong" in page and "/file" in page
    got = client.get(r.headers["location"] + "/file")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"].startswith("attachment")
    assert len(zipfile.ZipFile(io.BytesIO(got.content)).namelist()) == 3
    assert client.get("/admin/jobs/999999/file").status_code == 404


def test_an_export_built_in_the_background_is_downloaded_from_its_job(client, db, monkeypatch):
    import io

    from openpyxl import load_workbook

    contest = make_contest(db)
    make_staff(db, "member", ["committee_member"])
    _sign_in(client, "member")
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: jobs.run(db, job_id))
    token = csrf_from(client.get(f"/committee/{contest.slug}").text)
    r = client.post(
        f"/committee/{contest.slug}/export/participation.xlsx",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/jobs/")
    got = client.get(r.headers["location"] + "/file")
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert load_workbook(io.BytesIO(got.content)).sheetnames
    bad = client.post(f"/committee/{contest.slug}/export/nothing.xlsx", data={"csrf_token": token})
    assert bad.status_code == 400
