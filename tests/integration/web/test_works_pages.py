"""Works pages: an author uploads and submits, files go back only to authors, judges and the committee."""

from __future__ import annotations

import io

import pytest

from contest.services import jury, works
from contest.services.context import Actor
from tests.conftest import csrf_from
from tests.factories import make_participant, make_staff, make_works_contest, pdf_file


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_UPLOAD_DIR", str(tmp_path))
    return tmp_path


def _participant_login(client, slug: str) -> None:
    page = client.get(f"/c/{slug}/login").text
    client.post(
        f"/c/{slug}/login",
        data={"csrf_token": csrf_from(page), "login": "0912345678", "password": "mat-khau-bi-mat"},
    )


def _staff_login(client, username: str) -> None:
    client.cookies.clear()
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": username,
            "password": "correct-horse-battery",
        },
    )


def test_author_submits_and_files_are_served_safely_to_the_right_people(client, db, uploads):
    contest = make_works_contest(db, "tac-pham-web")
    make_participant(db, contest)
    _participant_login(client, contest.slug)
    page = client.get(f"/c/{contest.slug}/works")
    assert page.status_code == 200 and "Tác phẩm mới" in page.text
    token = csrf_from(page.text)
    r = client.post(
        f"/c/{contest.slug}/works",
        data={
            "csrf_token": token,
            "title": "Bản làng số",
            "category": "article",
            "description": "Mô tả",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    work_id = int(url.rsplit("/", 1)[1])
    bad = client.post(
        f"{url}/files",
        data={"csrf_token": token},
        files={"file": ("bai.pdf", b"MZ\x90\x00this is an exe", "application/pdf")},
    )
    assert bad.status_code == 422 and "Loại tệp" in bad.text
    ok = client.post(
        f"{url}/files",
        data={"csrf_token": token},
        files={"file": ("bai.pdf", pdf_file("web"), "application/pdf")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = client.get(url).text
    r = client.post(
        f"{url}/submit", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False
    )
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
    assert client.get(f"/works/files/{file_link}").status_code == 403
    organiser = make_staff(db, "btc-web", ["organiser"])
    jury.assign(db, Actor("staff", organiser.id, "btc-web"), contest, outsider.id, [work_id])
    assert client.get(f"/works/files/{file_link}").status_code == 200
    assert "Bản làng số" in client.get("/jury").text
    page = client.get(f"/jury/works/{work_id}").text
    assert "Chỉ hiện sau khi bạn đã nộp" in page
    r = client.post(
        f"/jury/works/{work_id}/score",
        data={
            "csrf_token": csrf_from(page),
            "c_content": "36",
            "c_creativity": "27",
            "c_impact": "18",
            "c_form": "9",
            "action": "submit",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "90" in client.get(f"/jury/works/{work_id}").text
    client.cookies.clear()
    assert client.get(f"/works/files/{file_link}").status_code == 404
    _staff_login(client, "btc-web")
    page = client.get(f"/committee/{contest.slug}/works")
    assert page.status_code == 200 and "Bản làng số" in page.text


def _login_as(client, slug: str, phone: str) -> str:
    client.cookies.clear()
    page = client.get(f"/c/{slug}/login").text
    client.post(
        f"/c/{slug}/login",
        data={"csrf_token": csrf_from(page), "login": phone, "password": "mat-khau-bi-mat"},
    )
    return csrf_from(client.get(f"/c/{slug}/works").text)


def test_an_invitation_reveals_nothing_and_membership_needs_the_invitees_acceptance(
    client, db, uploads
):
    from tests.factories import make_entrant

    contest = make_works_contest(db, "tac-pham-moi")
    a = make_entrant(db, contest, "Lò Thị Mời")
    b = make_entrant(db, contest, "Quàng Thị Kín Đáo")
    token = _login_as(client, contest.slug, a.phone)
    unknown = client.post(
        f"/c/{contest.slug}/works/groups",
        data={"csrf_token": token, "name": "Nhóm Một", "members": "014099000001"},
    )
    known = client.post(
        f"/c/{contest.slug}/works/groups",
        data={"csrf_token": token, "name": "Nhóm Hai", "members": b.citizen_id},
    )
    neutral = "Đã gửi lời mời nếu số CCCD này đã đăng ký dự thi"
    assert unknown.status_code == known.status_code == 200
    assert neutral in unknown.text and neutral in known.text and "chưa đăng ký" not in unknown.text
    group = works.groups_of(db, a)[-1]
    r = client.post(
        f"/c/{contest.slug}/works",
        data={
            "csrf_token": token,
            "title": "Bản làng",
            "category": "article",
            "group_id": str(group.id),
        },
        follow_redirects=False,
    )
    url = r.headers["location"]
    client.post(
        f"{url}/files",
        data={"csrf_token": token},
        files={"file": ("a.pdf", pdf_file("moi"), "application/pdf")},
    )
    page = client.get(url).text
    assert "Quàng Thị Kín Đáo" not in page
    assert "người được mời — chờ xác nhận ****" + b.citizen_id[-4:] in page
    refused = client.post(f"{url}/submit", data={"csrf_token": token, "declaration": "yes"})
    assert refused.status_code == 422 and "chưa xác nhận" in refused.text
    file_id = page.split('href="/works/files/')[1].split('"')[0]

    token = _login_as(client, contest.slug, b.phone)
    assert client.get(f"/works/files/{file_id}").status_code == 403
    assert client.get(url).status_code == 404
    mine = client.get(f"/c/{contest.slug}/works").text
    assert "Nhóm Hai" in mine and "Lò Thị Mời" in mine and "Bản làng" not in mine
    r = client.post(
        f"/c/{contest.slug}/works/groups/{group.id}/accept",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/works/files/{file_id}").status_code == 200

    token = _login_as(client, contest.slug, a.phone)
    assert "Quàng Thị Kín Đáo" in client.get(url).text
    r = client.post(
        f"{url}/submit", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_group_invitations_are_rate_limited(client, db, uploads):
    from tests.factories import make_entrant

    contest = make_works_contest(db, "tac-pham-gioi-han")
    a = make_entrant(db, contest, "Lò Thị Mời")
    token = _login_as(client, contest.slug, a.phone)
    codes = [
        client.post(
            f"/c/{contest.slug}/works/groups",
            data={"csrf_token": token, "name": f"Nhóm {i}", "members": f"0140990{i:05d}"},
            follow_redirects=False,
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [303] * 20 and codes[20] == 429


def test_work_files_are_refused_to_organisers_admins_conflicted_judges_and_strangers(
    client, db, uploads
):
    from tests.factories import make_entrant

    contest = make_works_contest(db, "tac-pham-quyen")
    author = make_entrant(db, contest, "Hà Thị Lan")
    stranger = make_entrant(db, contest, "Người Ngoài")
    w = works.save_draft(
        db,
        Actor("participant", author.id),
        contest,
        author,
        works.WorkInput(
            title="Tác phẩm riêng", category="article", description="Phóng sự ảnh về bản làng."
        ),
    )
    works.upload_file(
        db, Actor("participant", author.id), contest, author, w, "a.pdf", io.BytesIO(pdf_file("q"))
    )
    works.submit(db, Actor("participant", author.id), contest, author, w, declaration=True)
    file_id = w.files[0].id
    organiser = make_staff(db, "btc-quyen", ["organiser"])
    make_staff(db, "qtv-quyen", ["admin"])
    make_staff(db, "uv-quyen", ["committee_member"])
    judge = make_staff(db, "gk-quyen", ["judge"])
    assert (
        jury.assign(
            db, Actor("staff", organiser.id, "btc-quyen"), contest, judge.id, [w.id]
        ).assigned
        == 1
    )

    _login_as(client, contest.slug, stranger.phone)
    assert client.get(f"/works/files/{file_id}").status_code == 403
    for username in ("btc-quyen", "qtv-quyen"):
        _staff_login(client, username)
        assert client.get(f"/works/files/{file_id}").status_code == 403
    _staff_login(client, "uv-quyen")
    assert client.get(f"/works/files/{file_id}").status_code == 200
    _staff_login(client, "gk-quyen")
    assert client.get(f"/works/files/{file_id}").status_code == 200
    page = client.get(f"/jury/works/{w.id}")
    assert page.status_code == 200
    r = client.post(
        f"/jury/works/{w.id}/conflict",
        data={"csrf_token": csrf_from(page.text), "note": "Tác giả là người nhà"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/jury/works/{w.id}").status_code == 403
    assert f'href="/jury/works/{w.id}"' not in client.get("/jury").text
    assert client.get(f"/works/files/{file_id}").status_code == 403
    # The service's refusal (a conflict of interest) is a 403 like a missing role, with its reason.
    refused = client.post(
        f"/jury/works/{w.id}/score",
        data={"csrf_token": csrf_from(client.get("/jury").text), "action": "submit"},
    )
    assert refused.status_code == 403 and "xung đột lợi ích" in refused.text
