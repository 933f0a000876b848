"""xlsx → bank → Moodle XML → bank: the same questions, keys, formulas and pictures, on both databases."""

import xml.etree.ElementTree as ET

from picture_files import sample_bank

from contest import formulas
from contest.exporters import export_xlsx
from contest.importers import Location, OptionDraft, QuestionDraft
from contest.services import banks
from contest.services.context import SYSTEM


def _drafts() -> list[QuestionDraft]:
    return [
        QuestionDraft(
            "Ứng dụng VNeID do cơ quan nào xây dựng?",
            (OptionDraft("Bộ Công an", True), OptionDraft("Bộ Y tế", False)),
            Location("x"),
            topic="Định danh điện tử",
            difficulty="easy",
            source="Luật Căn cước 2023",
            explanation="Bộ Công an xây dựng VNeID.",
            number="1",
        ),
        QuestionDraft(
            "Chọn hai dịch vụ công trực tuyến toàn trình:",
            (
                OptionDraft("Cấp lại CCCD", True),
                OptionDraft("Đăng ký khai sinh", True),
                OptionDraft("Xây cầu", False),
            ),
            Location("x"),
            topic="Dịch vụ công",
            difficulty="hard",
        ),
        QuestionDraft(
            "Nghiệm dương của phương trình $x^2 - 4 = 0$ là?",
            (OptionDraft("$x = 2$", True), OptionDraft("$$\\frac{1}{2}$$", False)),
            Location("x"),
            topic="Toán",
        ),
    ]


def _seen(draft: QuestionDraft) -> tuple:
    """What a participant and the scorer see: rendered text and the key."""
    return (
        formulas.render(draft.stem, draft.text_format),
        tuple(
            (formulas.render(o.text, draft.text_format), o.correct, len(o.pictures))
            for o in draft.options
        ),
        draft.topic,
        draft.difficulty,
        draft.source,
        draft.explanation,
        tuple(p.alt for p in draft.pictures),
    )


def test_xlsx_to_moodle_xml_and_back_gives_the_same_questions_and_keys(db):
    report = banks.import_questions(db, SYSTEM, "goc", [("goc.xlsx", export_xlsx(_drafts()))])
    assert report.ok and report.imported == 3
    data = banks.export_bank(db, "goc", "moodle-xml")
    assert ET.fromstring(data).tag == "quiz"
    again = banks.import_questions(db, SYSTEM, "tu-moodle", [("goc.moodle.xml", data)])
    assert again.ok and again.imported == 3, [e.message_en for e in again.errors]
    first = banks.bank_drafts(db, banks.get_bank(db, "goc"))
    back = banks.bank_drafts(db, banks.get_bank(db, "tu-moodle"))
    assert [_seen(d) for d in back] == [_seen(d) for d in first]
    assert [d.number for d in back] == [d.number for d in first]
    # Importing the export into the bank it came from adds nothing: the same questions.
    same = banks.import_questions(db, SYSTEM, "goc", [("goc.moodle.xml", data)])
    assert same.ok and same.imported == 0 and same.duplicates == 3


def test_pictures_go_to_moodle_xml_and_come_back(db):
    name, data = sample_bank("xlsx")
    report = banks.import_questions(db, SYSTEM, "bien", [(name, data)])
    assert report.ok and report.imported == 2, [e.message_en for e in report.errors]
    exported = banks.export_bank(db, "bien", "xml")
    root = ET.fromstring(exported)
    assert len(root.findall(".//file")) == 3
    again = banks.import_questions(db, SYSTEM, "bien-moodle", [("bien.xml", exported)])
    assert again.ok and again.imported == 2, [e.message_en for e in again.errors]
    first = banks.bank_drafts(db, banks.get_bank(db, "bien"))
    back = banks.bank_drafts(db, banks.get_bank(db, "bien-moodle"))
    assert [_seen(d) for d in back] == [_seen(d) for d in first]
    for got, sent in zip(back, first, strict=True):
        assert [(p.picture.width, p.picture.height) for p in got.all_pictures] == [
            (p.picture.width, p.picture.height) for p in sent.all_pictures
        ]
