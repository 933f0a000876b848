"""A draft contest is invisible to the public, previewed by staff, published and copied on pages."""

from conftest import csrf_from
from factories import make_staff

from contest.services import contests
from contest.services.context import SYSTEM


def _sign_in(client, username: str) -> str:
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": username,
            "password": "correct-horse-battery",
        },
    )
    return csrf_from(client.get("/admin").text)


def _draft(db, slug="ban-nhap"):
    spec = contests.ContestSpec(slug=slug, title_vi="Cuộc thi nháp", title_en="Draft contest")
    return contests.create_contest(db, SYSTEM, spec)


def test_the_public_never_sees_a_draft(client, db):
    contest = _draft(db)
    assert "Cuộc thi nháp" not in client.get("/").text
    for path in ("", "/rules", "/register", "/login", "/results"):
        assert client.get(f"/c/{contest.slug}{path}").status_code == 404, path
    page = client.get("/staff/login").text
    refused = client.post(
        f"/c/{contest.slug}/register",
        data={"csrf_token": csrf_from(page), "full_name": "Nguyễn Văn An"},
    )
    assert refused.status_code == 404


def test_staff_preview_publish_then_the_public_sees_it(client, db):
    contest = _draft(db)
    make_staff(db, "btc-nhap", ["organiser"])
    token = _sign_in(client, "btc-nhap")
    preview = client.get(f"/c/{contest.slug}")
    assert preview.status_code == 200 and "Bản nháp" in preview.text
    assert client.get(f"/c/{contest.slug}/register").status_code == 200
    settings = client.get(f"/organiser/contests/{contest.slug}").text
    assert "Công bố cuộc thi" in settings
    done = client.post(f"/organiser/contests/{contest.slug}/publish", data={"csrf_token": token})
    assert done.status_code == 200 and "Công bố cuộc thi" not in done.text
    client.post("/logout", data={"csrf_token": token})
    public = client.get(f"/c/{contest.slug}")
    assert public.status_code == 200 and "Bản nháp" not in public.text


def test_an_organiser_copies_a_contest_on_the_page(client, db):
    contest = _draft(db, "goc")
    make_staff(db, "btc-sao", ["organiser"])
    token = _sign_in(client, "btc-sao")
    assert "Sao chép cuộc thi" in client.get(f"/organiser/contests/{contest.slug}").text
    form = client.get(f"/organiser/contests/{contest.slug}/copy").text
    assert "goc-dien-tap" in form
    bad = client.post(
        f"/organiser/contests/{contest.slug}/copy",
        data={"csrf_token": token, "new_slug": "goc", "shift_days": "x"},
    )
    assert bad.status_code == 422 and "không phải là số ngày" in bad.text
    done = client.post(
        f"/organiser/contests/{contest.slug}/copy",
        data={"csrf_token": token, "new_slug": "goc-2025", "shift_days": "365"},
    )
    assert done.status_code == 200 and str(done.url).endswith("/organiser/contests/goc-2025")
    assert contests.get_by_slug(db, "goc-2025").is_draft


def test_registration_offers_only_units_that_hold_participants(client, db):
    from factories import make_contest

    contest = make_contest(db, "chon-don-vi")
    page = client.get(f"/c/{contest.slug}/register").text
    assert '<option value="LS-TP-CL"' in page and '<option value="LS-TD"' in page
    assert '<option value="LS-TP"' not in page and '<option value="LS"' not in page
    assert "<option disabled>" in page and "Thành phố Lạng Sơn" in page
    refused = client.post(
        f"/c/{contest.slug}/register",
        data={
            "csrf_token": csrf_from(page),
            "full_name": "Nguyễn Thị Hoà Bình",
            "date_of_birth": "15/08/1990",
            "gender": "female",
            "citizen_id": "020190012345",
            "phone": "0912345678",
            "unit_code": "LS-TP",
            "password": "mat-khau-bi-mat",
            "consent": "yes",
        },
    )
    assert refused.status_code == 422 and "gồm nhiều đơn vị" in refused.text
