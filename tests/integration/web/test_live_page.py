"""The organisers' live page: who may see it, its figures, and the partial HTMX polls."""

import re
from datetime import timedelta

from conftest import csrf_from
from factories import make_bank, make_contest, make_entrant, make_final_attempt, make_staff

from contest import clock


def _sign_in(client, db, username, roles):
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


def _figure(html: str, name: str) -> str:
    return re.search(rf'id="fig-{name}">([^<]*)<', html).group(1)


def _contest_under_way(db):
    contest = make_contest(db, "truc-tiep")
    rnd = contest.rounds[0]
    versions = make_bank(db, "live-page-bank", questions=4)
    a = make_entrant(db, contest, "Nguyễn Văn An", "LS-TP-CL")
    b = make_entrant(db, contest, "Hoàng Thị Dung", "LS-TD")
    make_final_attempt(db, rnd, a, versions, 4, start_offset=timedelta(hours=20))
    make_final_attempt(
        db,
        rnd,
        b,
        versions,
        0,
        answered=0,
        materialise=False,
        start_offset=clock.now() - rnd.opens_at - timedelta(minutes=1),
    )
    return contest


def test_an_organiser_sees_the_figures_and_the_charts(client, db):
    contest = _contest_under_way(db)
    _sign_in(client, db, "bantochuc", ["organiser"])
    r = client.get(f"/organiser/contests/{contest.slug}/live")
    assert r.status_code == 200
    assert _figure(r.text, "registered") == "2"
    assert _figure(r.text, "active") == "1"
    assert _figure(r.text, "started") == "2"
    assert _figure(r.text, "finished") == "1"
    assert r.text.count("<svg") >= 5 and 'hx-trigger="every 10s"' in r.text
    assert "Thành phố Lạng Sơn" in r.text and "820" in r.text
    assert "<script" not in r.text.split('id="live"', 1)[1]  # charts are drawn on the server


def test_htmx_gets_only_the_section_it_polls(client, db):
    contest = _contest_under_way(db)
    _sign_in(client, db, "bantochuc", ["organiser"])
    r = client.get(f"/organiser/contests/{contest.slug}/live", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="live"') and "<html" not in r.text


def test_the_committee_may_watch_and_a_judge_may_not(client, db):
    contest = _contest_under_way(db)
    _sign_in(client, db, "giamkhao", ["committee_member"])
    assert client.get(f"/organiser/contests/{contest.slug}/live").status_code == 200
    client.cookies.clear()
    _sign_in(client, db, "chamthi", ["judge"])
    assert client.get(f"/organiser/contests/{contest.slug}/live").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    contest = _contest_under_way(db)
    r = client.get(f"/organiser/contests/{contest.slug}/live", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


def test_the_page_speaks_vietnamese(client, db):
    contest = _contest_under_way(db)
    _sign_in(client, db, "bantochuc", ["organiser"])
    html = client.get(f"/organiser/contests/{contest.slug}/live").text
    assert "Đang thi" in html and "Tham gia theo đơn vị" in html
