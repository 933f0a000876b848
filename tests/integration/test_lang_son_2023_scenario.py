"""A Lạng Sơn 2023-style contest run from files, the `contest` command and the pages.

A smaller faithful version of the full scenario (issue 14): the real unit tree and a real question
file from question_banks/lang-son-2023, a plans file and an excluded-staff file read by the
command line; participants register and take rounds through the pages; the screening page flags
an excluded staff member and a second account and the committee rules them out there; a tie at
the second-prize boundary blocks proposing until the committee orders it with a reason; a later
round's higher prize turns the approved first list into a correction version. Every count asserted
is read back from the product's own `--json` output or pages.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_from
from fastapi.testclient import TestClient
from sqlalchemy import select

from contest import clock
from contest import db as database
from contest.domain.paper import option_order_at
from contest.migrate import upgrade
from contest.models import Attempt, QuestionBank, QuestionVersion, Round, RoundBank
from contest.services import contests
from contest.services.context import SYSTEM

CONTEST = str(Path(sys.executable).with_name("contest"))
FILES = Path(__file__).resolve().parents[2] / "question_banks" / "lang-son-2023"
SLUG = "lang-son-2023-kich-ban"
PASSWORD = "mat-khau-bi-mat"
STAFF_PASSWORD = "correct-horse-battery"
PLANS = """
[prize_plan]
tie_rule = "committee"
one_prize_scope = "contest"

[[prize_plan.tiers]]
code = "first"
label_vi = "Giải Nhất"
label_en = "First prize"
quota = 1

