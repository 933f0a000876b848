"""The bank page offers a Moodle XML download that Moodle and our importer read."""

import xml.etree.ElementTree as ET

from conftest import csrf_from
from factories import make_staff

from contest.exporters import export_xlsx
from contest.importers import Location, OptionDraft, QuestionDraft
from contest.services import banks
from contest.services.context import SYSTEM


def test_bank_page_downloads_moodle_xml(client, db):
    make_staff(db, "org", ["organiser"])
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": "org",
            "password": "correct-horse-battery",
        },
    )
    drafts = [
        QuestionDraft(
            "Diện tích hình tròn bán kính $r$ là?",
            (OptionDraft("$\\pi r^2$", True), OptionDraft("$2\\pi r$", False)),
            Location("x"),
            topic="Toán",
        )
    ]
    assert banks.import_questions(db, SYSTEM, "toan", [("toan.xlsx", export_xlsx(drafts))]).ok
    bank_page = client.get("/organiser/banks/toan").text
    assert 'href="/organiser/banks/toan/export.xml"' in bank_page and "Moodle XML" in bank_page
    assert "<math" in bank_page  # the bank page shows the formula too
    response = client.get("/organiser/banks/toan/export.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert 'filename="toan.moodle.xml"' in response.headers["content-disposition"]
    root = ET.fromstring(response.content)
    question = root.find("question[@type='multichoice']")
    assert question.findtext("questiontext/text") == "Diện tích hình tròn bán kính \\(r\\) là?"
