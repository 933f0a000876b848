"""Works pages: an author uploads and submits, files go back only to authors, judges and the committee."""

from __future__ import annotations

import pytest

from contest.services import jury
from contest.services.context import Actor
from tests.conftest import csrf_from
from tests.factories import make_participant, make_staff, make_works_contest, pdf_file


@pytest.fixture
def uploads(tmp_path, monkeypatch):  # noqa: ANN201
    monkeypatch.setenv("CONTEST_UPLOAD_DIR", str(tmp_path))
    return tmp_path


def _participant_login(client, slug: str) -> None:  # noqa: ANN001
    page = client.get(f"/c/{slug}/login").text
    client.post(f"/c/{slug}/login", data={"csrf_token": csrf_from(page), "login": "0912345678",
                                          "password": "mat-khau-bi-mat"})


def _staff_login(client, username: str) -> None:  # noqa: ANN001
    client.cookies.clear()
    page = client.get("/staff/login").text
    client.post("/staff/login", data={"csrf_token": csrf_from(page), "username": username,
                                      "password": "correct-horse-battery"})


def test_author_submits_and_files_are_served_safely_to_the_right_people(client, db, uploads):
    contest = make_works_contest(db, "tac-pham-web")
    make_participant(db, contest)
    _participant_login(client, contest.slug)
    page = client.get(f"/c/{contest.slug}/works")
    assert page.status_code == 200 and "Tác phẩm mới" in page.text
    token = csrf_from(page.text)
    r = client.post(f"/c/{contest.slug}/works", data={"csrf_token": token, "title": "Bản làng số",
                                                      "category": "article", "description": "Mô tả"},
                    follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    work_id = int(url.rsplit("/", 1)[1])
    bad = client.post(f"{url}/files", data={"csrf_token": token},
                      files={"file": ("bai.pdf", b"MZ\x90\x00this is an exe", "application/pdf")})
    assert bad.status_code == 422 and "Loại tệp" in bad.text
    ok = client.post(f"{url}/files", data={"csrf_token": token},
                     files={"file": ("bai.pdf", pdf_file("web"), "application/pdf")}, follow_redirects=False)
    assert ok.status_code == 303
    page = client.get(url).text
    r = client.post(f"{url}/submit", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(url).text
    assert "Đã nộp" in page
    file_link = page.split('href="/works/files/')[1].split('"')[0]
    got = client.get(f"/works/files/{file_link}")
    assert got.status_code == 200 and got.content == pdf_file("web")
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"

    outsider = make_staff(db, "gk-ngoai", ["judge"])
    _staff_login(client, "gk-ngoai")
    assert client.get(f"/works/files/{file_link}").status_code == 404
    organiser = make_staff(db, "btc-web", ["organiser"])
    jury.assign(db, Actor("staff", organiser.id, "btc-web"), contest, outsider.id, [work_id])
    assert client.get(f"/works/files/{file_link}").status_code == 200
    assert "Bản làng số" in client.get("/jury").text
    page = client.get(f"/jury/works/{work_id}").text
    assert "Chỉ hiện sau khi bạn đã nộp" in page
    r = client.post(f"/jury/works/{work_id}/score", data={
        "csrf_token": csrf_from(page), "c_content": "36", "c_creativity": "27", "c_impact": "18", "c_form": "9",
        "action": "submit"}, follow_redirects=False)
    assert r.status_code == 303
    assert "90" in client.get(f"/jury/works/{work_id}").text
    client.cookies.clear()
    assert client.get(f"/works/files/{file_link}").status_code == 404
    _staff_login(client, "btc-web")
    page = client.get(f"/committee/{contest.slug}/works")
    assert page.status_code == 200 and "Bản làng số" in page.text
