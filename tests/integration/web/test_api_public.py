"""The public API /api/v1: values against known data, masking as on the results page, only
published lists, CSV/JSON downloads with the licence, JSON errors, the rate limit, ETags."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from factories import (
    make_bank,
    make_entrant,
    make_final_attempt,
    make_staff,
    make_weekly_contest,
    plan_tier,
)
from sqlalchemy import select

from contest import clock
from contest.certificates.codes import check_character, format_code
from contest.config import get_settings
from contest.models import Certificate
from contest.services import (
    certificates,
    contests,
    prize_lists,
    prize_plans,
    prizes,
    results,
    results_cache,
)
from contest.services.context import Actor

PEOPLE = (
    # name, unit, correct, seconds
    ("Nguyễn Thị Hoà Bình", "LS-TP", 10, 300),
    ("Hoàng Văn Sử", "LS-TD", 9, 200),
    ("Lương Thị Ưng", "LS-VL", 9, 250),
    ("Đặng Quốc Việt", "LS-TP", 5, 100),
)


@pytest.fixture
def signed(db):
    """Round 1 closed; the individual and collective lists approved, not yet published."""
    results_cache.clear()
    member = make_staff(db, "uv-api", ["committee_member"])
    chair = make_staff(db, "ct-api", ["committee_chair"])
    m, c = Actor("staff", member.id, member.username), Actor("staff", chair.id, chair.username)
    contest = make_weekly_contest(db, "du-lieu-mo", rounds=2)
    round_ = contest.rounds[0]
    versions = make_bank(db, "api-bank", 10)
    people = {}
    for name, unit, correct, seconds in PEOPLE:
        p = make_entrant(db, contest, name, unit_code=unit)
        make_final_attempt(db, round_, p, versions, correct, seconds=seconds, prediction=1)
        people[name] = p
    # A second attempt (still no prize) and someone who registered and never started.
    make_final_attempt(
        db, round_, people["Đặng Quốc Việt"], versions, 6, seconds=120, prediction=1, number=2
    )
    make_entrant(db, contest, "Vi Thị Én", unit_code="LS-TP")
    prize_plans.save_plan(
        db,
        m,
        contest,
        {"tiers": [plan_tier("first", "Giải Nhất", 1, 1), plan_tier("second", "Giải Nhì", 2, 2)]},
    )
    prize_plans.save_plan(
        db,
        m,
        contest,
        {
            "criterion": "participants",
            "tiers": [plan_tier("collective", "Giải tập thể", 1, 0, group_quotas={"districts": 1})],
            "pools": ["districts"],
            "unit_pools": {"LS-TP": "districts", "LS-TD": "districts", "LS-VL": "districts"},
            "tie_rule": "committee",
        },
        kind="collective",
    )
    clock.freeze(round_.closes_at + timedelta(minutes=5))
    results.close_round(db, m, round_)
    individual = prizes.allocate(db, m, round_).prize_list
    collective = prizes.allocate_collectives(db, m, contest)
    for pl in (individual, collective):
        prize_lists.propose(db, m, pl)
        prize_lists.approve(db, c, pl)
    return contest, people, individual, collective, c


def _publish(db, chair, *lists):
    for pl in lists:
        prize_lists.publish(db, chair, pl)
    results_cache.clear()


def test_approved_lists_stay_hidden_until_published_then_show_masked(client, db, signed):
    contest, people, individual, collective, chair = signed
    url = f"/api/v1/contests/{contest.slug}/winners"
    body = client.get(url).json()
    assert body["prize_lists"] == []
    assert body["licence"]["name"] == "CC BY 4.0"

    _publish(db, chair, individual)
    body = client.get(url).json()
    assert [pl["kind"] for pl in body["prize_lists"]] == ["individual"]
    (pl,) = body["prize_lists"]
    assert (pl["round_number"], pl["round_title_vi"], pl["version"]) == (1, "Tuần 1", 1)
    cid = {name: p.citizen_id for name, p in people.items()}
    assert [
        (w["position"], w["name"], w["citizen_id"], w["unit"], w["tier_label_vi"])
        for w in pl["winners"]
    ] == [
        (
            1,
            "Nguyễn Thị Hoà B",
            "****" + cid["Nguyễn Thị Hoà Bình"][-4:],
            "Thành phố Lạng Sơn",
            "Giải Nhất",
        ),
        (2, "Hoàng Văn S", "****" + cid["Hoàng Văn Sử"][-4:], "Huyện Tràng Định", "Giải Nhì"),
        (3, "Lương Thị Ư", "****" + cid["Lương Thị Ưng"][-4:], "Huyện Văn Lãng", "Giải Nhì"),
    ]
    # The same masking as the public results page, and nothing more about anyone.
    page = client.get(f"/c/{contest.slug}/results").text
    for w in pl["winners"]:
        assert w["name"] in page and w["citizen_id"] in page
    raw = client.get(url).text
    for p in people.values():
        assert p.full_name not in raw and p.citizen_id not in raw and p.phone not in raw
        assert p.date_of_birth.isoformat() not in raw

    _publish(db, chair, collective)
    body = client.get(url).json()
    assert [pl["kind"] for pl in body["prize_lists"]] == ["individual", "collective"]
    coll = body["prize_lists"][1]
    assert coll["round_number"] is None
    assert [
        (w["recipient_kind"], w["name"], w["citizen_id"], w["tier_label_vi"])
        for w in coll["winners"]
    ] == [("collective", "Thành phố Lạng Sơn", "", "Giải tập thể")]
    only = client.get(url, params={"kind": "collective"}).json()["prize_lists"]
    assert [pl["kind"] for pl in only] == ["collective"]


def test_a_correction_approved_but_unpublished_leaves_the_published_version(client, db, signed):
    contest, people, individual, collective, chair = signed
    _publish(db, chair, individual)
    member = Actor("staff", individual.allocated_by_id or 0, "uv-api")
    v2 = prizes.allocate(db, member, contest.rounds[0], correction_note="Đính chính").prize_list
    prize_lists.propose(db, member, v2)
    prize_lists.approve(db, Actor("staff", chair.id, chair.label), v2)
    results_cache.clear()
    lists = client.get(f"/api/v1/contests/{contest.slug}/winners").json()["prize_lists"]
    assert [(pl["kind"], pl["version"]) for pl in lists] == [("individual", 1)]


def _rows(data: bytes) -> tuple[str, list[list[str]]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    text = data.decode("utf-8-sig")
    first, rest = text.split("\r\n", 1)
    return first, list(csv.reader(io.StringIO(rest)))


def test_winners_download_as_csv_and_json_with_the_licence(client, db, signed):
    contest, people, individual, collective, chair = signed
    _publish(db, chair, individual, collective)
    r = client.get(f"/api/v1/contests/{contest.slug}/winners.csv")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"]
    assert "du-lieu-mo-giai-thuong.csv" in r.headers["content-disposition"]
    licence, rows = _rows(r.content)
    assert licence.startswith("# Giấy phép / Licence: CC BY 4.0")
    assert "," not in licence and "BAN TỔ CHỨC" in licence
    assert rows[0][:6] == ["loai_danh_sach", "dot_thi", "phien_ban", "stt", "doi_tuong", "ho_ten"]
    assert rows[1] == [
        "individual",
        "1",
        "1",
        "1",
        "individual",
        "Nguyễn Thị Hoà B",
        "****" + people["Nguyễn Thị Hoà Bình"].citizen_id[-4:],
        "Thành phố Lạng Sơn",
        "first",
        "Giải Nhất",
        "first",
    ]
    assert rows[-1][:6] == ["collective", "", "1", "1", "collective", "Thành phố Lạng Sơn"]
    assert len(rows) == 1 + 3 + 1

    j = client.get(f"/api/v1/contests/{contest.slug}/winners.json")
    assert "du-lieu-mo-giai-thuong.json" in j.headers["content-disposition"]
    data = json.loads(j.content)
    assert data["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data == client.get(f"/api/v1/contests/{contest.slug}/winners").json()


def test_the_licence_is_configurable(client, db, signed, monkeypatch):
    contest, *_ = signed
    monkeypatch.setattr(get_settings(), "open_data_licence", "ODC-BY 1.0")
    monkeypatch.setattr(
        get_settings(), "open_data_licence_url", "https://opendatacommons.org/licenses/by/"
    )
    monkeypatch.setattr(get_settings(), "open_data_attribution", "Sở Thông tin và Truyền thông")
    licence, _ = _rows(
        client.get(f"/api/v1/contests/{contest.slug}/participation-rounds.csv").content
    )
    assert licence.startswith("# Giấy phép / Licence: ODC-BY 1.0 (https://opendatacommons.org")
    assert "Sở Thông tin và Truyền thông" in licence


def test_participation_counts_per_round_and_per_unit(client, db, signed):
    contest, *_ = signed
    body = client.get(f"/api/v1/contests/{contest.slug}/participation").json()
    r1, r2 = body["rounds"]
    assert (r1["number"], r1["participants"], r1["attempts"], r1["finished_attempts"]) == (
        1,
        4,
        5,
        5,
    )
    assert (r1["closed"], r1["entrants"]) == (True, 4)
    assert (r2["number"], r2["participants"], r2["attempts"], r2["closed"], r2["entrants"]) == (
        2,
        0,
        0,
        False,
        None,
    )
    units = {u["code"]: u for u in body["units"]}
    assert list(units) == ["LS", "LS-TP", "LS-TD", "LS-VL", "LS-SNV"]
    assert {
        code: (u["registered"], u["participants"], u["attempts"], u["participation_rate"])
        for code, u in units.items()
    } == {
        "LS": (0, 0, 0, None),
        "LS-TP": (3, 2, 3, 2.0),
        "LS-TD": (1, 1, 1, 1.0),
        "LS-VL": (1, 1, 1, 1.0),
        "LS-SNV": (0, 0, 0, 0.0),
    }
    assert units["LS-TP"]["parent_code"] == "LS" and units["LS"]["parent_code"] == ""
    assert units["LS-TP"]["name"] == "Thành phố Lạng Sơn"
    # Nothing personal: no name in the figures.
    assert "Nguyễn" not in json.dumps(body, ensure_ascii=False)

    in_round_2 = client.get(f"/api/v1/contests/{contest.slug}/participation?round=2").json()
    assert in_round_2["round_number"] == 2
    assert {u["code"]: u["participants"] for u in in_round_2["units"]}["LS-TP"] == 0
    assert {u["code"]: u["registered"] for u in in_round_2["units"]}["LS-TP"] == 3

    missing = client.get(f"/api/v1/contests/{contest.slug}/participation?round=9")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert "9" in missing.json()["message_vi"] and "round 9" in missing.json()["message_en"]


def test_participation_csv_files(client, db, signed):
    contest, *_ = signed
    _, rounds = _rows(
        client.get(f"/api/v1/contests/{contest.slug}/participation-rounds.csv").content
    )
    assert rounds[0][:3] == ["dot_thi", "ten_dot", "round_title"]
    assert rounds[1][0:2] == ["1", "Tuần 1"] and rounds[1][5:9] == ["true", "4", "5", "5"]
    _, units = _rows(client.get(f"/api/v1/contests/{contest.slug}/participation-units.csv").content)
    assert units[2] == ["LS-TP", "Thành phố Lạng Sơn", "LS", "100", "3", "2", "3", "2.0"]
    r = client.get(f"/api/v1/contests/{contest.slug}/participation-units.csv?round=1")
    assert "tham-gia-theo-don-vi-dot-1.csv" in r.headers["content-disposition"]
    j = client.get(f"/api/v1/contests/{contest.slug}/participation.json")
    assert j.headers["content-disposition"].startswith("attachment")


def test_contests_list_shows_published_contests_only(client, db, signed):
    contest, *_ = signed
    draft = make_weekly_contest(db, "nhap-api")
    draft.status = "draft"
    db.commit()
    body = client.get("/api/v1/contests").json()
    slugs = [c["slug"] for c in body["contests"]]
    assert contest.slug in slugs and "nhap-api" not in slugs
    one = client.get(f"/api/v1/contests/{contest.slug}").json()
    assert [r["title_vi"] for r in one["rounds"]] == ["Tuần 1", "Tuần 2"]
    assert one["results_page"] == f"/c/{contest.slug}/results"
    for path in ("", "/winners", "/participation", "/winners.csv"):
        r = client.get(f"/api/v1/contests/nhap-api{path}")
        assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_certificates_verify_by_code_masked_as_on_the_page(client, db, signed):
    contest, people, individual, collective, chair = signed
    _publish(db, chair, individual, collective)
    certificates.issue_certificates(db, chair, results.approved_awards(db, contest.id))
    issued = {
        c.recipient_name: c
        for c in db.execute(
            select(Certificate).where(Certificate.contest_id == contest.id)
        ).scalars()
    }
    first = issued["Nguyễn Thị Hoà Bình"]
    body = client.get(f"/api/v1/certificates/{first.code.lower()}").json()
    assert body["status"] == "valid"
    assert body["code"] == format_code(first.code)
    assert body["recipient"] == "Nguyễn Thị Hoà B"
    assert body["tier_label_vi"] == "Giải Nhất" and body["number"] == first.number
    assert body["verify_page"] == f"/xac-minh/{format_code(first.code)}"
    assert body["revoked_at"] is None and body["replaced_by_code"] is None
    page = client.get(f"/xac-minh/{first.code}").text
    assert body["recipient"] in page and "Nguyễn Thị Hoà Bình" not in page
    unit = client.get(f"/api/v1/certificates/{issued['Thành phố Lạng Sơn'].code}").json()
    assert unit["recipient"] == "Thành phố Lạng Sơn"

    certificates.revoke(db, chair, first.id, "Khai sai thông tin đơn vị")
    revoked = client.get(f"/api/v1/certificates/{first.code}").json()
    assert (
        revoked["status"] == "revoked" and revoked["revoked_reason"] == "Khai sai thông tin đơn vị"
    )
    assert revoked["revoked_at"] is not None

    body = "2345678AB"
    unknown = client.get(f"/api/v1/certificates/{body + check_character(body)}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_code"
    typo = client.get("/api/v1/certificates/K7QM-3XWD-9T")
    assert typo.status_code == 404 and typo.json()["code"] == "invalid_code"
    assert typo.json()["message_en"].startswith("This code is not valid")
    too_long = client.get("/api/v1/certificates/" + "A" * 65)
    assert too_long.status_code == 422 and too_long.json()["fields"] == ["code"]


def test_errors_are_json_in_both_languages(client):
    r = client.get("/api/v1/contests/khong-co")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert r.json() == {
        "status": 404,
        "code": "not_found",
        "message_vi": "Không có cuộc thi 'khong-co'.",
        "message_en": "There is no contest 'khong-co'.",
    }
    bad = client.get("/api/v1/contests/KHONG HOP LE")
    assert bad.status_code == 422 and bad.json()["fields"] == ["slug"]
    assert client.get("/api/v1/no-such-thing").json()["code"] == "not_found"
    assert client.post("/api/v1/contests").json()["code"] in ("method_not_allowed", "forbidden")


def test_requests_past_the_limit_get_429_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "api_limit_per_address", "3/minute")
    for _ in range(3):
        assert client.get("/api/v1/contests").status_code == 200
    r = client.get("/api/v1/contests")
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert r.json()["code"] == "rate_limited" and r.json()["message_en"].startswith("Too many")


def test_an_unchanged_answer_is_a_304_by_etag(client, db, signed):
    contest, *_ = signed
    url = f"/api/v1/contests/{contest.slug}/participation"
    first = client.get(url)
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_openapi_document_and_the_docs_page_are_served_from_here(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and doc["info"]["version"] == "1.0.0"
    paths = set(doc["paths"])
    assert {
        "/api/v1/contests",
        "/api/v1/contests/{slug}/winners",
        "/api/v1/contests/{slug}/winners.csv",
        "/api/v1/contests/{slug}/participation",
        "/api/v1/certificates/{code}",
    } <= paths
    assert not any(p.startswith(("/c/", "/admin")) for p in paths), "pages stay out of the API"
    winner = doc["components"]["schemas"]["WinnerOut"]["properties"]["name"]
    assert winner["description"] and winner["examples"] == ["Nguyễn Văn A"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/contests/{slug}/winners" in page.text and "openapi.json" in page.text
    assert "cdn" not in page.text.lower() and "unpkg" not in page.text.lower()
    # The framework's own Swagger/ReDoc pages (CDN assets) stay off.
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


def test_a_contest_with_nothing_published_answers_empty_lists(client, db):
    contest = make_weekly_contest(db, "chua-co-gi")
    contests.rounds_of(db, contest)
    assert client.get(f"/api/v1/contests/{contest.slug}/winners").json()["prize_lists"] == []
    body = client.get(f"/api/v1/contests/{contest.slug}/participation").json()
    assert body["rounds"][0]["participants"] == 0
