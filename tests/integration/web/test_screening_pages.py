"""The screening page: people with their attempts, search, bulk decisions, names and words."""

from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff
from sqlalchemy import select

from contest import clock
from contest.models import Participant, WebSession
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


def test_people_are_searched_and_ruled_out_in_bulk_by_a_named_member(client, db):
    contest = make_contest(db, "trang-sang-loc")
    round_ = contest.rounds[0]
    versions = make_bank(db, "tsl-bank", 10)
    cheat = make_entrant(db, contest, "Vũ Văn Nhanh")
    make_final_attempt(db, round_, cheat, versions, 10, seconds=3)
    make_final_attempt(db, round_, cheat, versions, 9, seconds=300, number=2)
    staff = make_entrant(db, contest, "Trần Thị Bình", unit_code="LS-TD")
    make_final_attempt(db, round_, staff, versions, 10, seconds=300)
    make_staff(db, "gk-tsl", ["committee_member"])
    token = _sign_in(client, "gk-tsl")
    url = f"/committee/{contest.slug}/rounds/1/flags"

    page = client.get(url).text
    assert "Vũ Văn Nhanh" in page and "Trần Thị Bình" not in page
    assert "Làm bài nhanh bất thường" in page  # the flag in words
    assert ">implausibly_fast<" not in page and "Tác phẩm trùng lặp" not in page  # no works flags
    found = client.get(url, params={"q": "tran thi binh"}).text
    assert "Trần Thị Bình" in found and "Vũ Văn Nhanh" not in found
    by_cccd = client.get(url, params={"q": staff.citizen_id[-4:]}).text
    assert "Trần Thị Bình" in by_cccd

    done = client.post(
        f"/committee/{contest.slug}/rounds/1/decisions",
        data={
            "csrf_token": token,
            "participant_ids": [cheat.id, staff.id],
            "eligible": "no",
            "reason": "Thành viên Tổ thư ký; gian lận",
            "state": "all",
        },
    )
    assert done.status_code == 200
    assert "Đã ghi 2 quyết định." in done.text
    # Who decided, by name, on each person; each person's attempts now not eligible.
    assert done.text.count("Cán bộ gk-tsl (gk-tsl)") == 2
    assert "staff:" not in done.text
    data = results.load_round(db, round_)
    assert not any(v.eligible for v in data.verdicts.values())


def test_a_decision_after_approval_says_it_needs_a_correction_version(client, db):
    contest = make_contest(db, "sau-phe-duyet")
    round_ = contest.rounds[0]
    versions = make_bank(db, "spd-bank", 10)
    winner = make_entrant(db, contest, "Nguyễn Văn An")
    make_final_attempt(db, round_, winner, versions, 10, seconds=300)
    member = make_staff(db, "gk-spd", ["committee_member"])
    chair = make_staff(db, "tb-spd", ["committee_chair", "committee_member"])
    prize_plans.save_plan(db, Actor("staff", member.id, member.username), contest, PLAN)
    clock.freeze(round_.closes_at + timedelta(minutes=1))
    results.close_round(db, Actor("staff", member.id, member.username), round_)
    pl = prizes.allocate(db, Actor("staff", member.id, member.username), round_).prize_list
    prize_lists.propose(db, Actor("staff", member.id, member.username), pl)
    prize_lists.approve(db, Actor("staff", chair.id, chair.username), pl)

    token = _sign_in(client, "gk-spd")
    page = client.get(f"/committee/{contest.slug}/rounds/1/flags?state=all").text
    assert "phiên bản đính chính" in page
    done = client.post(
        f"/committee/{contest.slug}/rounds/1/decisions",
        data={
            "csrf_token": token,
            "participant_ids": [winner.id],
            "eligible": "no",
            "reason": "Phát hiện sau khi duyệt",
            "state": "all",
        },
    )
    assert "cần một phiên bản đính chính" in done.text


def test_signing_in_after_registering_leaves_a_device_cookie_that_screening_reads(client, db):
    contest = make_contest(db, "thiet-bi")
    page = client.get(f"/c/{contest.slug}/register").text
    for cid, phone, name in (
        ("020190012345", "0912345678", "Nguyễn Thị Hoà"),
        ("020190054321", "0987654321", "Lê Thị Hoa"),
    ):
        client.post(
            f"/c/{contest.slug}/register",
            data={
                "csrf_token": csrf_from(page),
                "full_name": name,
                "date_of_birth": "15/08/1990",
                "gender": "female",
                "citizen_id": cid,
                "phone": phone,
                "unit_code": "LS-TP-CL",
                "password": "mat-khau-bi-mat",
                "consent": "yes",
            },
        )
        client.post(
            f"/c/{contest.slug}/login",
            data={
                "csrf_token": csrf_from(client.get(f"/c/{contest.slug}/login").text),
                "login": cid,
                "password": "mat-khau-bi-mat",
            },
        )
        assert client.cookies.get("contest_device")
        client.post(
            "/logout", data={"csrf_token": csrf_from(client.get(f"/c/{contest.slug}/me").text)}
        )
        page = client.get(f"/c/{contest.slug}/register").text
    ids = db.execute(select(Participant.id).where(Participant.contest_id == contest.id)).scalars()
    devices = {
        s.device
        for s in db.execute(
            select(WebSession).where(WebSession.participant_id.in_(list(ids)))
        ).scalars()
    }
    assert len(devices) == 1 and "" not in devices  # one browser, two accounts
    assert len(results.devices_of(db, contest.id)) == 2


def test_accounts_registered_on_one_phone_are_tied_even_if_they_never_sign_in(client, db):
    from factories import make_bank, make_final_attempt

    from contest.services import signals
    from contest.services.context import SYSTEM

    contest = make_contest(db, "dang-ky-mot-may")
    for cid, phone, name in (
        ("020190012346", "0912345679", "Nguyễn Thị Hoà"),
        ("020190054322", "0987654322", "Lê Thị Hoa"),
        ("020190054323", "0987654323", "Trần Văn Hùng"),
    ):
        page = client.get(f"/c/{contest.slug}/register").text
        client.post(
            f"/c/{contest.slug}/register",
            data={
                "csrf_token": csrf_from(page),
                "full_name": name,
                "date_of_birth": "15/08/1990",
                "gender": "female",
                "citizen_id": cid,
                "phone": phone,
                "unit_code": "LS-TP-CL",
                "password": "mat-khau-bi-mat",
                "consent": "yes",
            },
        )
        assert client.cookies.get("contest_device")  # set by the registration itself
    people = list(
        db.execute(select(Participant).where(Participant.contest_id == contest.id)).scalars()
    )
    assert len(people) == 3
    assert {p.registered_device for p in people} == {client.cookies.get("contest_device")}
    assert all(p.registered_ip for p in people)
    assert not db.execute(
        select(WebSession).where(WebSession.participant_id.in_([p.id for p in people]))
    ).first()  # nobody signed in
    versions = make_bank(db, "dang-ky-mot-may-bank", 10)
    for i, p in enumerate(people):
        make_final_attempt(db, contest.rounds[0], p, versions, 6 + i, seconds=400 + 7 * i)
    run = signals.compute(db, SYSTEM, contest.rounds[0])
    clusters = signals.clusters_of(db, run)
    assert [sorted(c.participant_ids) for c in clusters] == [sorted(p.id for p in people)]
