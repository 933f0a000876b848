"""Lạng Sơn 2023 reproduced from files, the `contest` command and the pages (issue 14).

Everything is set up the way an organiser and a committee would, without a developer: the
contest, its four weekly rounds and its unit tree (16 units in two pools, with headcounts) from
a contest file read by `contest contests create`; the question bank from question_banks/; the
prize plans from a TOML file and the excluded staff from a CSV, read by `contest plans`. Fifty-one
people register and take the rounds through the pages. The screening page flags an excluded
staff member and a second account and the committee rules them out; a tie at the last
consolation place and a tie at a collective boundary are settled on the prize list page (stored
decisions); a round-1 winner who wins first in round 2 turns the approved round-1 list into a
correction version; the member proposes, the chair approves (the member may not), the lists are
published and the annex is exported. The end: 44 distinct individuals and 13 collectives in two
pools, and the rule that placed every line said on the page and in the annex.

The commands run in this process (Typer's runner) on the test's database, so the scenario runs on
SQLite and PostgreSQL alike; every count asserted is read from `--json` output, pages or the annex.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import csrf_from
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from contest import clock
from contest import db as database
from contest.cli import app as cli
from contest.domain.paper import option_order_at
from contest.models import Attempt, QuestionVersion

BANKS = Path(__file__).resolve().parents[2] / "question_banks"
SLUG = "lang-son-2023-kich-ban"
PASSWORD = "mat-khau-bi-mat"
STAFF_PASSWORD = "correct-horse-battery"
VIETNAM = clock.VIETNAM

AGENCIES = [f"LS-CQ-{n}" for n in range(1, 9)]
DISTRICTS = [f"LS-H-{n}" for n in range(1, 8)]
# Eligible people per unit: agencies 8, 7, …, 1 of 10 staff each (rates 80 % … 10 %); districts
# 4, 3, 2, 1, 1, 1, 1 of 10, 10, 10, 10, 20, 40, 40 people, so the last two districts tie at
# 2,5 % with one participant each, on the sixth and last district place.
HEADCOUNT = {**dict.fromkeys(AGENCIES, 10), **dict(zip(DISTRICTS, (10, 10, 10, 10, 20, 40, 40)))}
PEOPLE_PER_UNIT = {**dict(zip(AGENCIES, range(8, 0, -1))), **dict(zip(DISTRICTS, (4, 3, 2, 1, 1, 1, 1)))}  # fmt: skip

CONTEST_FILE = """
units = "don-vi.csv"

