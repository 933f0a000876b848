"""Organiser pages: bank upload → preview → confirm, round set-up and its locks."""

from datetime import timedelta

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from sqlalchemy import func, select

from contest import clock
from contest.exporters import export_xlsx
from contest.importers import Location, OptionDraft, QuestionDraft
from contest.models import Attempt, Contest, Question, QuestionBank, Round
from contest.services import banks
from contest.services.context import SYSTEM


def _sign_in(client, db, username="org", roles=("organiser",)):
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
    return csrf_from(client.get("/organiser/banks").text)


def _drafts(n: int, topic: str = "Chuyển đổi số") -> list[QuestionDraft]:
    return [
        QuestionDraft(
            f"Câu hỏi {i} về {topic}?",
            (OptionDraft(f"Đúng {i}", True), OptionDraft(f"Sai {i}", False)),
            Location("x"),
            topic=topic,
            difficulty="easy",
        )
        for i in range(n)
    ]


def test_upload_preview_shows_errors_with_rows_in_vietnamese_then_a_good_file_is_confirmed(
    client, db
):
    token = _sign_in(client, db)
    bad = "Câu hỏi,Phương án A,Phương án B,Đáp án đúng\nA?,x,y,A\nB?,x,y,E\n".encode()
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "web"},
        files=[("files", ("loi.csv", bad, "text/csv"))],
    )
    assert response.status_code == 422
    assert (
        "Dòng 3" in response.text
        and "Đáp án đúng" in response.text
        and "Xác nhận nhập" not in response.text
    )
    good = export_xlsx(_drafts(3))
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "web", "title": "Tuần web"},
        files=[("files", ("tot.xlsx", good, "application/octet-stream"))],
    )
    assert (
        response.status_code == 200
        and "Xác nhận nhập" in response.text
        and "Đúng 2" in response.text
    )
    assert (
        db.execute(
            select(func.count()).select_from(QuestionBank).where(QuestionBank.code == "web")
        ).scalar_one()
        == 0
    )
    upload = response.text.split('name="token" value="')[1].split('"')[0]
    response = client.post(
        "/organiser/banks/confirm",
        data={"csrf_token": token, "token": upload},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith(
        "/organiser/banks/web"
    )
    bank = banks.get_bank(db, "web")
    assert bank.title == "Tuần web"
    assert (
        db.execute(
            select(func.count()).select_from(Question).where(Question.bank_id == bank.id)
        ).scalar_one()
        == 3
    )
    page = client.get("/organiser/banks/web").text
    assert "Câu hỏi 1 về Chuyển đổi số?" in page and "export.xlsx" in page
    again = client.post("/organiser/banks/confirm", data={"csrf_token": token, "token": upload})
    assert again.status_code == 422


def _round_form(token: str, **overrides: str) -> dict:
    form = {
        "csrf_token": token,
        "current": "1",
        "number": "1",
        "title_vi": "Tuần 1",
        "title_en": "Week 1",
        "opens": "03/07/2023 10:00",
        "closes": "10/07/2023 09:00",
        "banks": "vong",
        "banks_sent": "yes",
        "questions_per_attempt": "5",
        "shuffle_questions": "yes",
        "shuffle_options": "yes",
        "time_limit_minutes": "15",
        "max_attempts": "3",
        "counting": "best",
        "grace_seconds": "30",
        "prediction_vi": "Bao nhiêu người đúng hết?",
        "prediction_en": "How many all right?",
        "prediction_target": "all_correct",
        "prediction_required": "yes",
        "show_score": "on_submit",
        "show_key": "after_close",
        "quota_count": ["", ""],
        "quota_topic": ["", ""],
        "quota_difficulty": ["", ""],
    }
    form.update(overrides)
    return form


def test_round_edit_stores_utc_and_refuses_an_impossible_quota(client, db):
    contest = make_contest(db)
    banks.import_questions(
        db, SYSTEM, "vong", [("a.xlsx", export_xlsx(_drafts(6) + _drafts(2, "Kinh tế số")))]
    )
    token = _sign_in(client, db)
    form = client.get(f"/organiser/contests/{contest.slug}/rounds/1").text
    assert "vong" in form
    response = client.post(
        f"/organiser/contests/{contest.slug}/rounds",
        data=_round_form(token, quota_count=["3", ""], quota_topic=["Kinh tế số", ""]),
    )
    assert response.status_code == 422
    assert "Ngân hàng chỉ có 2 câu" in response.text
    response = client.post(
        f"/organiser/contests/{contest.slug}/rounds",
        data=_round_form(token, quota_count=["2", ""], quota_topic=["Kinh tế số", ""]),
        follow_redirects=False,
    )
    assert response.status_code == 303
    rnd = db.execute(
        select(Round).where(Round.contest_id == contest.id, Round.number == 1)
    ).scalar_one()
    assert (
        rnd.opens_at.hour == 3
        and rnd.max_attempts == 3
        and rnd.draw_quotas == [{"topic": "Kinh tế số", "difficulty": None, "count": 2}]
    )


def test_show_key_on_submit_with_several_attempts_is_refused(client, db):
    contest = make_contest(db)
    banks.import_questions(db, SYSTEM, "vong", [("a.xlsx", export_xlsx(_drafts(6)))])
    token = _sign_in(client, db)
    response = client.post(
        f"/organiser/contests/{contest.slug}/rounds", data=_round_form(token, show_key="on_submit")
    )
    assert response.status_code == 422 and "nhiều lượt" in response.text


def test_round_scoring_settings_are_locked_once_an_attempt_exists(client, db):
    contest = make_contest(db)
    banks.import_questions(db, SYSTEM, "vong", [("a.xlsx", export_xlsx(_drafts(6)))])
    token = _sign_in(client, db)
    assert (
        client.post(
            f"/organiser/contests/{contest.slug}/rounds",
            data=_round_form(token),
            follow_redirects=False,
        ).status_code
        == 303
    )
    rnd = db.execute(
        select(Round).where(Round.contest_id == contest.id, Round.number == 1)
    ).scalar_one()
    participant = make_participant(db, contest)
    now = clock.now()
    db.add(
        Attempt(
            round_id=rnd.id,
            participant_id=participant.id,
            number=1,
            started_at=now,
            deadline_at=now + timedelta(minutes=15),
            paper=[],
            question_count=5,
        )
    )
    db.commit()
    page = client.get(f"/organiser/contests/{contest.slug}/rounds/1").text
    assert "đã có lượt thi" in page and 'name="questions_per_attempt"' not in page
    refused = client.post(
        f"/organiser/contests/{contest.slug}/rounds",
        data=_round_form(token, questions_per_attempt="6"),
    )
    assert refused.status_code == 422 and "không thể đổi" in refused.text
    assert rnd.questions_per_attempt == 5
    fine = client.post(
        f"/organiser/contests/{contest.slug}/rounds",
        data={
            k: v
            for k, v in _round_form(token, title_en="Week one").items()
            if k
            not in (
                "questions_per_attempt",
                "max_attempts",
                "counting",
                "time_limit_minutes",
                "banks",
                "banks_sent",
                "quota_count",
                "quota_topic",
                "quota_difficulty",
                "show_key",
                "prediction_target",
            )
        },
        follow_redirects=False,
    )
    assert fine.status_code == 303
    db.refresh(rnd)
    assert rnd.title_en == "Week one" and rnd.questions_per_attempt == 5


def test_committee_may_read_banks_but_not_upload(client, db):
    token = _sign_in(client, db, "giamkhao1", ("committee_member",))
    assert client.get("/organiser/banks").status_code == 200
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "x"},
        files=[("files", ("a.csv", b"x", "text/csv"))],
    )
    assert response.status_code == 403


