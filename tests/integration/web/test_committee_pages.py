from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff

from contest import clock
from contest.services import prize_plans, results
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất",
            "label_en": "First prize",
            "rank_order": 1,
            "quota": 1,
        }
    ]
}


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


def test_member_proposes_only_the_chair_approves_and_the_public_sees_masked_winners(client, db):
    contest = make_contest(db, "trang-kq")
    round_ = contest.rounds[0]
    versions = make_bank(db, "tk-bank", 5)
    winner = make_entrant(db, contest, "Nguyễn Văn An")
    make_final_attempt(db, round_, winner, versions, 5, seconds=60)
    loser = make_entrant(db, contest, "Trần Thị Bình")
    make_final_attempt(db, round_, loser, versions, 3, seconds=60)
    member = make_staff(db, "gk-web", ["committee_member"])
    make_staff(db, "tb-web", ["committee_chair", "committee_member"])
    actor = Actor("staff", member.id, member.username)
    prize_plans.save_plan(db, actor, contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, actor, round_)

    token = _sign_in(client, "gk-web")
    ranking = client.get(f"/committee/{contest.slug}/rounds/1/ranking").text
    assert "Nguyễn Văn An" in ranking and "Vì sao ở vị trí này" in ranking
    response = client.post(
        f"/committee/{contest.slug}/prizes/allocate",
        data={"csrf_token": token, "target": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    list_url = response.headers["location"]
    client.post(f"{list_url}/propose", data={"csrf_token": token})
    refused = client.post(f"{list_url}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "Chưa công bố kết quả." in client.get(f"/c/{contest.slug}/results").text
    client.post("/logout", data={"csrf_token": token})

    token = _sign_in(client, "tb-web")
    assert client.post(f"{list_url}/approve", data={"csrf_token": token}).status_code == 200
    client.post(f"{list_url}/publish", data={"csrf_token": token})
    client.post("/logout", data={"csrf_token": token})

    public = client.get(f"/c/{contest.slug}/results").text
    assert "Nguyễn Văn A" in public and "Nguyễn Văn An" not in public
    assert f"CCCD ****{winner.citizen_id[-4:]}" in public and "Phường Chi Lăng" in public
    assert "<svg" in public and 'role="img"' in public


def test_flags_page_records_a_bulk_decision(client, db):
    contest = make_contest(db, "co-canh-bao")
    round_ = contest.rounds[0]
    versions = make_bank(db, "cb-bank", 10)
    fast = [
        make_final_attempt(db, round_, make_entrant(db, contest, n), versions, 10, seconds=3)
        for n in ("Lê Văn Cường", "Phạm Thị Dung")
    ]
    make_staff(db, "gk-co", ["committee_member"])
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    token = _sign_in(client, "gk-co")
    page = client.get(f"/committee/{contest.slug}/rounds/1/flags?code=implausibly_fast").text
    assert "Lê Văn Cường" in page and "Phạm Thị Dung" in page
    response = client.post(
        f"/committee/{contest.slug}/rounds/1/decisions",
        data={
            "csrf_token": token,
            "subject_ids": [a.id for a in fast],
            "subject_kind": "attempt",
            "eligible": "yes",
            "reason": "Đã xác minh trực tiếp",
        },
    )
    assert response.status_code == 200 and page.count("Chờ quyết định") >= 2
    assert response.text.count("Đã xác minh trực tiếp") == 2
    missing = client.post(
        f"/committee/{contest.slug}/rounds/1/decisions",
        data={"csrf_token": token, "subject_ids": [fast[0].id], "eligible": "no", "reason": ""},
    )
    assert missing.status_code == 422
