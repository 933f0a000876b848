"""The plans page: an organiser writes a plan, sees bad fields named, previews it; the committee reads."""

from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import func, select

from contest import clock
from contest.models import AuditEntry, ExcludedPerson, PrizePlanRecord
from contest.services import prize_plans


def sign_in(client, db, username, roles):
    make_staff(db, username, list(roles))
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": username,
            "password": "correct-horse-battery",
        },
    )


TIERS = {
    "tier_code": ["first", "second", ""],
    "tier_label_vi": ["Giải Nhất", "Giải Nhì", ""],
    "tier_label_en": ["First prize", "Second prize", ""],
    "tier_quota": ["1", "1", ""],
    "tier_min_score": ["", "5", ""],
    "tier_group_quotas": ["", "", ""],
}


def test_organiser_saves_a_plan_and_bad_fields_are_named_without_saving(client, db):
    contest = make_contest(db, "trang-co-cau")
    sign_in(client, db, "bantochuc-p", ["organiser"])
    page = client.get("/organiser/contests/trang-co-cau/plans")
    assert page.status_code == 200 and "Cơ cấu giải cá nhân" in page.text
    token = csrf_from(page.text)
    bad = dict(
        TIERS,
        tier_quota=["1", "hai", ""],
        csrf_token=token,
        tie_rule="committee",
        cap_percent="150",
    )
    response = client.post("/organiser/contests/trang-co-cau/plans/prize", data=bad)
    assert response.status_code == 422
    assert "Giải thứ 2, số lượng" in response.text and "Tỷ lệ giải tối đa" in response.text
    assert 'value="hai"' in response.text  # what was typed is kept
    assert db.execute(select(func.count()).select_from(PrizePlanRecord)).scalar_one() == 0

    good = dict(
        TIERS,
        csrf_token=token,
        tie_rule="committee",
        one_prize_per_person="yes",
        one_prize_scope="contest",
    )
    response = client.post(
        "/organiser/contests/trang-co-cau/plans/prize", data=good, follow_redirects=False
    )
    assert response.status_code == 303
    plan = prize_plans.plan_for(db, contest.id, None)
    assert [t.code for t in plan.tiers_in_order] == ["first", "second"] and plan.tiers[
        1
    ].min_score == 5
    assert db.execute(
        select(AuditEntry).where(AuditEntry.action == "plans.save_prize_plan")
    ).first()

    response = client.post(
        "/organiser/contests/trang-co-cau/plans/screening",
        data={"csrf_token": token, "min_seconds_per_question": "2", "require_all_answered": "yes"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(contest)
    assert contest.min_seconds_per_question == 2

    bad_list = "CCCD,Họ và tên\n020085000901,A\n12345,B\n".encode()
    response = client.post(
        "/organiser/contests/trang-co-cau/plans/excluded",
        data={"csrf_token": token},
        files=[("file", ("ds.csv", bad_list, "text/csv"))],
    )
    assert response.status_code == 422 and "Dòng 3, cột &#39;Số CCCD&#39;" in response.text
    assert db.execute(select(func.count()).select_from(ExcludedPerson)).scalar_one() == 0


def test_preview_shows_who_would_win_and_writes_nothing(client, db):
    contest = make_contest(db, "xem-truoc")
    round_ = contest.rounds[0]
    versions = make_bank(db, "xt-bank", 10)
    for name, correct in [("Nguyễn Văn An", 9), ("Trần Thị Bình", 7), ("Lê Văn Cường", 3)]:
        make_final_attempt(db, round_, make_entrant(db, contest, name), versions, correct)
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    sign_in(client, db, "bantochuc-x", ["organiser"])
    token = csrf_from(client.get("/organiser/contests/xem-truoc/plans").text)
    audits = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    response = client.post(
        "/organiser/contests/xem-truoc/plans/prize",
        data=dict(
            TIERS, csrf_token=token, tie_rule="committee", action="preview", preview_round="1"
        ),
    )
    assert response.status_code == 200
    preview = response.text.split('id="prize-preview"')[1]
    assert "Giải Nhất: Nguyễn Văn An" in preview and "Giải Nhì: Trần Thị Bình" in preview
    assert "Lê Văn Cường" not in preview  # 3 correct: below the second prize's minimum of 5
    assert db.execute(select(func.count()).select_from(PrizePlanRecord)).scalar_one() == 0
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == audits


def test_committee_reads_the_page_but_cannot_save(client, db):
    make_contest(db, "chi-doc")
    sign_in(client, db, "giamkhao-p", ["committee_member"])
    page = client.get("/organiser/contests/chi-doc/plans")
    assert page.status_code == 200 and "Lưu</button>" not in page.text
    response = client.post(
        "/organiser/contests/chi-doc/plans/prize", data=dict(TIERS, csrf_token=csrf_from(page.text))
    )
    assert response.status_code == 403


def test_allocating_without_a_collective_plan_leads_to_the_plans_page(client, db):
    make_contest(db, "chua-co")
    sign_in(client, db, "giamkhao-c", ["committee_member"])
    token = csrf_from(client.get("/committee/chua-co").text)
    response = client.post(
        "/committee/chua-co/prizes/allocate", data={"csrf_token": token, "target": "collective"}
    )
    assert response.status_code == 409
    assert "Chưa có cơ cấu giải tập thể" in response.text
    assert 'href="/organiser/contests/chua-co/plans#collective"' in response.text
    assert 'class="tabs"' in response.text  # inside the staff layout, not a bare error page
    page = client.get("/committee/chua-co/collectives")
    assert page.status_code == 409 and "Mở trang cơ cấu giải" in page.text


def test_collective_preview_ranks_units_by_the_plan_on_the_page(client, db):
    contest = make_contest(db, "tap-the")
    round_ = contest.rounds[0]
    versions = make_bank(db, "tt-bank", 10)
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        make_final_attempt(db, round_, make_entrant(db, contest, name, "LS-TP-CL"), versions, 8)
    make_final_attempt(db, round_, make_entrant(db, contest, "Hoàng Văn Đức", "LS-TD"), versions, 9)
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    sign_in(client, db, "giamkhao-t", ["committee_member"])
    token = csrf_from(client.get("/committee/tap-the").text)
    assert (
        client.post("/committee/tap-the/rounds/1/close", data={"csrf_token": token}).status_code
        == 200
    )
    client.cookies.clear()
    sign_in(client, db, "bantochuc-t", ["organiser"])
    token = csrf_from(client.get("/organiser/contests/tap-the/plans").text)
    form = {
        "csrf_token": token,
        "action": "preview",
        "criterion": "participation_rate",
        "key2": "participants",
        "pools": "wards, districts",
        "ctier_code": ["first", ""],
        "ctier_label_vi": ["Giải Nhất", ""],
        "ctier_label_en": ["First prize", ""],
        "ctier_group_quotas": ["wards=1, districts=1", ""],
        "pool:LS-TP-CL": "wards",
        "pool:LS-TD": "districts",
        "band_max_headcount": ["49", ""],
        "band_min_percent": ["5", ""],
        "min_participants": "1",
        "tie_rule": "committee",
    }
    response = client.post("/organiser/contests/tap-the/plans/collective", data=form)
    assert response.status_code == 200, response.text
    preview = response.text.split('id="collective-preview"')[1]
    assert "Phường Chi Lăng" in preview and "6,67%" in preview and "Giải Nhất" in preview
    assert "Huyện Tràng Định" in preview  # 1 of 640 is 0,16 %, but no band above 49 staff
    assert db.execute(select(func.count()).select_from(PrizePlanRecord)).scalar_one() == 0

    form["pool:LS-KHONG"] = "wards"
    form["action"] = "save"
    response = client.post("/organiser/contests/tap-the/plans/collective", data=form)
    assert response.status_code == 422 and "LS-KHONG" in response.text