def test_staged_uploads_wait_in_the_file_store_for_their_owner_on_any_host(client, db):
    """Issue 13, finding 10: staged uploads sat in the machine's shared temporary folder; issue
    16: then in a folder of one host. Now in the file store every host reads, for the owner only."""
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from sqlalchemy import select

    from contest import clock, storage
    from contest.domain.errors import ContestError
    from contest.models import StaffUser
    from contest.services import staging

    token = _sign_in(client, db)
    workbook = export_xlsx(_drafts(2))
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "rieng"},
        files=[("files", ("tot.xlsx", workbook, "application/octet-stream"))],
    )
    upload = response.text.split('name="token" value="')[1].split('"')[0]
    assert not (Path(tempfile.gettempdir()) / "contest-bank-uploads" / upload).exists()
    store = storage.get_store()
    assert store.read_bytes(db, f"staged/{upload}/0") == workbook
    other = _sign_in(client, db, "org2")
    response = client.post("/organiser/banks/confirm", data={"csrf_token": other, "token": upload})
    assert response.status_code == 422  # another organiser cannot take it
    org = db.execute(select(StaffUser.id).where(StaffUser.username == "org")).scalar_one()
    assert staging.take(db, upload, f"staff:{org}")[0]["bank"] == "rieng"
    # An hour later the batch has expired, and the sweep (next upload, housekeeping) removes it.
    clock.shift(timedelta(hours=1, seconds=1))
    with pytest.raises(ContestError):
        staging.take(db, upload, f"staff:{org}")
    assert staging.sweep(db) == 2
    assert store.info(db, f"staged/{upload}/0") is None


