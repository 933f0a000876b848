"""The cheating-signal pages: clusters with evidence, decisions through the screening trail,
thresholds with their meaning, and the export."""

import io
from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from openpyxl import load_workbook
from sqlalchemy import select

from contest.models import EligibilityDecision, WebSession
from contest.services import signals
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


def _one_device_round(db, slug):
    """Three accounts registered on one phone (one family name), one other person."""
    contest = make_contest(db, slug)
    round_ = contest.rounds[0]
    versions = make_bank(db, f"{slug}-bank", 10)
    family = [
        make_entrant(db, contest, name)
        for name in ("Hoàng Văn Bảo", "Hoàng Thị Cúc", "Hoàng Văn Dũng")
    ]
    other = make_entrant(db, contest, "Lê Thị Én")
    # Each signed in on the shared phone as soon as they registered.
    for p in family:
        db.add(
            WebSession(
                token_hash=f"{p.id:064d}",
                participant_id=p.id,
                created_at=p.registered_at,
                last_seen_at=p.registered_at,
                expires_at=p.registered_at + timedelta(days=14),
                ip="113.160.1.1",
                device="thiet-bi-chung-0123456789",
            )
        )
    db.commit()
    for i, p in enumerate([*family, other]):
        make_final_attempt(db, round_, p, versions, 8, seconds=300 + i)
    signals.compute(db, SYSTEM, round_)
    return contest, family, other


