"""The works settings and rubric page: an organiser makes a contest a works contest on a page."""

from conftest import csrf_from
from factories import make_contest, make_staff

from contest.models import WorksSettings


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


def test_an_organiser_sets_deadline_files_and_rubric_on_the_page(client, db):
    contest = make_contest(db, "tac-pham-trang")
    make_staff(db, "btc-tp", ["organiser"])
    token = _sign_in(client, "btc-tp")
    page = client.get(f"/organiser/contests/{contest.slug}/works").text
    assert "Nội dung, tính chính xác" in page and "cuộc thi tác phẩm" in page
    form = {
        "csrf_token": token,
        "deadline": "31/08/2024 17:00",
        "allowed_types": ["pdf", "mp4"],
        "max_mb_pdf": "10",
        "max_mb_mp4": "50",
        "max_files": "3",
        "trim": "1",
        "theme_vi": "Chuyển đổi số",
        "excluded": "014090001234",
        "rubric_code": ["content", "form", ""],
        "rubric_label_vi": ["Nội dung", "Hình thức", ""],
        "rubric_label_en": ["Content", "Form", ""],
        "rubric_max": ["60", "40", ""],
        "rubric_weight": ["60", "40", ""],
    }
    bad = client.post(f"/organiser/contests/{contest.slug}/works", data={**form, "deadline": "mai"})
    assert bad.status_code == 422 and "Hạn nộp: &#39;mai&#39;" in bad.text
    assert 'value="Hình thức"' in bad.text  # what was typed is shown again
    done = client.post(f"/organiser/contests/{contest.slug}/works", data=form)
    assert done.status_code == 200 and "Đã lưu." in done.text
    row = db.get(WorksSettings, contest.id)
    db.refresh(row)
    assert [c["code"] for c in row.rubric] == ["content", "form"]
    assert row.allowed_types == ["pdf", "mp4"] and row.max_bytes["mp4"] == 50 * 2**20
    assert row.trim == 1 and row.excluded_citizen_ids == ["014090001234"]
    db.refresh(contest)
    assert contest.kind == "works"


def test_a_committee_member_reads_the_settings_but_cannot_save(client, db):
    contest = make_contest(db, "tac-pham-doc")
    make_staff(db, "uv-doc", ["committee_member"])
    token = _sign_in(client, "uv-doc")
    page = client.get(f"/organiser/contests/{contest.slug}/works").text
    assert '<button class="primary">' not in page
    refused = client.post(f"/organiser/contests/{contest.slug}/works", data={"csrf_token": token})
    assert refused.status_code == 403 and "Quay lại" in refused.text