[contest]
slug = "{slug}"
title_vi = "Cuộc thi trắc nghiệm trực tuyến tìm hiểu về chuyển đổi số tỉnh Lạng Sơn năm 2023"
title_en = "Online contest on digital transformation in Lạng Sơn province, 2023"
organiser_vi = "BAN TỔ CHỨC CUỘC THI"
place_vi = "Lạng Sơn"
min_age = 12
age_cutoff = "03/07/2023"
{rounds}"""
ROUND = """
[[rounds]]
number = {n}
title_vi = "Tuần {n}"
title_en = "Week {n}"
opens = "{opens}"
closes = "{closes}"
banks = ["ls-tuan-4"]
questions_per_attempt = 3
time_limit_minutes = 10
max_attempts = 2
counting = "best"
prediction_required = false
"""
TIER = """
[[prize_plan.tiers]]
code = "{code}"
label_vi = "{vi}"
label_en = "{en}"
quota = {quota}
"""
COLLECTIVE_TIER = """
[[collective_plan.tiers]]
code = "{code}"
label_vi = "{vi}"
label_en = "{en}"
rank_order = {order}
quota = 0
group_quotas = {{ agencies = {a}, districts = {c} }}
"""
TIERS = [
    ("first", "Giải Nhất", "First prize", 1, 1, 1),
    ("second", "Giải Nhì", "Second prize", 2, 1, 1),
    ("third", "Giải Ba", "Third prize", 3, 2, 1),
    ("consolation", "Giải Khuyến khích", "Consolation prize", 5, 3, 3),
]


def plans_file() -> str:
    doc = '[prize_plan]\ntie_rule = "committee"\none_prize_scope = "contest"\n'
    for code, vi, en, quota, _, _ in TIERS:
        doc += TIER.format(code=code, vi=vi, en=en, quota=quota)
    doc += (
        '\n[collective_plan]\ncriterion = "participation_rate"\nkeys = ["participants"]\n'
        'pools = ["agencies", "districts"]\ntie_rule = "committee"\n'
    )
    for order, (code, vi, en, _, a, c) in enumerate(TIERS, start=1):
        doc += COLLECTIVE_TIER.format(code=code, vi=vi, en=en, order=order, a=a, c=c)
    doc += "\n[collective_plan.unit_pools]\n"
    doc += "".join(f'"{u}" = "agencies"\n' for u in AGENCIES)
    doc += "".join(f'"{u}" = "districts"\n' for u in DISTRICTS)
    return doc


def units_file() -> str:
    rows = ["code,name,parent_code,headcount,selectable", "LS,Tỉnh Lạng Sơn,,,"]
    rows += ["LS-CQ,Khối cơ quan cấp tỉnh,LS,,"]
    rows += [f"{u},Cơ quan số {n},LS-CQ,{HEADCOUNT[u]}," for n, u in enumerate(AGENCIES, 1)]
    rows += [f"{u},Huyện số {n},LS,{HEADCOUNT[u]}," for n, u in enumerate(DISTRICTS, 1)]
    return "\n".join(rows) + "\n"


FAMILY = ("Nông", "Hoàng", "Lộc", "Vi", "Lăng", "Triệu", "Đàm", "Hà")
MIDDLE = ("Văn", "Thị", "Minh", "Đức")
GIVEN = ("An", "Bình", "Cường", "Dung", "Giang", "Hạnh", "Khánh", "Lan", "Mai", "Nga", "Oanh", "Phúc", "Quân")  # fmt: skip


def person_name(i: int) -> str:
    """A different name for each i below 104 (i mod 8 and i mod 13 together say i)."""
    return f"{FAMILY[i % 8]} {MIDDLE[(i // 8) % 4]} {GIVEN[i % 13]}"


@pytest.fixture
def command(db, monkeypatch):
    """`contest …` as an operator types it, on the test's database; returns the --json output."""
    monkeypatch.setattr(database, "session_factory", lambda: lambda: db)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> dict:
        done = runner.invoke(cli, [*args, "--json"], catch_exceptions=False)
        assert (done.exit_code == 0) is ok, (args, done.output)
        return json.loads(done.stdout)

    return run


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 7, day, hour, minute, tzinfo=VIETNAM)


class Pages:
    """A browser's worth of requests: one participant or staff member at a time."""

    def __init__(self, app, db):
        self.client = TestClient(app, base_url="https://testserver")
        self.db = db

    def register(self, citizen_id: str, name: str, unit: str, phone: str) -> None:
        self.client.cookies.clear()
        form = self.client.get(f"/c/{SLUG}/register").text
        done = self.client.post(
            f"/c/{SLUG}/register",
            data={
                "csrf_token": csrf_from(form),
                "full_name": name,
                "date_of_birth": "02/01/1985",
                "gender": "male",
                "citizen_id": citizen_id,
                "phone": phone,
                "unit_code": unit,
                "password": PASSWORD,
                "consent": "yes",
            },
        )
        assert done.url.path.endswith("/registered"), re.findall(
            r"class=\"[^\"]*error[^\"]*\"[^>]*>([^<]+)", done.text
        )

    def take(self, number: int, citizen_id: str, right: int, at: datetime, pace: int) -> None:
        """Sign in and take round ``number``, answering ``right`` of 3 questions right, one
        answer every ``pace`` seconds from ``at``."""
        client = self.client
        client.cookies.clear()
        clock.freeze(at)
        page = client.get(f"/c/{SLUG}/login").text
        client.post(
            f"/c/{SLUG}/login",
            data={"csrf_token": csrf_from(page), "login": citizen_id, "password": PASSWORD},
        )
        lobby = client.get(f"/c/{SLUG}/rounds")
        start = client.post(
            f"/c/{SLUG}/rounds/{number}/start", data={"csrf_token": csrf_from(lobby.text)}
        )
        token = csrf_from(start.text)
        attempt_id = int(re.search(r"/attempts/(\d+)/", start.text).group(1))
        paper = self.db.get(Attempt, attempt_id).paper  # the key, as a well-read person knows it
        for pos, item in enumerate(paper):
            options = self.db.get(QuestionVersion, item["v"]).options
            good = {o["id"] for o in options if o["correct"]}
            shown = option_order_at(paper, pos)
            choice = next(k for k, o in enumerate(shown) if (o in good) == (pos < right))
            clock.freeze(at + timedelta(seconds=pace * (pos + 1)))
            saved = client.post(
                f"/attempts/{attempt_id}/answers/{pos}",
                data={f"q{pos}": str(choice), "seq": str(pos + 1)},
                headers={"HX-Request": "true", "X-CSRF-Token": token},
            )
            assert saved.status_code == 200
        done = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
        assert done.status_code == 200 and "Số câu đúng" in done.text

    def staff(self, username: str) -> str:
        self.client.cookies.clear()
        page = self.client.get("/staff/login").text
        self.client.post(
            "/staff/login",
            data={"csrf_token": csrf_from(page), "username": username, "password": STAFF_PASSWORD},
        )
        return csrf_from(self.client.get("/admin").text)

    def settle_ties(self, list_id: int, token: str, criterion: str, reason: str) -> str:
        """Order the tied lines as the page lists them (1 first) by ``criterion``."""
        page = self.client.get(f"/committee/{SLUG}/prizes/{list_id}").text
        tied = re.findall(r'name="line_id" value="(\d+)"', page)
        assert len(tied) == 2, page
        done = self.client.post(
            f"/committee/{SLUG}/prizes/{list_id}/ties",
            data={
                "csrf_token": token,
                "line_id": tied,
                **{f"order_{line}": str(n) for n, line in enumerate(tied, start=1)},
                "criterion": criterion,
                "reason_vi": reason,
                "reason_en": "Lots drawn in public",
            },
        )
        assert done.status_code == 200
        return done.text


