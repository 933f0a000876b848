"""Question-bank import, edit, export and the CLI, on SQLite and PostgreSQL."""

import json

from sqlalchemy import func, select

from contest.exporters import export_gift, export_xlsx
from contest.importers import Location, OptionDraft, QuestionDraft
from contest.models import Question, QuestionBank, QuestionVersion
from contest.services import banks
from contest.services.context import SYSTEM


def _draft(n: int, topic: str = "Chuyển đổi số") -> QuestionDraft:
    return QuestionDraft(
        stem=f"Câu hỏi số {n} về định danh điện tử?",
        options=(
            OptionDraft(f"Đáp án đúng {n}", True),
            OptionDraft(f"Sai một {n}", False),
            OptionDraft(f"Sai hai {n}", False),
        ),
        location=Location("x"),
        topic=topic,
        difficulty="easy",
    )


def _counts(db) -> tuple[int, int, int]:
    return tuple(
        db.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (QuestionBank, Question, QuestionVersion)
    )


BAD_CSV = (
    "Câu hỏi,Phương án A,Phương án B,Đáp án đúng\n"
    "Thủ đô của Việt Nam?,Hà Nội,Huế,A\n"
    "Tỉnh nào giáp Trung Quốc?,Lạng Sơn,Cần Thơ,E\n"
).encode()


def test_a_file_with_one_bad_row_imports_nothing_from_any_file(db):
    before = _counts(db)
    good = export_xlsx([_draft(1), _draft(2)])
    report = banks.import_questions(
        db, SYSTEM, "tuan-1", [("tot.xlsx", good), ("loi.csv", BAD_CSV)]
    )
    assert not report.ok and report.imported == 0
    assert _counts(db) == before
    [error] = report.errors
    assert error.location.file == "loi.csv" and error.location.row == 3
    assert (
        "Dòng 3" in error.message_vi and "'E'" in error.message_vi and "Row 3" in error.message_en
    )


def test_good_xlsx_and_gift_import_and_duplicates_are_counted_not_imported_twice(db):
    xlsx = export_xlsx([_draft(1), _draft(2)])
    gift = export_gift([_draft(3, "Kinh tế số"), _draft(4, "Kinh tế số")]).encode()
    report = banks.import_questions(
        db, SYSTEM, "tuan-2", [("a.xlsx", xlsx), ("b.gift", gift)], bank_title="Tuần 2"
    )
    assert report.ok and (report.imported, report.duplicates) == (4, 0)
    bank = banks.get_bank(db, "tuan-2")
    assert bank.title == "Tuần 2" and bank.revision == 1
    again = banks.import_questions(
        db, SYSTEM, "tuan-2", [("a.xlsx", xlsx), ("c.gift", export_gift([_draft(5)]).encode())]
    )
    assert (again.imported, again.duplicates) == (1, 2)
    assert [s.questions for s in banks.list_banks(db) if s.bank.code == "tuan-2"] == [5]
    version = (
        db.execute(
            select(QuestionVersion)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(Question.bank_id == bank.id)
            .order_by(Question.position)
        )
        .scalars()
        .first()
    )
    assert version.version == 1 and version.options[0] == {
        "id": 1,
        "text": "Đáp án đúng 1",
        "correct": True,
    }


def test_dry_run_writes_nothing(db):
    before = _counts(db)
    report = banks.import_questions(
        db, SYSTEM, "thu", [("a.xlsx", export_xlsx([_draft(1)]))], dry_run=True
    )
    assert report.ok and report.dry_run and report.imported == 1
    assert _counts(db) == before


