"""Certificate pages: public verification, signed downloads, the recipient's section, committee work."""

import io

import pytest
from conftest import csrf_from
from factories import make_award, make_contest, make_participant, make_staff
from pypdf import PdfReader

from contest.certificates import format_code
from contest.models import Certificate
from contest.services import certificates as service
from contest.services.context import Actor

CHAIR = Actor("staff", 1, "truongban")


def _issue(db, contest, n=1, **kw):
    awards = [make_award(contest, f"prize:{i}", **kw) for i in range(n)]
    return service.issue_certificates(db, CHAIR, awards).certificates


def _sign_in_staff(client, username):
    token = csrf_from(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": "correct-horse-battery"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_verify_page_says_valid_then_revoked_with_date_and_reason(client, db):
    contest = make_contest(db)
    certificate = _issue(db, contest)[0]
    page = client.get(f"/xac-minh/{format_code(certificate.code)}")
    assert page.status_code == 200
    assert "Giấy chứng nhận hợp lệ" in page.text
    assert "Nguyễn Thị Hoà B" in page.text and "Nguyễn Thị Hoà Bình" not in page.text
    assert "Giải Ba" in page.text and contest.title_vi in page.text and "BAN TỔ CHỨC" in page.text
    assert "<script>" not in page.text.split("</head>")[1]
    service.revoke(db, CHAIR, certificate.id, "Vi phạm thể lệ cuộc thi")
    page = client.get(f"/xac-minh/{certificate.code.lower()}")
    assert "Giấy chứng nhận đã bị thu hồi" in page.text
    assert "Vi phạm thể lệ cuộc thi" in page.text
    assert (
        certificate.revoked_at.astimezone(__import__("contest").clock.VIETNAM).strftime("%d/%m/%Y")
        in page.text
    )


def test_unknown_and_mistyped_codes_get_clear_answers(client, db):
    contest = make_contest(db)
    code = _issue(db, contest)[0].code
    import random

    from contest.certificates import new_code

    unknown = client.get(f"/xac-minh/{new_code(random.Random(5))}")
    assert unknown.status_code == 404 and "Không có giấy chứng nhận nào mang mã này" in unknown.text
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    mistyped = client.get("/xac-minh", params={"code": typo})
    assert "Mã không hợp lệ, có thể gõ nhầm" in mistyped.text
    assert client.get("/xac-minh").status_code == 200


def test_verification_is_rate_limited_per_address(client, db):
    for _ in range(60):
        assert client.get("/xac-minh/K7QM-3XWD-9T").status_code in (400, 404)
    refused = client.get("/xac-minh/K7QM-3XWD-9T")
    assert refused.status_code == 429 and "Có quá nhiều yêu cầu" in refused.text
    assert refused.headers["retry-after"] == "60"


def test_signed_download_and_tampered_signature(client, db):
    contest = make_contest(db)
    certificate = _issue(db, contest)[0]
    path = service.download_path(certificate)
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == service.render_pdf(db, certificate)
    assert client.get(path[:-3] + "xyz").status_code == 403
    assert client.get(f"/chung-nhan/{format_code(certificate.code)}.pdf").status_code == 403


def test_participant_sees_and_downloads_own_certificate(client, db):
    contest = make_contest(db)
    me = make_participant(db, contest)
    _issue(db, contest, participant_id=me.id)
    token = csrf_from(client.get(f"/c/{contest.slug}/login").text)
    client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": token, "login": "020190012345", "password": "mat-khau-bi-mat"},
    )
    assert f"/c/{contest.slug}/me/certificates" in client.get(f"/c/{contest.slug}/me").text
    section = client.get(f"/c/{contest.slug}/me/certificates", headers={"HX-Request": "true"}).text
    assert section.lstrip().startswith("<section") and "Giải Ba" in section
    link = section.split('href="/chung-nhan/')[1].split('"')[0].replace("&amp;", "&")
    assert client.get("/chung-nhan/" + link).content[:5] == b"%PDF-"


