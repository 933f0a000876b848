import json
import unicodedata

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from sqlalchemy import select

from contest.models import Participant, WebSession


def test_home_page_shows_the_contest_with_exact_diacritics(client, db):
    make_contest(db)
    response = client.get("/")
    assert response.status_code == 200
    assert "<title>Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn</title>" in response.text
    assert 'lang="vi"' in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_language_switch_shows_english_and_back(client, db):
    contest = make_contest(db)
    client.get(f"/lang/en?next=/c/{contest.slug}")
    page = client.get(f"/c/{contest.slug}").text
    assert "Register to take part" in page and "Digital transformation contest" in page
    client.get("/lang/vi")
    assert "Đăng ký dự thi" in client.get(f"/c/{contest.slug}").text


def test_language_switch_does_not_redirect_off_site(client):
    response = client.get("/lang/en?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_rules_render_markdown_without_raw_html(client, db):
    contest = make_contest(db)
    contest.rules_vi = "## Đối tượng\n\n<script>alert(1)</script>"
    db.commit()
    page = client.get(f"/c/{contest.slug}/rules").text
    assert "<h2>Đối tượng</h2>" in page and "<script>alert(1)</script>" not in page


def test_registration_through_the_form_then_sign_in(client, db):
    contest = make_contest(db)
    form = client.get(f"/c/{contest.slug}/register").text
    assert "Phường Chi Lăng" in form
    response = client.post(
        f"/c/{contest.slug}/register",
        data={
            "csrf_token": csrf_from(form),
            "full_name": unicodedata.normalize("NFD", "Lường Văn Ước"),
            "date_of_birth": "02/01/1985",
            "gender": "male",
            "citizen_id": "014085000001",
            "phone": "0987 654 321",
            "unit_code": "LS-TD",
            "password": "mat-khau-bi-mat",
            "consent": "yes",
        },
    )
    assert response.status_code == 200 and response.url.path.endswith("/registered")
    assert "Đã nhận đăng ký" in response.text and "contest_session" not in str(client.cookies)
    stored = db.execute(
        select(Participant).where(Participant.citizen_id == "014085000001")
    ).scalar_one()
    assert stored.full_name == "Lường Văn Ước"
    response = client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(response.text),
            "login": "014085000001",
            "password": "mat-khau-bi-mat",
            "next": f"/c/{contest.slug}/me?welcome=1",
        },
    )
    assert "Lường Văn Ước" in response.text and "****0001" in response.text
    cookie = response.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


def test_registering_a_taken_citizen_id_answers_exactly_as_a_new_one(client, db):
    contest = make_contest(db)
    make_participant(db, contest)

    def register(citizen_id: str, phone: str):
        form = client.get(f"/c/{contest.slug}/register").text
        return client.post(
            f"/c/{contest.slug}/register",
            data={
                "csrf_token": csrf_from(form),
                "full_name": "Hoàng Thị Lan",
                "date_of_birth": "15/08/1990",
                "gender": "female",
                "citizen_id": citizen_id,
                "phone": phone,
                "unit_code": "LS-TD",
                "password": "mat-khau-bi-mat",
                "consent": "yes",
            },
            follow_redirects=False,
        )

    taken = register("020190012345", "0977777777")  # the CCCD make_participant used
    fresh = register("020190099999", "0966666666")
    assert taken.status_code == fresh.status_code == 303
    assert taken.headers["location"] == fresh.headers["location"]

    # Both keep the browser's device cookie, and nothing else: no session says which was new.
    def cookie_names(response) -> list[str]:
        return [c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")]

    assert cookie_names(taken) == cookie_names(fresh) == ["contest_device"]
    assert taken.cookies.get("contest_device") == fresh.cookies.get("contest_device")
    page = client.get(taken.headers["location"]).text
    assert "không có tài khoản mới nào được tạo" in page and "/claim" in page


def test_registration_errors_come_back_per_field_in_vietnamese(client, db):
    contest = make_contest(db)
    form = client.get(f"/c/{contest.slug}/register").text
    response = client.post(
        f"/c/{contest.slug}/register",
        data={
            "csrf_token": csrf_from(form),
            "full_name": "Hoàng Đức Thắng",
            "date_of_birth": "15/08/1990",
            "gender": "male",
            "citizen_id": "020190012345",
            "phone": "0912345678",
            "unit_code": "LS-TD",
            "password": "mat-khau-bi-mat",
            "consent": "yes",
        },
    )
    assert response.status_code == 422
    assert "không khớp với giới tính" in response.text
    assert 'value="Hoàng Đức Thắng"' in response.text  # what was typed is kept


def test_htmx_registration_error_swaps_only_the_form(client, db):
    contest = make_contest(db)
    form = client.get(f"/c/{contest.slug}/register").text
    response = client.post(
        f"/c/{contest.slug}/register",
        data={"csrf_token": csrf_from(form)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form") and "<html" not in response.text


def test_participant_downloads_their_own_data(client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": csrf_from(page), "login": "0912345678", "password": "mat-khau-bi-mat"},
    )
    me = client.get(f"/c/{contest.slug}/me").text
    response = client.post(f"/c/{contest.slug}/me/data.json", data={"csrf_token": csrf_from(me)})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["full_name"] == "Nguyễn Thị Hoà Bình" and data["citizen_id"] == "020190012345"


def test_staff_list_masks_personal_data(client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    make_staff(db, "org", ["organiser"])
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "org",
            "password": "correct-horse-battery",
        },
    )
    listing = client.get(f"/admin/contests/{contest.slug}/participants").text
    assert "****2345" in listing and "020190012345" not in listing and "0912345678" not in listing


def test_admin_ends_a_session_with_htmx_and_the_row_is_swapped(client, db):
    make_staff(db, "root", ["admin"])
    make_staff(db, "victim", ["organiser"])
    from contest.services import accounts

    accounts.staff_sign_in(
        db, username="victim", password="correct-horse-battery", ip="1.1.1.1", user_agent="ua"
    )
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "root",
            "password": "correct-horse-battery",
        },
    )
    listing = client.get("/admin/sessions").text
    victim_session = db.execute(select(WebSession).where(WebSession.ip == "1.1.1.1")).scalar_one()
    response = client.post(
        f"/admin/sessions/{victim_session.id}/end",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(listing)},
    )
    assert response.status_code == 200 and response.text.lstrip().startswith("<tr")
    db.refresh(victim_session)
    assert victim_session.ended_at is not None


