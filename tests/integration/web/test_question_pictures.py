"""Pictures on the attempt page, the key page and the bank page, served at content-hashed URLs."""

import re

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_round_bank, make_staff
from picture_files import sign
from sqlalchemy import func, select

from contest.domain.errors import ContestError
from contest.models import Attempt, AuditEntry, Picture, Question, QuestionVersion, StoredFile
from contest.services import banks, pictures
from contest.services.context import SYSTEM

PICTURE_TAG = re.compile(r"<picture class=\"pic\">.*?</picture>")


def _sign_in(client, contest):
    page = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(page),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
    )


@pytest.fixture
def pictured_round(db):
    """A round of 4 questions, every one with a road sign in its stem and pictures on option 2."""
    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 4
    rnd.prediction_vi = ""
    db.commit()
    bank = make_round_bank(db, rnd, count=4)
    questions = db.execute(select(Question).where(Question.bank_id == bank.id)).scalars().all()
    for q in questions:
        banks.edit_picture(
            db,
            SYSTEM,
            q.id,
            place="stem",
            data=sign(size=(1200, 800)),
            alt="Biển cấm đi ngược chiều",
        )
        banks.edit_picture(
            db, SYSTEM, q.id, place="option_2", data=sign("blue", (300, 200)), alt="Biển xanh"
        )
    make_participant(db, contest)
    return contest, rnd, bank


def test_a_picture_edit_is_a_new_version_stored_once_and_audited(db, pictured_round):
    _, _, bank = pictured_round
    # Four questions share the same two pictures: two pictures stored, three files each at most.
    assert db.execute(select(func.count()).select_from(Picture)).scalar_one() == 2
    keys = set(
        db.execute(select(StoredFile.key).where(StoredFile.key.startswith("pictures/"))).scalars()
    )
    assert len(keys) in (4, 5)  # webp + jpg each, and a 2x copy of the large one
    q = db.execute(select(Question).where(Question.bank_id == bank.id)).scalars().first()
    version = db.get(QuestionVersion, q.current_version_id)
    assert version.version == 3 and version.pictures[0]["alt"] == "Biển cấm đi ngược chiều"
    assert version.pictures[0]["x2"] is True
    option = next(o for o in version.options if o["id"] == 2)
    assert option["pictures"][0]["alt"] == "Biển xanh"
    v1 = db.execute(
        select(QuestionVersion).where(
            QuestionVersion.question_id == q.id, QuestionVersion.version == 1
        )
    ).scalar_one()
    assert v1.pictures is None
    actions = (
        db.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(q.id)))
        .scalars()
        .all()
    )
    assert actions.count("bank.question_picture") == 2


def test_a_picture_needs_alt_text_and_a_bad_file_is_refused(db, pictured_round):
    _, _, bank = pictured_round
    q = db.execute(select(Question).where(Question.bank_id == bank.id)).scalars().first()
    before = q.current_version_id
    with pytest.raises(ContestError) as no_alt:
        banks.edit_picture(db, SYSTEM, q.id, place="stem", data=sign(), alt="  ")
    assert "alt" in no_alt.value.message_en
    with pytest.raises(ContestError) as bad:
        banks.edit_picture(db, SYSTEM, q.id, place="stem", data=b"GIF89a broken", alt="Hình")
    assert "damaged" in bad.value.message_en or "cannot be read" in bad.value.message_en
    assert db.get(Question, q.id).current_version_id == before


def test_the_attempt_page_shows_sized_lazy_pictures_and_no_key(client, db, pictured_round):
    contest, rnd, _ = pictured_round
    _sign_in(client, contest)
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    tags = PICTURE_TAG.findall(page)
    assert len(tags) == 8, "a stem picture and an option picture per question"
    stem_tag = next(t for t in tags if "Biển cấm" in t)
    assert 'width="480" height="320"' in stem_tag and 'loading="lazy"' in stem_tag
    assert ".2x.webp 2x" in stem_tag and 'type="image/webp"' in stem_tag
    assert 'alt="Biển xanh"' in page
    low = page.lower()
    assert '"correct"' not in low and "✓" not in page and 'class="right' not in low
    attempt = db.execute(select(Attempt)).scalar_one()
    assert attempt.question_count == 4

    url = re.search(r'src="(/pictures/[0-9a-f]{64}\.jpg)"', stem_tag).group(1)
    webp = re.search(r'srcset="(/pictures/[0-9a-f]{64}\.webp)', stem_tag).group(1)
    for path, media in ((url, "image/jpeg"), (webp, "image/webp")):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == media
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(response.content) <= 30 * 1024
        again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
    assert client.get("/pictures/" + "0" * 64 + ".webp").status_code == 404
    assert client.get("/pictures/../../etc/passwd").status_code == 404


