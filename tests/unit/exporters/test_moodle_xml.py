"""Moodle XML export: the shape Moodle's importer reads, and a lossless trip back through ours."""

import xml.etree.ElementTree as ET

from contest import formulas
from contest.exporters import export_moodle_xml
from contest.importers import Location, OptionDraft, QuestionDraft, parse_file

# Moodle's question_bank::fraction_options_full(): the grades its importer accepts (in %).
MOODLE_GRADES = {
    100,
    90,
    83.33333,
    80,
    75,
    70,
    66.66667,
    60,
    50,
    40,
    33.33333,
    30,
    25,
    20,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10,
    5,
    0,
}
MOODLE_GRADES |= {-g for g in MOODLE_GRADES}


def semantic(q: QuestionDraft) -> tuple:
    return (q.stem, q.options, q.text_format, q.topic, q.difficulty, q.explanation, q.source)


def draft(stem, options, **extra):
    return QuestionDraft(
        stem=stem,
        options=tuple(OptionDraft(t, c) for t, c in options),
        location=Location("x"),
        **extra,
    )


BANK = [
    draft(
        "Ứng dụng VNeID do cơ quan nào xây dựng? (a < b & c]]>)",
        [("Bộ Công an", True), ("Bộ Y tế", False), ("Bộ Tài chính", False)],
        topic="Định danh điện tử",
        difficulty="easy",
        source="Luật Căn cước 2023",
        explanation="VNeID do Bộ Công an xây dựng.",
        number="C1",
    ),
    draft(
        "Chọn <b>hai</b> dịch vụ công trực tuyến toàn trình:",
        [("Cấp lại CCCD", True), ("Đăng ký khai sinh", True), ("Xây cầu", False)],
        text_format="html",
        topic="Định danh điện tử",
    ),
    draft(
        "Nghiệm dương của phương trình $x^2 - 4 = 0$ là?",
        [("$x = 2$", True), ("$$\\frac{1}{2}$$", False), ("Giá 5$", False)],
        topic="Toán/Đại số",
    ),
]


def test_the_file_has_the_shape_moodles_importer_reads():
    root = ET.fromstring(export_moodle_xml(BANK))
    assert root.tag == "quiz"
    kinds = [q.get("type") for q in root.findall("question")]
    assert kinds == ["category", "multichoice", "multichoice", "category", "multichoice"]
    categories = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    assert categories == ["$course$/top/Định danh điện tử", "$course$/top/Toán//Đại số"]
    first, second, third = root.findall("question[@type='multichoice']")
    assert first.findtext("name/text") == "C1"
    assert first.find("questiontext").get("format") == "plain_text"
    assert first.findtext("questiontext/text") == BANK[0].stem  # CDATA split around "]]>"
    assert first.findtext("single") == "true" and first.findtext("shuffleanswers") == "true"
    assert [a.get("fraction") for a in first.findall("answer")] == ["100", "0", "0"]
    assert first.findtext("generalfeedback/text") == "VNeID do Bộ Công an xây dựng."
    assert [t.text for t in first.findall("tags/tag/text")] == [
        "Mức độ: Dễ",
        "Nguồn: Luật Căn cước 2023",
    ]
    assert second.findtext("single") == "false"
    assert second.find("questiontext").get("format") == "html"
    assert [a.get("fraction") for a in second.findall("answer")] == ["50", "50", "-100"]
    assert second.findtext("name/text") == "Chọn hai dịch vụ công trực tuyến toàn trình:"
    assert (
        third.findtext("questiontext/text") == "Nghiệm dương của phương trình \\(x^2 - 4 = 0\\) là?"
    )
    assert [a.findtext("text") for a in third.findall("answer")] == [
        "\\(x = 2\\)",
        "$$\\frac{1}{2}$$",
        "Giá 5$",
    ]
    for answer in root.iter("answer"):
        assert float(answer.get("fraction")) in MOODLE_GRADES


def test_every_multiple_answer_share_is_a_moodle_grade():
    for right in range(2, 11):
        options = [(f"đúng {i}", True) for i in range(right)] + [("sai", False)]
        root = ET.fromstring(export_moodle_xml([draft("Chọn các phương án đúng", options)]))
        for answer in root.iter("answer"):
            assert round(float(answer.get("fraction")), 5) in MOODLE_GRADES


def test_export_then_import_gives_the_same_questions_and_keys():
    result = parse_file(export_moodle_xml(BANK), "bank.xml")
    assert result.errors == []
    back = result.questions
    assert [semantic(q) for q in back[:2]] == [semantic(q) for q in BANK[:2]]
    assert [q.number for q in back] == ["C1", None, None]
    # Formulas come back as \(…\); what a participant sees is the same MathML.
    formula, original = back[2], BANK[2]
    assert formulas.render(formula.stem, formula.text_format) == formulas.render(
        original.stem, original.text_format
    )
    assert [o.correct for o in formula.options] == [True, False, False]
    assert [formulas.render(o.text, "plain") for o in formula.options] == [
        formulas.render(o.text, "plain") for o in original.options
    ]


def test_pictures_travel_as_pluginfile_files_and_come_back_the_same():
    from picture_files import sign

    from contest.drafts import PictureDraft
    from contest.pictures import encode_picture

    road = PictureDraft(encode_picture(sign("red", (900, 600))), "Biển tròn đỏ viền trắng")
    blue = PictureDraft(encode_picture(sign("blue", (300, 200))), "Biển xanh")
    bank = [
        QuestionDraft(
            stem="Biển báo này có ý nghĩa gì?",
            options=(
                OptionDraft("Cấm đi ngược chiều", True),
                OptionDraft("", False, (blue,)),
                OptionDraft("Đường một chiều", False),
            ),
            location=Location("x"),
            pictures=(road,),
            topic="Luật giao thông",
        )
    ]
    data = export_moodle_xml(bank)
    root = ET.fromstring(data)
    question = root.find("question[@type='multichoice']")
    assert "@@PLUGINFILE@@/" in question.findtext("questiontext/text")
    [file] = question.findall("questiontext/file")
    assert file.get("encoding") == "base64" and file.get("path") == "/"
    assert len(question.findall("answer/file")) == 1
    result = parse_file(data, "bank.xml")
    assert result.errors == [], [e.message_en for e in result.errors]
    [back] = result.questions
    assert (back.stem, back.topic, back.text_format) == (bank[0].stem, bank[0].topic, "plain")
    assert [(o.text, o.correct) for o in back.options] == [
        (o.text, o.correct) for o in bank[0].options
    ]
    # The JPEG is encoded again on the way in (never trusted as it is): the same picture,
    # not the same bytes.
    assert_same_picture(back.pictures, bank[0].pictures)
    for got, sent in zip(back.options, bank[0].options, strict=True):
        assert_same_picture(got.pictures, sent.pictures)


def assert_same_picture(got, sent):
    import io

    from PIL import Image, ImageChops, ImageStat

    assert [(p.alt, p.picture.width, p.picture.height) for p in got] == [
        (p.alt, p.picture.width, p.picture.height) for p in sent
    ]
    for a, b in zip(got, sent, strict=True):
        one = Image.open(io.BytesIO(a.picture.webp)).convert("RGB")
        two = Image.open(io.BytesIO(b.picture.webp)).convert("RGB")
        difference = ImageStat.Stat(ImageChops.difference(one, two)).mean
        assert max(difference) < 4, difference