[[prize_plan.tiers]]
code = "second"
label_vi = "Giải Nhì"
label_en = "Second prize"
quota = 2
"""


def run(env, *args: str, ok: bool = True) -> dict:
    done = subprocess.run(
        [CONTEST, *args, "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode == 0) is ok, (args, done.stdout, done.stderr)
    return json.loads(done.stdout)


@pytest.fixture
def world(tmp_path):
    """A migrated SQLite file shared by the `contest` processes and the in-process pages."""
    url = f"sqlite:///{tmp_path / 'contest.db'}"
    upgrade(url)
    engine = database.make_engine(url)
    before = database._engine
    database.use_engine(engine)
    env = {**os.environ, "CONTEST_DATABASE_URL": url, "CONTEST_SECRET_KEY": "scenario-key"}
    try:
        yield env, tmp_path
    finally:
        database.use_engine(before)
        engine.dispose()


def take(client, number: int, citizen_id: str, right: int, at, pace: int = 20) -> None:
    """Sign in and take round `number` through the pages, answering `right` questions right."""
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
    with database.session_factory()() as db:  # the key, as a well-read participant knows it
        paper = db.get(Attempt, attempt_id).paper
        choices = []
        for pos, item in enumerate(paper):
            options = db.get(QuestionVersion, item["v"]).options
            good = {o["id"] for o in options if o["correct"]}
            shown = option_order_at(paper, pos)  # the order the page shows, A = 0
            choices.append(next(k for k, o in enumerate(shown) if (o in good) == (pos < right)))
    for pos, choice in enumerate(choices):
        clock.freeze(at + timedelta(seconds=pace * (pos + 1)))
        saved = client.post(
            f"/attempts/{attempt_id}/answers/{pos}",
            data={f"q{pos}": str(choice), "seq": str(pos + 1)},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert saved.status_code == 200
    done = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert done.status_code == 200 and "Số câu đúng" in done.text


def test_a_lang_son_style_contest_from_files_commands_and_pages(world):
    env, tmp = world
    now = clock.now()
    # Four weekly rounds, all already run: the pages are driven at frozen times inside them,
    # the `contest` processes run at the real time, after every close.
    week = [now - timedelta(days=30) + timedelta(days=7 * n) for n in range(4)]
    with database.session_factory()() as db:
        spec = contests.ContestSpec(
            status="published",
            slug=SLUG,
            title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
            title_en="Digital transformation contest",
            organiser_vi="BAN TỔ CHỨC",
            place_vi="Lạng Sơn",
            rules_vi="",
            rules_en="",
            min_age=12,
            rounds=tuple(
                contests.RoundSpec(
                    n + 1, f"Tuần {n + 1}", f"Week {n + 1}", w, w + timedelta(days=6)
                )
                for n, w in enumerate(week)
            ),
        )
        contests.create_contest(db, SYSTEM, spec)

    # Files read by the command line.
    assert run(env, "units", "import", str(FILES / "units.csv"), "--contest", SLUG)["created"] == 29
    bank = run(env, "bank", "import", str(FILES / "tuan-4.csv"), "--bank", "tuan-4")
    assert bank["imported"] == 20 and bank["errors"] == []
    excluded = tmp / "loai-tru.csv"
    excluded.write_text("CCCD,Họ và tên\n020085000901,Hoàng Thị Ban\n", encoding="utf-8")
    assert run(env, "plans", "excluded", "--contest", SLUG, str(excluded))["people"] == 1
    plan_file = tmp / "co-cau-giai.toml"
    plan_file.write_text(PLANS, encoding="utf-8")
    assert run(env, "plans", "import", "--contest", SLUG, str(plan_file))["changed"] == [
        "prize_plan"
    ]
    for user, roles in (("uyvien", ["committee_member"]), ("truongban", ["committee_chair"])):
        roles_args = [a for r in roles for a in ("--role", r)]
        run(env, "users", "create", user, "--name", f"Cán bộ {user}", *roles_args,
            "--password", STAFF_PASSWORD)  # fmt: skip
    # The round's bank and paper size (the organiser's round settings, not part of this story).
    with database.session_factory()() as db:
        bank_id = db.execute(select(QuestionBank.id).where(QuestionBank.code == "tuan-4")).scalar()
        for rnd in db.execute(select(Round)).scalars():
            db.add(RoundBank(round_id=rnd.id, bank_id=bank_id))
            rnd.questions_per_attempt = 5
        db.commit()

    from contest.web.app import create_app

    # Round 1: five people, an excluded staff member and a second account of Nông Văn An. Of
    # the three with 4 right answers Hoàng Thị Bình is faster; the other two take the same time
    # and submit at the same instant, so they tie for the one second prize left.
    people = [
        ("020085000001", "Nông Văn An", "LS-CQ-STTTT", 5),
        ("020085000002", "Hoàng Thị Bình", "LS-CQ-SNV", 4),
        ("020085000003", "Lộc Văn Cường", "LS-CQ-STTTT", 4),
        ("020085000004", "Vi Thị Dung", "LS-CQ-SNV", 4),
        ("020085000005", "Lăng Văn Giang", "LS-TPLS-CHILANG", 2),
        ("020085000901", "Hoàng Thị Ban", "LS-CQ-SNV", 5),  # on the excluded-staff list
        ("020085000777", "Nông Văn An", "LS-TPLS-MAIPHA", 5),  # same name and birth date
    ]
    random.Random(2023).shuffle(people)
    with TestClient(create_app(), base_url="https://testserver") as client:
        for i, (citizen_id, name, unit, right) in enumerate(people):
            client.cookies.clear()
            form = client.get(f"/c/{SLUG}/register").text
            registered = client.post(
                f"/c/{SLUG}/register",
                data={
                    "csrf_token": csrf_from(form),
                    "full_name": name,
                    "date_of_birth": "02/01/1985",
                    "gender": "male",
                    "citizen_id": citizen_id,
                    "phone": f"09870000{i:02d}",
                    "unit_code": unit,
                    "password": PASSWORD,
                    "consent": "yes",
                },
            )
            assert registered.url.path.endswith("/registered")
            slot = 50 if right == 4 else i
            pace = 10 if name == "Hoàng Thị Bình" else 20
            take(client, 1, citizen_id, right, week[0] + timedelta(hours=slot), pace)
    clock.reset()

    closed = run(env, "results", "close", "--contest", SLUG, "--round", "1")
    assert (closed["entrants"], closed["eligible_entrants"]) == (7, 4)
    entries = run(env, "results", "rank", "--contest", SLUG, "--round", "1")["entries"]
    ids = {}
    for e in entries:
        ids.setdefault(e["name"], []).append(e["participant_id"])
    ban, [an, an_again] = ids["Hoàng Thị Ban"][0], sorted(ids["Nông Văn An"])

    with TestClient(create_app(), base_url="https://testserver") as client:
        page = client.get("/staff/login").text
        client.post(
            "/staff/login",
            data={"csrf_token": csrf_from(page), "username": "uyvien", "password": STAFF_PASSWORD},
        )
        token = csrf_from(client.get("/admin").text)
        flags = client.get(f"/committee/{SLUG}/rounds/1/flags").text
        assert "<strong>Thuộc danh sách không được dự thi</strong>" in flags
        assert flags.count("<strong>Có thể là tài khoản thứ hai</strong>") == 2
        for chosen, eligible, reason in (
            ([ban, an_again], "no", "Thành viên Tổ thư ký; tài khoản thứ hai của Nông Văn An"),
            ([an], "yes", "Tài khoản chính, đã xác minh CCCD"),
        ):
            done = client.post(
                f"/committee/{SLUG}/rounds/1/decisions",
                data={
                    "csrf_token": token,
                    "participant_ids": chosen,
                    "eligible": eligible,
                    "reason": reason,
                    "state": "all",
                },
            )
            assert f"Đã ghi {len(chosen)} quyết định." in done.text
        closed = run(env, "results", "close", "--contest", SLUG, "--round", "1")
        assert closed["eligible_entrants"] == 5

        draft = run(env, "prizes", "allocate", "--contest", SLUG, "--round", "1", "--by", "uyvien")
        assert draft["by_tier"] == {"first": 1, "second": 1} and draft["undecided"] == 2
        assert {line["participant_id"] for line in draft["lines"]}.isdisjoint({ban, an_again})
        list_id = str(draft["id"])
        refused = run(env, "prizes", "propose", "--list", list_id, "--by", "uyvien", ok=False)
        assert refused["errors"][0]["message_en"] == "Ties still wait for a committee decision."

        page = client.get(f"/committee/{SLUG}/prizes/{list_id}").text
        assert page.count("Đồng hạng tại ranh giới giải") == 2
        tied = re.findall(r'name="line_id" value="(\d+)"', page)
        assert len(tied) == 2
        # The committee draws lots: the decision is stored; one gets the second prize.
        ordered = client.post(
            f"/committee/{SLUG}/prizes/{list_id}/ties",
            data={
                "csrf_token": token,
                "line_id": tied,
                f"order_{tied[0]}": "1",
                f"order_{tied[1]}": "2",
                "criterion": "lots",
                "reason_vi": "Bốc thăm ngày 20/11",
            },
        )
        assert ordered.status_code == 200 and "Bốc thăm ngày 20/11" in ordered.text
        run(env, "prizes", "propose", "--list", list_id, "--by", "uyvien")
        approved = run(env, "prizes", "approve", "--list", list_id, "--by", "truongban")
        assert approved["status"] == "approved" and len(approved["lines"]) == 3
        # Round 2: Hoàng Thị Bình, second in round 1, now wins first.
        bình = ids["Hoàng Thị Bình"][0]
        take(client, 2, "020085000002", 5, week[1] + timedelta(hours=1))
        take(client, 2, "020085000005", 3, week[1] + timedelta(hours=2))
        clock.reset()
        assert run(env, "results", "close", "--contest", SLUG, "--round", "2")["entrants"] == 2
        second = run(env, "prizes", "allocate", "--contest", SLUG, "--round", "2", "--by", "uyvien")
        assert [(x["participant_id"], x["tier"]) for x in second["lines"]][0] == (bình, "first")
        [correction] = second["corrections"]
        assert (correction["round_id"], correction["version"], correction["status"]) == (
            approved["round_id"],
            2,
            "proposed",
        )
    run(env, "prizes", "propose", "--list", str(second["id"]), "--by", "uyvien")
    final = [
        run(env, "prizes", "approve", "--list", str(pl), "--by", "truongban")
        for pl in (correction["id"], second["id"])
    ]
    assert bình not in {x["participant_id"] for x in final[0]["lines"]}
    awarded = [x["participant_id"] for pl in final for x in pl["lines"]]
    # One prize per person across the contest: the correction handed Bình's round-1 place to
    # the tied entry the committee had withdrawn, the next in line.
    assert [pl["status"] for pl in final] == ["approved", "approved"]
    assert (len(awarded), len(set(awarded))) == (5, 5)
    assert {ban, an_again}.isdisjoint(awarded)