def test_organiser_creates_a_contest_and_a_bad_form_names_every_field(client, db):
    token = _sign_in(client, db)
    form = {"csrf_token": token, "slug": "x", "title_vi": "", "title_en": "Contest", "min_age": "0"}
    refused = client.post("/organiser/contests", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "Mã cuộc thi gồm 3–80 ký tự" in refused.text and "không được để trống" in refused.text
    form.update(slug="thi-moi", title_vi="Cuộc thi mới", cheating_voids_all="yes")
    made = client.post("/organiser/contests", data=form, follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"] == "/organiser/contests/thi-moi/rounds"
    contest = db.execute(select(Contest).where(Contest.slug == "thi-moi")).scalar_one()
    assert contest.title_vi == "Cuộc thi mới" and contest.cheating_voids_all


def test_a_contest_file_uploaded_on_the_page_makes_the_contest_and_downloads_again(client, db):
    from pathlib import Path

    from factories import make_bank

    demo = Path(__file__).resolve().parents[3] / "question_banks" / "lang-son-2023"
    for n in range(1, 5):
        make_bank(db, f"ls2023-tuan-{n}", questions=12)
    token = _sign_in(client, db)
    toml = (demo / "contest.toml").read_bytes()
    refused = client.post(
        "/organiser/contests/import",
        data={"csrf_token": token},
        files={"file": ("contest.toml", toml, "application/toml")},
    )
    # The file names its unit tree: the page asks for it rather than making a contest without.
    assert refused.status_code == 422 and "units.csv" in refused.text
    bad = toml.replace(b'closes_local = "2023-07-10T09:00"', b'closes_local = "2023-07-01T09:00"')
    refused = client.post(
        "/organiser/contests/import",
        data={"csrf_token": token},
        files={
            "file": ("contest.toml", bad, "application/toml"),
            "units": ("units.csv", (demo / "units.csv").read_bytes(), "text/csv"),
        },
    )
    assert (
        refused.status_code == 422
        and "Đợt 1: Thời điểm đóng phải sau thời điểm mở." in refused.text
    )
    assert db.execute(select(Contest).where(Contest.slug == "lang-son-2023")).first() is None
    made = client.post(
        "/organiser/contests/import",
        data={"csrf_token": token},
        files={
            "file": ("contest.toml", toml, "application/toml"),
            "units": ("units.csv", (demo / "units.csv").read_bytes(), "text/csv"),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/organiser/contests/lang-son-2023/rounds"
    rounds_page = client.get(made.headers["location"]).text
    assert "Tuần 4" in rounds_page
    listed = client.get("/organiser/contests").text
    assert "/organiser/contests/lang-son-2023/contest.toml" in listed
    file = client.get("/organiser/contests/lang-son-2023/contest.toml")
    assert file.status_code == 200 and 'opens = "24/07/2023 10:00"' in file.text
    # A committee member reads the file but may not create a contest from one.
    client.cookies.clear()
    token = _sign_in(client, db, "uv-file", ("committee_member",))
    denied = client.post(
        "/organiser/contests/import",
        data={"csrf_token": token},
        files={"file": ("contest.toml", toml, "application/toml")},
    )
    assert denied.status_code == 403


def test_a_large_confirmed_import_is_done_by_a_worker_and_its_job_page_tells(
    client, db, monkeypatch
):
    from contest.services import bank_imports, jobs

    monkeypatch.setattr(bank_imports, "INLINE_MAX", 3)  # as if 3 questions were a large bank
    token = _sign_in(client, db)
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "lon", "title": "Ngân hàng lớn"},
        files=[("files", ("lon.xlsx", export_xlsx(_drafts(5)), "application/octet-stream"))],
    )
    upload = response.text.split('name="token" value="')[1].split('"')[0]
    ran: list[int] = []
    monkeypatch.setattr(jobs, "dispatcher", ran.append)  # queued, not yet run
    response = client.post(
        "/organiser/banks/confirm",
        data={"csrf_token": token, "token": upload},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/admin/jobs/{ran[0]}"
    assert banks.find_bank(db, "lon") is None  # nothing imported inside the request

    job = jobs.run(db, ran[0])
    assert job.status == "done", job.message_en
    page = client.get(response.headers["location"]).text
    assert "Đã nhập 5 câu hỏi vào ngân hàng lon" in page
    bank = banks.get_bank(db, "lon")
    assert bank.title == "Ngân hàng lớn"
    count = select(func.count()).select_from(Question).where(Question.bank_id == bank.id)
    assert db.execute(count).scalar_one() == 5
    # The staged upload is spent: a second run imports nothing twice.
    again = client.post("/organiser/banks/confirm", data={"csrf_token": token, "token": upload})
    assert again.status_code == 422
    assert db.execute(count).scalar_one() == 5