def test_lang_son_2023_from_files_commands_and_pages(db, app, command, tmp_path):
    # --- the organiser: contest, rounds, units, bank, plans, excluded list, staff -------------
    rounds = "".join(
        ROUND.format(
            n=n,
            opens=f"{3 + 7 * (n - 1):02d}/07/2023 10:00",
            closes=f"{10 + 7 * (n - 1):02d}/07/2023 09:00",
        )
        for n in range(1, 5)
    )
    (tmp_path / "cuoc-thi.toml").write_text(
        CONTEST_FILE.format(slug=SLUG, rounds=rounds), encoding="utf-8"
    )
    (tmp_path / "don-vi.csv").write_text(units_file(), encoding="utf-8")
    bank = command(
        "bank", "import", str(BANKS / "lang-son-2023" / "tuan-4.csv"), "--bank", "ls-tuan-4"
    )
    assert bank["errors"] == []
    made = command("contests", "create", str(tmp_path / "cuoc-thi.toml"))
    assert (made["rounds"], made["units_created"]) == ([1, 2, 3, 4], 17)
    (tmp_path / "co-cau-giai.toml").write_text(plans_file(), encoding="utf-8")
    plans = command("plans", "import", "--contest", SLUG, str(tmp_path / "co-cau-giai.toml"))
    assert plans["changed"] == ["prize_plan", "collective_plan"]
    (tmp_path / "loai-tru.csv").write_text(
        "CCCD,Họ và tên,Ghi chú\n020085000901,Hoàng Thị Ban,Tổ thư ký\n", encoding="utf-8"
    )
    assert (
        command("plans", "excluded", "--contest", SLUG, str(tmp_path / "loai-tru.csv"))["people"]
        == 1
    )
    for user, role in (("uyvien", "committee_member"), ("truongban", "committee_chair")):
        command("users", "create", user, "--name", f"Cán bộ {user}", "--role", role,
                "--password", STAFF_PASSWORD)  # fmt: skip
    command("contests", "publish", SLUG)

    # --- 51 people register; 49 eligible, spread over the units as PEOPLE_PER_UNIT says -------
    homes = [u for u, n in PEOPLE_PER_UNIT.items() for _ in range(n)]
    homes = homes[::2] + homes[1::2]  # every pool in every round
    people = [(f"0200850{i:05d}", person_name(i), homes[i]) for i in range(49)]
    pages = Pages(app, db)
    clock.freeze(local(3, 10, 5))
    for i, (cid, name, unit) in enumerate(people):
        pages.register(cid, name, unit, f"0987{i:06d}")
    pages.register("020085000901", "Hoàng Thị Ban", AGENCIES[0], "0912000901")  # excluded staff
    twin_name = people[3][1]  # the same name and birth date: a second account
    pages.register("020085000777", twin_name, DISTRICTS[0], "0912000777")

    # --- four weeks of attempts ------------------------------------------------------------
    # Every entry is all right, so the pace ranks them. Round 1: people 0–12; rounds 2–4: 12
    # new people each. In round 2 person 5 (third prize in round 1) comes back and wins first.
    # In round 3 the 11th and 12th take exactly the same time at the same instant: tied for
    # the last consolation place.
    late = people[5]
    weeks = {1: people[:13], 2: people[13:25], 3: people[25:37], 4: people[37:49]}
    for n, group in weeks.items():
        opens = local(3 + 7 * (n - 1), 11)
        for k, (cid, _, _) in enumerate(group):
            slot, pace = (40, 20) if (n, k) in ((3, 10), (3, 11)) else (k, 10 + k)
            pages.take(n, cid, 3, opens + timedelta(hours=slot), pace)
        if n == 1:
            pages.take(1, "020085000901", 3, opens + timedelta(hours=60), 5)
            pages.take(1, "020085000777", 3, opens + timedelta(hours=61), 6)
        if n == 2:
            pages.take(2, late[0], 3, opens + timedelta(hours=70), 5)
    clock.freeze(local(31, 10))

    # --- round 1: screening, a tie, approval -----------------------------------------------
    closed = command("results", "close", "--contest", SLUG, "--round", "1")
    assert (closed["entrants"], closed["eligible_entrants"]) == (15, 12)
    token = pages.staff("uyvien")
    flags = pages.client.get(f"/committee/{SLUG}/rounds/1/flags").text
    assert "<strong>Thuộc danh sách không được dự thi</strong>" in flags
    assert flags.count("<strong>Có thể là tài khoản thứ hai</strong>") == 2
    ranked = command("results", "rank", "--contest", SLUG, "--round", "1")["entries"]
    ids = {e["name"]: [] for e in ranked}
    for e in ranked:
        ids[e["name"]].append(e["participant_id"])
    ban, twin, first_twin = ids["Hoàng Thị Ban"][0], max(ids[twin_name]), min(ids[twin_name])
    for chosen, eligible, reason in (
        ([ban, twin], "no", "Thành viên Tổ thư ký; tài khoản thứ hai"),
        ([first_twin], "yes", "Tài khoản chính, đã xác minh CCCD"),
    ):
        done = pages.client.post(
            f"/committee/{SLUG}/rounds/1/decisions",
            data={"csrf_token": token, "participant_ids": chosen, "eligible": eligible,
                  "reason": reason, "state": "all"},
        )  # fmt: skip
        assert f"Đã ghi {len(chosen)} quyết định." in done.text
    assert command("results", "close", "--contest", SLUG, "--round", "1")["eligible_entrants"] == 13

    week1 = command("prizes", "allocate", "--contest", SLUG, "--round", "1", "--by", "uyvien")
    assert week1["undecided"] == 0 and sum(week1["by_tier"].values()) == 11
    command("prizes", "propose", "--list", str(week1["id"]), "--by", "uyvien")
    refused = command("prizes", "approve", "--list", str(week1["id"]), "--by", "uyvien", ok=False)
    assert refused["errors"]  # a member does not approve
    approved = command("prizes", "approve", "--list", str(week1["id"]), "--by", "truongban")
    assert approved["status"] == "approved" and len(approved["lines"]) == 11
    late_id = ids[late[1]][0]
    assert (late_id, "third") in {(x["participant_id"], x["tier"]) for x in approved["lines"]}

    # --- rounds 2–4: the late higher prize corrects round 1; a tie in round 3 ---------------
    lists = {}
    for n in (2, 3, 4):
        command("results", "close", "--contest", SLUG, "--round", str(n))
        report = command(
            "prizes", "allocate", "--contest", SLUG, "--round", str(n), "--by", "uyvien"
        )
        if n == 3:
            assert report["undecided"] == 2 and sum(report["by_tier"].values()) == 10
            refused = command(
                "prizes", "propose", "--list", str(report["id"]), "--by", "uyvien", ok=False
            )
            assert refused["errors"][0]["message_en"] == "Ties still wait for a committee decision."
            page = pages.settle_ties(
                report["id"], token, "lots", "Bốc thăm công khai ngày 31/7/2023"
            )
            assert "Bốc thăm công khai ngày 31/7/2023" in page and "Đồng hạng chờ" not in page
            # Allocating again keeps the settled tie instead of bringing it back.
            report = command(
                "prizes", "allocate", "--contest", SLUG, "--round", "3", "--by", "uyvien"
            )
            assert sum(1 for x in report["lines"] if x["tie_decision_id"]) == 1
        assert report["undecided"] == 0 and sum(report["by_tier"].values()) == 11
        if n == 2:
            assert (report["lines"][0]["participant_id"], report["lines"][0]["tier"]) == (
                late_id,
                "first",
            )
            [correction] = report["corrections"]
            assert (correction["version"], correction["status"]) == (2, "proposed")
            fixed = command(
                "prizes", "approve", "--list", str(correction["id"]), "--by", "truongban"
            )
            assert late_id not in {x["participant_id"] for x in fixed["lines"]}
            assert len(fixed["lines"]) == 11
            lists[1] = fixed["id"]
        else:
            assert report["corrections"] == []
        command("prizes", "propose", "--list", str(report["id"]), "--by", "uyvien")
        command("prizes", "approve", "--list", str(report["id"]), "--by", "truongban")
        lists[n] = report["id"]

    # --- collectives: a tie on the last commune place, settled on the page ------------------
    units = command("prizes", "allocate", "--contest", SLUG, "--collective", "--by", "uyvien")
    waiting = [line for line in units["lines"] if line["tier"] == "undecided"]
    assert len(waiting) == 2 and len(units["lines"]) == 14
    page = pages.settle_ties(units["id"], token, "lots", "Bốc thăm giữa hai huyện bằng nhau")
    assert "Bốc thăm giữa hai huyện bằng nhau" in page
    command("prizes", "propose", "--list", str(units["id"]), "--by", "uyvien")
    pages.staff("truongban")
    chair_page = pages.client.get(f"/committee/{SLUG}/prizes/{units['id']}").text
    assert "Cán bộ uyvien" in chair_page and "Phê duyệt (Trưởng ban)" in chair_page
    collective = command("prizes", "approve", "--list", str(units["id"]), "--by", "truongban")
    lists["collective"] = collective["id"]

    # --- publish, and the end: 44 people, 13 collectives in two pools ----------------------
    final = [
        command("prizes", "publish", "--list", str(pl), "--by", "truongban")
        for pl in lists.values()
    ]
    individual = [line for pl in final[:-1] for line in pl["lines"]]
    winners = [line["participant_id"] for line in individual]
    assert (len(winners), len(set(winners))) == (44, 44)
    assert {ban, twin}.isdisjoint(winners)
    assert {line["rule"] for line in individual} == {"contest_highest"}
    codes = {f"Cơ quan số {n}": u for n, u in enumerate(AGENCIES, 1)}
    codes |= {f"Huyện số {n}": u for n, u in enumerate(DISTRICTS, 1)}
    collective_lines = final[-1]["lines"]
    assert len(collective_lines) == 13
    assert sum(1 for x in collective_lines if x["tie_decision_id"]) == 1

    page = pages.client.get(f"/committee/{SLUG}/prizes/{lists[2]}").text
    assert page.count("Mỗi người một giải trong cả cuộc thi, giữ giải cao nhất") == 11
    public = pages.client.get(f"/c/{SLUG}/results").text
    assert "Giải Nhất" in public

    annex = command("results", "annex", "--contest", SLUG, "--out", str(tmp_path / "phu-luc.xlsx"))
    assert annex["bytes"] > 0
    sheet = load_workbook(io.BytesIO((tmp_path / "phu-luc.xlsx").read_bytes())).active
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    notes = [str(r[7]) for r in rows if str(r[0] or "").isdigit() and r[7]]
    # Every individual line says which one-prize rule placed it; the settled tie says how.
    assert len(notes) == 44 and all(n.startswith("1 giải/cuộc thi") for n in notes)
    assert sum(1 for n in notes if n.endswith("đồng hạng: bốc thăm")) == 1
    by_pool = {"Khối cơ quan": 0, "Khối huyện, thành phố": 0}
    pool = None
    for r in rows:
        first = str(r[0] or "")
        pool = next((p for p in by_pool if first.startswith(("a) ", "b) ")) and p in first), pool)
        if first.isdigit() and r[1] in codes:
            by_pool[pool] += 1
    assert by_pool == {"Khối cơ quan": 7, "Khối huyện, thành phố": 6}
    assert any("Bốc thăm giữa hai huyện bằng nhau" in str(r[0]) for r in rows)