def test_edit_adds_version_two_and_leaves_version_one_unchanged(db):
    banks.import_questions(db, SYSTEM, "sua", [("a.xlsx", export_xlsx([_draft(1)]))])
    question = db.execute(
        select(Question).join(QuestionBank).where(QuestionBank.code == "sua")
    ).scalar_one()
    first_id = question.current_version_id
    v2 = banks.edit_question(
        db,
        SYSTEM,
        question.id,
        stem="Câu hỏi đã sửa?",
        options=[("Đúng", True), ("Sai", False)],
        topic="Xã hội số",
        difficulty="hard",
    )
    assert (
        v2.version == 2 and question.current_version_id == v2.id and question.topic == "Xã hội số"
    )
    v1 = db.get(QuestionVersion, first_id)
    assert (
        v1.version == 1 and v1.stem == "Câu hỏi số 1 về định danh điện tử?" and len(v1.options) == 3
    )
    assert banks.export_bank(db, "sua", "gift").decode().count("Câu hỏi đã sửa") == 1


def test_export_then_import_gives_the_same_questions(db):
    banks.import_questions(
        db, SYSTEM, "goc", [("a.xlsx", export_xlsx([_draft(1), _draft(2, "Kinh tế số")]))]
    )
    for fmt, name in (("xlsx", "b.xlsx"), ("gift", "b.gift")):
        data = banks.export_bank(db, "goc", fmt)
        report = banks.import_questions(db, SYSTEM, f"ban-{fmt}", [(name, data)])
        assert report.imported == 2
        assert banks.bank_drafts(db, banks.get_bank(db, f"ban-{fmt}"))[1].topic == "Kinh tế số"


def test_cli_import_exit_codes_and_json_shape(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from contest.cli import app
    from contest.config import get_settings
    from contest.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("CONTEST_DATABASE_URL", url)
    get_settings.cache_clear()
    from contest import db as database

    engine = database.make_engine(url)
    database.use_engine(engine)
    try:
        bad = tmp_path / "loi.csv"
        bad.write_bytes(BAD_CSV)
        good = tmp_path / "tot.xlsx"
        good.write_bytes(export_xlsx([_draft(1), _draft(2)]))
        runner = CliRunner()
        result = runner.invoke(app, ["bank", "import", str(bad), "--bank", "cli"])
        assert result.exit_code == 1
        assert (
            "loi.csv:3" in result.output and "Dòng 3" in result.output and "Row 3" in result.output
        )
        result = runner.invoke(
            app, ["bank", "import", str(good), str(good), "--bank", "cli", "--json"]
        )
        assert result.exit_code == 0, result.output
        payload = json.loads(result.output)
        assert {
            k: payload[k] for k in ("ok", "dry_run", "bank", "imported", "skipped", "duplicates")
        } == {
            "ok": True,
            "dry_run": False,
            "bank": "cli",
            "imported": 2,
            "skipped": 0,
            "duplicates": 2,
        }
        assert (
            payload["errors"] == [] and "near_duplicates" in payload and "skipped_items" in payload
        )
        assert payload["warnings"] == []
        category = tmp_path / "danh-muc.gift"
        category.write_text("$CATEGORY: $course$/top/Số\nCâu?{=A ~B}\n", encoding="utf-8")
        result = runner.invoke(app, ["bank", "import", str(category), "--bank", "cli2", "--json"])
        assert result.exit_code == 0, result.output
        payload = json.loads(result.output)
        assert payload["imported"] == 1
        assert [(w["file"], w["line"], w["field"]) for w in payload["warnings"]] == [
            ("danh-muc.gift", 1, "topic")
        ]
        assert payload["warnings"][0]["message_vi"] and payload["warnings"][0]["message_en"]
        listing = json.loads(runner.invoke(app, ["bank", "list", "--json"]).output)
        assert listing["banks"][0]["code"] == "cli" and listing["banks"][0]["questions"] == 2
        out = tmp_path / "out.xlsx"
        assert (
            runner.invoke(
                app, ["bank", "export", "--bank", "cli", "--format", "xlsx", "--out", str(out)]
            ).exit_code
            == 0
        )
        assert out.read_bytes()[:2] == b"PK"
        moodle = tmp_path / "out.xml"
        exported = runner.invoke(
            app,
            ["bank", "export", "--bank", "cli", "--format", "moodle-xml", "--out", str(moodle)],
        )
        assert exported.exit_code == 0, exported.output
        assert moodle.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    finally:
        database.use_engine(None)
        engine.dispose()
        get_settings.cache_clear()