def test_committee_lists_revokes_and_reissues(client, db):
    contest = make_contest(db)
    make_staff(db, "chair", ["committee_chair"])
    certificate = _issue(db, contest, 2)[0]
    _sign_in_staff(client, "chair")
    listing = client.get(f"/admin/contests/{contest.slug}/certificates", params={"q": "Hoà"})
    assert listing.status_code == 200 and "1/GCN-BTC" in listing.text
    detail = client.get(f"/admin/contests/{contest.slug}/certificates/{certificate.id}")
    token = csrf_from(detail.text)
    refused = client.post(
        f"/admin/contests/{contest.slug}/certificates/{certificate.id}/revoke",
        data={"csrf_token": token, "reason": ""},
    )
    assert refused.status_code == 422 and "lý do" in refused.text
    r = client.post(
        f"/admin/contests/{contest.slug}/certificates/{certificate.id}/reissue",
        data={
            "csrf_token": token,
            "recipient_name": "Nguyễn Thị Hòa Bình",
            "recipient_unit": "Phường Chi Lăng",
            "reason": "Sửa chính tả họ tên",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Certificate, certificate.id).status == "replaced"
    listing = client.get(f"/admin/contests/{contest.slug}/certificates").text
    assert 'action="/admin/contests/' + contest.slug + '/certificates/all.pdf"' in listing
    token = csrf_from(listing)
    pdf = client.post(
        f"/admin/contests/{contest.slug}/certificates/all.pdf", data={"csrf_token": token}
    )
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2
    assert (
        client.post(
            f"/admin/contests/{contest.slug}/certificates/all.zip",
            data={"csrf_token": token, "q": "", "status": ""},
        ).content[:2]
        == b"PK"
    )


def test_bulk_issue_runs_as_a_job_with_a_progress_page(client, db, monkeypatch):
    from contest.services import jobs

    contest = make_contest(db)
    make_staff(db, "member", ["committee_member"])
    awards = [make_award(contest, f"prize:{i}") for i in range(3)]
    monkeypatch.setattr(service, "awards_for", lambda *a, **k: awards)
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: jobs.run(db, job_id))
    _sign_in_staff(client, "member")
    token = csrf_from(client.get(f"/admin/contests/{contest.slug}/certificates").text)
    r = client.post(
        f"/admin/contests/{contest.slug}/certificates/issue",
        data={"csrf_token": token, "kind": "prize"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Đã xong" in page.text and "cấp mới 3" in page.text
    partial = client.get(r.headers["location"], headers={"HX-Request": "true"}).text
    assert partial.lstrip().startswith("<section") and "every 2s" not in partial


def test_running_job_page_polls_and_refreshes_without_js(client, db):
    contest = make_contest(db)
    make_staff(db, "member", ["committee_member"])
    job = service.start_issue_job(db, CHAIR, contest)
    _sign_in_staff(client, "member")
    page = client.get(f"/admin/contests/{contest.slug}/certificates/jobs/{job.id}").text
    assert 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page


def test_template_editor_previews_and_saves(client, db):
    contest = make_contest(db)
    make_staff(db, "org", ["organiser"])
    _sign_in_staff(client, "org")
    base = f"/admin/contests/{contest.slug}/certificates/template"
    editor = client.get(base)
    assert editor.status_code == 200 and "preview.png?" in editor.text
    png = client.get(
        base + "/preview.png",
        params={
            "form": "1",
            "title": "GIẤY KHEN",
            "issuer_lines": "UBND TỈNH",
            "signer_title": "CHỦ TỊCH",
            "show": ["qr"],
        },
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    partial = client.get(
        base + "/preview",
        params={"form": "1", "title": "GIẤY KHEN"},
        headers={"HX-Request": "true"},
    ).text
    assert partial.lstrip().startswith('<div id="template-preview"')
    token = csrf_from(editor.text)
    bad = client.post(
        base,
        data={
            "csrf_token": token,
            "title": "GIẤY KHEN",
            "issuer_lines": "UBND",
            "signer_title": "CHỦ TỊCH",
            "accent_colour": "#B01E23",
        },
        files={"seal": ("seal.gif", b"GIF89a" + b"\0" * 20, "image/png")},
    )
    assert bad.status_code == 422 and "PNG hoặc JPEG" in bad.text
    ok = client.post(
        base,
        data={
            "csrf_token": token,
            "title": "Giấy khen",
            "issuer_lines": "UBND TỈNH LẠNG SƠN\nBAN TỔ CHỨC",
            "signer_title": "CHỦ TỊCH",
            "signer_name": "Đoàn Thu Hà",
            "number_suffix": "GK-BTC",
            "show": ["qr", "number"],
            "accent_colour": "#B01E23",
            "font_family": "sans",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert service.get_template(db, contest).title == "GIẤY KHEN"
    assert _issue(db, contest)[0].number == "1/GK-BTC"


@pytest.mark.parametrize("path", ["/admin/certificates", "/admin/contests/{slug}/certificates"])
def test_committee_pages_need_a_staff_sign_in(client, db, path):
    contest = make_contest(db)
    r = client.get(path.replace("{slug}", contest.slug), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


def test_bulk_downloads_need_a_post_with_the_csrf_token_and_a_viewer_role(client, db):
    contest = make_contest(db)
    make_staff(db, "chair", ["committee_chair"])
    make_staff(db, "judge", ["judge"])
    _issue(db, contest, 1)
    _sign_in_staff(client, "chair")
    base = f"/admin/contests/{contest.slug}/certificates"
    token = csrf_from(client.get(base).text)
    for kind in ("pdf", "zip"):
        # What a link or redirect from another site would do: no render happens.
        got = client.get(f"{base}/all.{kind}")
        assert got.status_code != 200 and got.headers["content-type"].startswith("text/html")
        refused = client.post(f"{base}/all.{kind}", data={})
        assert refused.status_code == 403 and "CSRF" in refused.text
        assert client.post(f"{base}/all.{kind}", data={"csrf_token": token}).status_code == 200
    _sign_in_staff(client, "judge")
    token = csrf_from(client.get("/staff/login").text)
    refused = client.post(f"{base}/all.pdf", data={"csrf_token": token})
    assert refused.status_code == 403 and "không có quyền" in refused.text


def test_the_preview_image_is_rate_limited_per_staff_account(client, db, monkeypatch):
    from contest.web.routers import certificates as pages

    assert pages.PREVIEW_LIMIT == "30/minute"
    monkeypatch.setattr(pages, "PREVIEW_LIMIT", "2/minute")
    contest = make_contest(db)
    make_staff(db, "org", ["organiser"])
    make_staff(db, "org2", ["organiser"])
    base = f"/admin/contests/{contest.slug}/certificates/template/preview.png"
    _sign_in_staff(client, "org")
    assert [client.get(base).status_code for _ in range(3)] == [200, 200, 429]
    _sign_in_staff(client, "org2")
    assert client.get(base).status_code == 200