def test_a_member_sees_the_cluster_and_rules_on_its_members_with_a_reason(client, db):
    contest, family, other = _one_device_round(db, "tin-hieu-trang")
    make_staff(db, "gk-th", ["committee_member"])
    token = _sign_in(client, "gk-th")
    url = f"/committee/{contest.slug}/rounds/1/signals"

    page = client.get(url)
    assert page.status_code == 200
    assert (
        "3 tài khoản: dùng chung thiết bị; CCCD cùng họ, cùng tỉnh trên một thiết bị." in page.text
    )
    assert "Hoàng Thị Cúc" in page.text and "Lê Thị Én" not in page.text
    assert family[0].citizen_id not in page.text  # masked
    assert (
        f"/committee/{contest.slug}/rounds/1/signals"
        in client.get(f"/committee/{contest.slug}/rounds/1/flags").text
    )  # linked from screening
    cluster = signals.clusters_of(db, signals.latest_run(db, contest.rounds[0]))[0]
    action = f"{url}/{cluster.id}/decisions"

    refused = client.post(
        action,
        data={"csrf_token": token, "participant_ids": [family[0].id], "eligible": "no"},
    )
    assert refused.status_code == 422
    assert "phải nêu lý do" in refused.text
    outsider = client.post(
        action,
        data={
            "csrf_token": token,
            "participant_ids": [other.id],
            "eligible": "no",
            "reason": "x",
        },
    )
    assert outsider.status_code == 422
    done = client.post(
        action,
        data={
            "csrf_token": token,
            "participant_ids": [family[0].id, family[1].id],
            "eligible": "no",
            "reason": "Một người đăng ký bằng CCCD của người thân.",
        },
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<article class="card cluster"')
    assert done.text.count("Cán bộ gk-th (gk-th)") == 2
    decided = db.execute(
        select(EligibilityDecision.subject_id).where(
            EligibilityDecision.subject_kind == "participant"
        )
    ).scalars()
    assert set(decided) == {family[0].id, family[1].id}
    open_only = client.get(url, params={"state": "open"}).text
    assert "Hoàng Văn Dũng" in open_only  # one member still awaits a decision

    sheet = client.get(f"{url}.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Cụm", "Độ mạnh", "Lý do")
    assert len(rows) == 4
    assert sorted(r[10] for r in rows[1:]) == ["Chờ quyết định", "Không hợp lệ", "Không hợp lệ"]


def test_an_organiser_reads_but_may_not_decide(client, db):
    contest, family, _ = _one_device_round(db, "tin-hieu-btc")
    make_staff(db, "btc-th", ["organiser"])
    token = _sign_in(client, "btc-th")
    url = f"/committee/{contest.slug}/rounds/1/signals"
    page = client.get(url).text
    assert "Hoàng Thị Cúc" in page and "Quyết định cho các thành viên đã chọn" not in page
    cluster = signals.clusters_of(db, signals.latest_run(db, contest.rounds[0]))[0]
    refused = client.post(
        f"{url}/{cluster.id}/decisions",
        data={
            "csrf_token": token,
            "participant_ids": [family[0].id],
            "eligible": "no",
            "reason": "x",
        },
    )
    assert refused.status_code == 403


def test_a_round_never_computed_says_how_to_compute_it(client, db):
    contest = make_contest(db, "tin-hieu-chua")
    make_staff(db, "gk-chua", ["committee_member"])
    _sign_in(client, "gk-chua")
    page = client.get(f"/committee/{contest.slug}/rounds/1/signals").text
    assert f"contest signals compute --contest {contest.slug} --round 1" in page


def test_thresholds_are_shown_with_their_meaning_and_saved_by_an_organiser(client, db):
    contest = make_contest(db, "tin-hieu-nguong")
    make_staff(db, "btc-ng", ["organiser"])
    token = _sign_in(client, "btc-ng")
    url = f"/committee/{contest.slug}/signals/settings"
    page = client.get(url).text
    assert "Số tài khoản trên một thiết bị" in page
    assert "Nêu khi ngần này tài khoản trở lên đăng ký" in page
    bad = client.post(url, data={"csrf_token": token, "device_accounts": "1", "min_agreement": "x"})
    assert bad.status_code == 422
    assert "Số tài khoản trên một thiết bị: phải từ 2 đến 1000." in bad.text
    assert 'value="x"' in bad.text  # what was typed stays
    saved = client.post(url, data={"csrf_token": token, "device_accounts": "3"})
    assert saved.status_code == 200 and "Đã lưu các ngưỡng." in saved.text
    assert signals.settings_for(db, contest.id).device_accounts == 3
    assert 'value="3"' in client.get(url).text


def test_a_committee_member_may_not_change_the_thresholds(client, db):
    contest = make_contest(db, "tin-hieu-nguong-gk")
    make_staff(db, "gk-ng", ["committee_member"])
    token = _sign_in(client, "gk-ng")
    url = f"/committee/{contest.slug}/signals/settings"
    assert "Lưu các ngưỡng" not in client.get(url).text
    assert client.post(url, data={"csrf_token": token, "device_accounts": "3"}).status_code == 403


def test_the_committee_computes_a_round_s_signals_from_the_page_through_a_job(
    client, db, monkeypatch
):
    from contest.services import jobs

    contest, family, _ = _one_device_round(db, "tin-hieu-nen")
    round_ = contest.rounds[0]
    first = signals.latest_run(db, round_)
    make_staff(db, "gk-nen", ["committee_member"])
    token = _sign_in(client, "gk-nen")
    url = f"/committee/{contest.slug}/rounds/1/signals"
    assert f"{url}/compute" in client.get(url).text
    monkeypatch.setattr(jobs, "dispatcher", lambda job_id: jobs.run(db, job_id))

    r = client.post(f"{url}/compute", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/jobs/")
    assert "Đã tính: 4 bài" in client.get(r.headers["location"]).text
    db.expire_all()
    latest = signals.latest_run(db, round_)
    assert latest.id != first.id and latest.computed_by.endswith("gk-nen")
    assert latest.stats["clusters"] == first.stats["clusters"] == 1
    # Unauthenticated or forged posts start nothing.
    client.cookies.clear()
    refused = client.post(f"{url}/compute", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code in (303, 403)
    db.expire_all()
    assert signals.latest_run(db, round_).id == latest.id
