"""Every route, walked with malformed values, answers 4xx with a message, never 500 (finding 8
of the trust review: '²' in saves, prediction, the no-JavaScript form and certificate forms;
more than 40 fields on the fast path; 20-digit ids; a sequence number ≥ 2⁶³; judge_id=0; a
missing certificate job id).

The routes come from the application's own OpenAPI description, so a new route is probed
without anyone listing it. Each route is called with each malformed value in each path
parameter (the others real), then with every declared field (and the fields the attempt page's
forms read by hand) set to each malformed value at once, by a participant with a running attempt
or by a member of staff holding every role.
"""

from __future__ import annotations

import re

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank, make_staff
from sqlalchemy import select

from contest.models import Attempt

BAD_VALUES = ["²", "1" * 20, "9" * 19, str(2**63), "0", "-1", "", "x" * 300, "1e3", "٣"]
# Fields some routes read from the raw form rather than declaring them.
READ_BY_HAND = ["q0", "q1", "page", "seq", "prediction", "judge_id", "job_id", "round_id"]
NOT_PROBED = re.compile(
    r"/logout$|/sessions/\{session_id\}/end$"
)  # would end the prober's own session
STAFF_ROLES = ["admin", "organiser", "committee_member", "committee_chair", "judge"]


@pytest.fixture
def prober(app, db):
    from fastapi.testclient import TestClient

    from contest.web.deps import get_db

    def _db():
        # As the real provider does with its own session: a refused statement is rolled back,
        # so the next request of the walk finds the connection usable.
        try:
            yield db
        except Exception:
            db.rollback()
            raise

    app.dependency_overrides[get_db] = _db

    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 4
    db.commit()
    make_round_bank(db, rnd, count=6)
    make_participant(db, contest)
    make_staff(db, "kiemthu", STAFF_ROLES)
    participant = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    page = participant.get(f"/c/{contest.slug}/login").text
    participant.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
    )
    lobby = participant.get(f"/c/{contest.slug}/rounds").text
    participant.post(f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby)})
    attempt = db.execute(select(Attempt)).scalar_one()
    staff = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    page = staff.get("/staff/login").text
    staff.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "kiemthu",
            "password": "correct-horse-battery",
        },
    )
    tokens = {
        "participant": csrf_from(participant.get(f"/attempts/{attempt.id}").text),
        "staff": csrf_from(staff.get("/admin").text),
    }
    real = {"slug": contest.slug, "number": "1", "attempt_id": str(attempt.id)}
    return {"participant": participant, "staff": staff}, tokens, real


def _who(path: str) -> str:
    return "participant" if path.startswith(("/attempts", "/c/", "/me")) else "staff"


def _fields(spec: dict, op: dict) -> list[str]:
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
    for content in (op.get("requestBody") or {}).get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        schema = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        names += list(schema.get("properties", {}))
    return names


def test_no_malformed_value_gets_a_500_on_any_route(app, prober, record_property):
    clients, tokens, real = prober
    spec = app.openapi()
    routes = inputs = 0
    failures = []
    for path, operations in spec["paths"].items():
        if NOT_PROBED.search(path):
            continue
        for method, op in operations.items():
            if method not in ("get", "post"):
                continue
            routes += 1
            who = _who(path)
            client = clients[who]
            headers = {"X-CSRF-Token": tokens[who]} if method == "post" else {}
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            fields = _fields(spec, op)
            calls = []
            for name in params:
                for bad in BAD_VALUES:
                    values = {p: real.get(p, "1") for p in params} | {name: bad}
                    calls.append((_fill(path, values), {}))
            if fields or method == "post":
                url = _fill(path, {p: real.get(p, "1") for p in params})
                for bad in BAD_VALUES:
                    sent = {f: bad for f in fields + (READ_BY_HAND if method == "post" else [])}
                    calls.append((url, sent))
            for url, sent in calls:
                inputs += 1
                if method == "get":
                    r = client.get(url, params=sent, headers=headers, follow_redirects=False)
                else:
                    r = client.post(
                        url,
                        data={**sent, "csrf_token": tokens[who]},
                        headers=headers,
                        follow_redirects=False,
                    )
                if r.status_code >= 500:
                    failures.append(f"{method.upper()} {url} {sent} → {r.status_code}")
    record_property("routes_probed", routes)
    record_property("inputs_tried", inputs)
    print(f"\nprobed {routes} routes with {inputs} malformed inputs")
    assert routes > 90 and not failures, "\n".join(failures[:40])


def _fill(path: str, values: dict[str, str]) -> str:
    from urllib.parse import quote

    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: quote(values[m.group(1)], safe=""), path)


def test_more_than_40_fields_on_the_fast_path_answers_like_the_router(client, db, prober):
    clients, tokens, real = prober
    participant = clients["participant"]
    url = f"/attempts/{real['attempt_id']}/answers/0"
    fields = {f"x{i}": "1" for i in range(60)} | {"q0": "1", "seq": "1"}
    r = participant.post(url, data=fields, headers={"X-CSRF-Token": tokens["participant"]})
    assert r.status_code == 200 and "Đã lưu" in r.text
    r = participant.post(
        url, data={"q0": "²", "seq": "1"}, headers={"X-CSRF-Token": tokens["participant"]}
    )
    assert r.status_code == 400 and "Phương án không hợp lệ" in r.text
