"""The one prize list page: every kind of list, who allocated and proposed, four eyes."""

from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff

from contest import clock
from contest.services import prize_lists, prize_plans, prizes, results
from contest.services.context import Actor

PLAN = {"tiers": [{"code": "first", "label_vi": "Giải Nhất", "rank_order": 1, "quota": 1}]}


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


def test_the_chair_who_proposed_is_told_why_there_is_no_approve_button(client, db):
    contest = make_contest(db, "bon-mat-web")
    round_ = contest.rounds[0]
    versions = make_bank(db, "bmw-bank", 5)
    make_final_attempt(db, round_, make_entrant(db, contest, "Nguyễn Văn An"), versions, 5)
    member = make_staff(db, "gk-bm", ["committee_member"])
    chair = make_staff(db, "tb-bm", ["committee_chair", "committee_member"])
    prize_plans.save_plan(db, Actor("staff", member.id, member.username), contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, Actor("staff", member.id, member.username), round_)
    pl = prizes.allocate(db, Actor("staff", member.id, member.username), round_).prize_list
    prize_lists.propose(db, Actor("staff", chair.id, chair.username), pl)

    token = _sign_in(client, "tb-bm")
    page = client.get(f"/committee/{contest.slug}/prizes/{pl.id}").text
    assert "Cán bộ tb-bm (tb-bm)" in page and "Phân bổ bởi Cán bộ gk-bm (gk-bm)" in page
    assert "nguyên tắc bốn mắt" in page and f"/prizes/{pl.id}/approve" not in page
    refused = client.post(
        f"/committee/{contest.slug}/prizes/{pl.id}/approve", data={"csrf_token": token}
    )
    assert refused.status_code in (400, 403) and "bốn mắt" in refused.text
    assert prize_lists.get_list(db, pl.id).status == "proposed"


def test_the_annex_downloads_as_pdf_and_xlsx_for_the_office_only(client, db):
    contest = make_contest(db, "phu-luc-web")
    make_staff(db, "gk-pl", ["committee_member"])
    anonymous = client.get(f"/committee/{contest.slug}/annex.pdf", follow_redirects=False)
    assert anonymous.status_code in (303, 401, 403)
    _sign_in(client, "gk-pl")
    pdf = client.get(f"/committee/{contest.slug}/annex.pdf?number=15/QĐ-BTC&date=31/07/2023")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    xlsx = client.get(f"/committee/{contest.slug}/annex.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    bad = client.get(f"/committee/{contest.slug}/annex.pdf?date=32/01/2023")
    assert bad.status_code in (400, 422) and "dd/mm/yyyy" in bad.text