def test_the_key_page_on_submit_shows_the_pictures(client, db, pictured_round):
    contest, rnd, _ = pictured_round
    rnd.show_key = "on_submit"
    db.commit()
    _sign_in(client, contest)
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": csrf_from(page)})
    result = client.get(f"/attempts/{attempt.id}")
    assert result.status_code == 200 and "✓" in result.text
    assert len(PICTURE_TAG.findall(result.text)) == 8


def test_organisers_add_replace_describe_and_remove_pictures_on_the_question_page(
    client, db, pictured_round
):
    _, _, bank = pictured_round
    make_staff(db, "org", ["organiser"])
    q = db.execute(select(Question).where(Question.bank_id == bank.id)).scalars().first()
    login = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(login),
            "username": "org",
            "password": "correct-horse-battery",
        },
    )
    page = client.get(f"/organiser/questions/{q.id}")
    assert page.status_code == 200 and "Biển cấm đi ngược chiều" in page.text
    token = csrf_from(page.text)
    added = client.post(
        f"/organiser/questions/{q.id}/pictures",
        data={"csrf_token": token, "place": "option_3", "alt": "Biển vàng"},
        files={"file": ("bien.png", sign("yellow"), "image/png")},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    version = db.get(QuestionVersion, db.get(Question, q.id).current_version_id)
    assert next(o for o in version.options if o["id"] == 3)["pictures"][0]["alt"] == "Biển vàng"
    described = client.post(
        f"/organiser/questions/{q.id}/pictures",
        data={"csrf_token": token, "place": "stem", "index": "0", "alt": "Biển báo cấm"},
        follow_redirects=False,
    )
    assert described.status_code == 303
    removed = client.post(
        f"/organiser/questions/{q.id}/pictures",
        data={"csrf_token": token, "place": "option_2", "index": "0", "remove": "1"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    version = db.get(QuestionVersion, db.get(Question, q.id).current_version_id)
    assert version.pictures[0]["alt"] == "Biển báo cấm"
    assert "pictures" not in next(o for o in version.options if o["id"] == 2)
    refused = client.post(
        f"/organiser/questions/{q.id}/pictures",
        data={"csrf_token": token, "place": "stem", "alt": "x"},
        files={"file": ("bad.png", b"nope", "image/png")},
    )
    assert refused.status_code == 422 and "Hình" in refused.text
    no_csrf = client.post(
        f"/organiser/questions/{q.id}/pictures", data={"place": "stem", "index": "0", "remove": "1"}
    )
    assert no_csrf.status_code in (400, 403)
    pictures.clear_cache()


def test_the_import_preview_shows_the_pictures_and_the_bank_page_asks_for_missing_alt(client, db):
    from picture_files import moodle_xml, sign

    make_staff(db, "org2", ["organiser"])
    login = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(login),
            "username": "org2",
            "password": "correct-horse-battery",
        },
    )
    data = moodle_xml(
        [
            {
                "stem": "Biển này?",
                "picture": sign(),
                "alt": "",
                "options": [("Cấm", 100, None, ""), ("Mở", 0, None, "")],
            }
        ]
    )
    token = csrf_from(client.get("/organiser/banks").text)
    preview = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "bien-bao"},
        files={"files": ("bien.xml", data, "application/xml")},
    )
    assert preview.status_code == 200
    assert 'src="data:image/webp;base64,' in preview.text and "chưa có mô tả" in preview.text
    confirm = client.post(
        "/organiser/banks/confirm",
        data={
            "csrf_token": csrf_from(preview.text),
            "token": re.search(r'name="token" value="([^"]+)"', preview.text).group(1),
        },
    )
    assert confirm.status_code == 200
    bank_page = client.get("/organiser/banks/bien-bao").text
    assert "Có hình chưa có mô tả" in bank_page and '<picture class="pic">' in bank_page


def test_item_statistics_show_pictures_and_a_key_correction_keeps_them(db, pictured_round):
    from factories import make_final_attempt

    from contest.services import statistics

    contest, rnd, bank = pictured_round
    versions = [
        db.get(QuestionVersion, q.current_version_id)
        for q in db.execute(
            select(Question).where(Question.bank_id == bank.id).order_by(Question.position)
        ).scalars()
    ]
    from contest.models import Participant

    someone = db.execute(select(Participant)).scalars().first()
    make_final_attempt(db, rnd, someone, versions, correct=2)
    stats = statistics.question_statistics(db, rnd)
    assert all(s.pictures and s.pictures[0].alt == "Biển cấm đi ngược chiều" for s in stats)
    option = next(o for o in stats[0].options if o.option_id == "2")
    assert option.pictures[0].alt == "Biển xanh"
    statistics.correct_key(db, SYSTEM, rnd, versions[0].id, ["1", "2"], "Hai biển đều đúng")
    fixed = db.get(QuestionVersion, db.get(Question, versions[0].question_id).current_version_id)
    assert fixed.id != versions[0].id and fixed.pictures == versions[0].pictures
    assert next(o for o in fixed.options if o["id"] == 2)["pictures"][0]["alt"] == "Biển xanh"
