"""Staff pages never strand: a refusal is shown in the staff layout with a way back, and a
button whose action would be refused is not offered."""

from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff

from contest import clock
from contest.services import prize_lists, prize_plans, prizes, results
from contest.services.context import Actor

PLAN = {
    "tiers": [
        {"code": "first", "label_vi": "Giải Nhất", "label_en": "First", "rank_order": 1, "quota": 1}
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


def test_a_refused_action_explains_itself_inside_the_staff_layout(client, db):
    contest = make_contest(db, "tu-choi")  # its round is still open
    make_staff(db, "gk-tc", ["committee_member"])
    token = _sign_in(client, "gk-tc")
    refused = client.post(
        f"/committee/{contest.slug}/rounds/1/close",
        data={"csrf_token": token},
        headers={"referer": f"https://testserver/committee/{contest.slug}"},
    )
    assert refused.status_code == 400
    assert "Đợt thi chưa kết thúc" in refused.text and "has not closed yet" in refused.text
    assert 'aria-label="Quản trị"' in refused.text or 'class="tabs"' in refused.text
    assert f'href="/committee/{contest.slug}"' in refused.text and "Quay lại" in refused.text
    # Without a Referer the way back is the contest's committee page, never a dead end.
    bare = client.post(f"/committee/{contest.slug}/rounds/1/close", data={"csrf_token": token})
    assert f'href="/committee/{contest.slug}"' in bare.text
    # A role refusal too.
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "Quay lại" in forbidden.text


def test_the_public_still_gets_the_plain_error_page(client, db):
    page = client.get("/c/khong-co")
    assert page.status_code == 404 and "Quay lại" not in page.text


def test_close_again_is_not_offered_once_the_list_is_approved(client, db):
    contest = make_contest(db, "da-duyet")
    round_ = contest.rounds[0]
    versions = make_bank(db, "dd-bank", 5)
    make_final_attempt(db, round_, make_entrant(db, contest, "Nguyễn Văn An"), versions, 5)
    member = make_staff(db, "gk-dd", ["committee_member"])
    chair = make_staff(db, "tb-dd", ["committee_chair", "committee_member"])
    actor = Actor("staff", member.id, member.username)
    prize_plans.save_plan(db, actor, contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, actor, round_)
    _sign_in(client, "gk-dd")
    assert "Chốt lại (tính lại)" in client.get(f"/committee/{contest.slug}").text
    pl = prizes.allocate(db, actor, round_).prize_list
    prize_lists.propose(db, actor, pl)
    prize_lists.approve(db, Actor("staff", chair.id, chair.username), pl)
    page = client.get(f"/committee/{contest.slug}").text
    assert "/rounds/1/close" not in page and "phiên bản đính chính" in page