def test_unit_import_page_reports_errors_and_imports_nothing(client, db):
    contest = make_contest(db)
    make_staff(db, "org", ["organiser"])
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "org",
            "password": "correct-horse-battery",
        },
    )
    units_page = client.get(f"/admin/contests/{contest.slug}/units").text
    bad = b"code,name,parent_code\nX,,LS\n"
    response = client.post(
        f"/admin/contests/{contest.slug}/units/import",
        data={"csrf_token": csrf_from(units_page)},
        files={"file": ("don-vi.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "Dòng 2" in response.text and "Chưa nhập gì" in response.text


def test_staff_page_redirects_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_static_files_are_cached_for_a_year_and_gzipped(client):
    response = client.get("/static/vendor/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert response.headers.get("content-encoding") == "gzip"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%2F/evil.example",
    ],
)
def test_next_parameter_never_leaves_the_site(client, target):
    from contest.web.routers.public import safe_next

    assert safe_next(target) == "/"
    assert safe_next("/c/lang-son-2023/rounds") == "/c/lang-son-2023/rounds"


def test_a_signed_out_participant_is_sent_to_the_contest_sign_in_and_back(client, db):
    contest = make_contest(db)
    make_participant(db, contest)
    redirect = client.get(f"/c/{contest.slug}/rounds", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/c/{contest.slug}/login?next=/c/{contest.slug}/rounds"
    page = client.get(redirect.headers["location"]).text
    signed = client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "0912345678",
            "password": "mat-khau-bi-mat",
            "next": f"/c/{contest.slug}/rounds",
        },
        follow_redirects=False,
    )
    assert signed.headers["location"] == f"/c/{contest.slug}/rounds"


def test_a_cross_site_get_of_the_data_download_writes_no_audit_row(client, db):
    """Issue 13, finding 10: an <img src=".../me/data.json"> on any site wrote an audit row."""
    from sqlalchemy import func, select

    from contest.models import AuditEntry, AuditPending

    contest = make_contest(db)
    make_participant(db, contest)
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": csrf_from(page), "login": "0912345678", "password": "mat-khau-bi-mat"},
    )

    def rows() -> int:
        return sum(
            db.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (AuditEntry, AuditPending)
        )

    before = rows()
    response = client.get(
        f"/c/{contest.slug}/me/data.json", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 405 and rows() == before
    forged = client.post(
        f"/c/{contest.slug}/me/data.json",
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert forged.status_code == 403 and rows() == before


def test_origin_null_is_not_the_same_origin(client, db):
    """Issue 13, finding 10: `Origin: null` (a sandboxed frame, a data: URL) passed as ours."""
    page = client.get("/staff/login").text
    response = client.post(
        "/staff/login",
        data={"csrf_token": csrf_from(page), "username": "x", "password": "y"},
        headers={"Origin": "null"},
    )
    assert response.status_code == 403 and "CSRF" in response.text


def test_the_audit_page_alerts_admins_to_an_account_being_guessed(client, db):
    from datetime import timedelta

    from contest import clock
    from contest.domain.errors import ContestError
    from contest.services import accounts

    make_staff(db, "quantri", ["admin"])
    for i in range(20):
        try:
            accounts.staff_sign_in(
                db, username="quantri", password=f"doan-{i}", ip=f"198.51.100.{i}", user_agent="ua"
            )
        except ContestError:
            pass
        clock.shift(timedelta(seconds=3))
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "quantri",
            "password": "correct-horse-battery",
        },
    )
    audit_page = client.get("/admin/audit").text
    assert 'id="guessing-alerts"' in audit_page
    assert "Tài khoản đang bị dò mật khẩu" in audit_page and "quantri" in audit_page
    assert "20 mật khẩu sai từ 20 địa chỉ" in audit_page


def test_anyone_can_read_and_download_the_signed_audit_checkpoints(
    client, db, tmp_path, monkeypatch
):
    import json

    from contest.config import get_settings
    from contest.services import audit
    from contest.services.context import Actor

    monkeypatch.setattr(get_settings(), "audit_signing_key_file", tmp_path / "k.pem")
    audit.record(db, Actor("system"), "test.public")
    db.commit()
    audit.seal_pending(db)
    page = client.get("/audit/checkpoints")
    assert page.status_code == 200 and "Điểm kiểm tra đã ký" not in page.text
    assert "Các điểm kiểm tra đã ký của nhật ký kiểm toán" in page.text
    data = json.loads(client.get("/audit/checkpoints.json").content)
    assert data["checkpoints"] and data["public_key"] in page.text
    assert str(data["checkpoints"][-1]["seq"]) in page.text
