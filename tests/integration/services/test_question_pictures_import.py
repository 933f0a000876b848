"""Banks with pictures from every format: imported, stored once, drawn onto papers."""

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant
from picture_files import sample_bank
from sqlalchemy import func, select

from contest.domain.paper import read_options, read_pictures
from contest.importers import parse_file
from contest.models import Attempt, Picture, Question, QuestionBank, QuestionVersion, RoundBank
from contest.services import banks
from contest.services.context import SYSTEM

FORMATS = ("xlsx", "docx", "xml", "gift")


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_parses_the_same_pictures(fmt):
    name, data = sample_bank(fmt)
    result = parse_file(data, name)
    assert not result.errors, result.errors
    first, second = result.questions
    assert [p.alt for p in first.pictures] == ["Biển tròn đỏ"]
    assert [[p.alt for p in o.pictures] for o in second.options] == [["Biển đỏ"], ["Biển xanh"]]
    assert [o.correct for o in second.options] == [True, False]


def test_the_same_picture_from_four_formats_is_stored_once(db):
    shas = set()
    for fmt in FORMATS:
        name, data = sample_bank(fmt)
        (picture,) = parse_file(data, name).questions[0].pictures
        shas.add(picture.picture.sha256)
    assert len(shas) == 1, "one source picture gives one stored picture whatever the format"
    report = banks.import_questions(db, SYSTEM, "bien-xlsx", [sample_bank("xlsx")])
    assert report.ok and report.imported == 2 and report.pictures == 3
    report = banks.import_questions(db, SYSTEM, "bien-docx", [sample_bank("docx")])
    assert report.ok and report.imported == 2 and report.pictures == 0
    assert db.execute(select(func.count()).select_from(Picture)).scalar_one() == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_imported_bank_keeps_its_pictures_and_a_paper_shows_them(client, db, fmt):
    report = banks.import_questions(db, SYSTEM, f"bien-{fmt}", [sample_bank(fmt)])
    assert report.ok, report.errors
    bank = db.execute(select(QuestionBank).where(QuestionBank.code == f"bien-{fmt}")).scalar_one()
    versions = (
        db.execute(
            select(QuestionVersion)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(Question.bank_id == bank.id)
            .order_by(Question.position)
        )
        .scalars()
        .all()
    )
    assert [p.alt for p in read_pictures(versions[0].pictures)] == ["Biển tròn đỏ"]
    options = read_options(versions[1].options)
    assert [o.pictures[0].alt for o in options] == ["Biển đỏ", "Biển xanh"]
    assert options[0].correct and not options[1].correct

    contest = make_contest(db)
    rnd = contest.rounds[0]
    rnd.questions_per_attempt = 2
    db.add(RoundBank(round_id=rnd.id, bank_id=bank.id))
    db.commit()
    make_participant(db, contest)
    login = client.get(f"/c/{contest.slug}/login").text
    client.post(
        f"/c/{contest.slug}/login",
        data={
            "csrf_token": csrf_from(login),
            "login": "020190012345",
            "password": "mat-khau-bi-mat",
        },
    )
    lobby = client.get(f"/c/{contest.slug}/rounds")
    page = client.post(
        f"/c/{contest.slug}/rounds/1/start", data={"csrf_token": csrf_from(lobby.text)}
    ).text
    attempt = db.execute(select(Attempt)).scalar_one()
    assert {item["v"] for item in attempt.paper} == {v.id for v in versions}
    assert page.count('<picture class="pic">') == 3
    for alt in ("Biển tròn đỏ", "Biển đỏ", "Biển xanh"):
        assert f'alt="{alt}"' in page


def _pixels_close(a, b) -> bool:
    import io

    from PIL import Image, ImageChops, ImageStat

    one = Image.open(io.BytesIO(a)).convert("RGB")
    two = Image.open(io.BytesIO(b)).convert("RGB").resize(one.size)
    return max(ImageStat.Stat(ImageChops.difference(one, two)).mean) < 8


@pytest.mark.parametrize("fmt", ["xlsx", "gift"])
def test_an_exported_bank_imports_back_with_the_same_questions_pictures_and_keys(db, fmt):
    banks.import_questions(db, SYSTEM, "goc", [sample_bank("docx")])
    exported = banks.export_bank(db, "goc", fmt)
    name = "goc.xlsx" if fmt == "xlsx" else "goc.gift"
    again = parse_file(exported, name)
    assert not again.errors, again.errors
    original = banks.bank_drafts(
        db,
        db.execute(select(QuestionBank).where(QuestionBank.code == "goc")).scalar_one(),
        with_pictures=True,
    )
    assert len(again.questions) == len(original) == 2
    for before, after in zip(original, again.questions, strict=True):
        assert [(o.text, o.correct) for o in before.options] == [
            (o.text, o.correct) for o in after.options
        ]
        assert "Hình:" not in after.stem and after.stem == before.stem
        pairs = list(zip(before.all_pictures, after.all_pictures, strict=True))
        assert pairs
        for old, new in pairs:
            assert new.alt == old.alt
            assert (new.picture.width, new.picture.height) == (
                old.picture.width,
                old.picture.height,
            )
            assert _pixels_close(old.picture.webp, new.picture.webp)
    report = banks.import_questions(db, SYSTEM, "ban-sao", [(name, exported)])
    assert report.ok and report.imported == 2


def test_the_bank_command_reports_pictures_and_missing_alt_text(tmp_path, monkeypatch):
    import json

    from picture_files import moodle_xml, sign
    from typer.testing import CliRunner

    from contest import db as database
    from contest.cli import app
    from contest.config import get_settings
    from contest.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("CONTEST_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = database.make_engine(url)
    database.use_engine(engine)
    try:
        bank = tmp_path / "bien.xml"
        bank.write_bytes(
            moodle_xml(
                [
                    {
                        "stem": "Biển?",
                        "picture": sign(),
                        "alt": "",
                        "options": [("Cấm", 100, None, ""), ("Mở", 0, None, "")],
                    }
                ]
            )
        )
        runner = CliRunner()
        shown = runner.invoke(app, ["bank", "import", str(bank), "--bank", "bien"])
        assert shown.exit_code == 0, shown.output
        assert "new pictures stored 1" in shown.output and "alt text" in shown.output
        again = runner.invoke(app, ["bank", "import", str(bank), "--bank", "bien2", "--json"])
        data = json.loads(again.output)
        assert data["ok"] and data["pictures"] == 0  # the same picture is already stored
        assert any(w["field"] == "stem" and "alt" in w["message_en"] for w in data["warnings"])
    finally:
        database.use_engine(None)
        engine.dispose()
        get_settings.cache_clear()
