from contest.importers import parse_file

QUIZ = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/An toàn thông tin</text></category></question>
  <question type="multichoice">
    <name><text>Mật khẩu</text></name>
    <questiontext format="html"><text><![CDATA[<p>Mật khẩu <b>mạnh</b> là?<img src=x onerror=alert(1)></p>]]></text></questiontext>
    <generalfeedback format="html"><text>Dài và khó đoán.</text></generalfeedback>
    <single>false</single>
    <answer fraction="50"><text>Dài</text></answer>
    <answer fraction="50"><text>Khó đoán</text></answer>
    <answer fraction="-100"><text>Ngày sinh</text></answer>
  </question>
  <question type="truefalse">
    <name><text>VNeID</text></name>
    <questiontext format="moodle_auto_format"><text>VNeID do Bộ Công an xây dựng.</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="essay">
    <name><text>Bài luận</text></name>
    <questiontext format="html"><text>Viết.</text></questiontext>
  </question>
  <question type="cloze"><name><text>Điền</text></name><questiontext><text>{1:SA:=x}</text></questiontext></question>
  <question type="multichoice">
    <questiontext format="html"><text>Không đúng?</text></questiontext>
    <answer fraction="0"><text>a</text></answer>
    <answer fraction="0"><text>b</text></answer>
  </question>
</quiz>
"""


def test_multichoice_truefalse_category_and_skipped_kinds():
    result = parse_file(QUIZ.encode(), "bank.xml")
    first, second = result.questions
    assert first.topic == second.topic == "An toàn thông tin"
    assert first.text_format == "html" and first.stem == "<p>Mật khẩu <b>mạnh</b> là?</p>"
    assert [o.correct for o in first.options] == [True, True, False]
    assert first.explanation == "Dài và khó đoán."
    assert [(o.text, o.correct) for o in second.options] == [("Đúng", True), ("Sai", False)]
    assert second.text_format == "plain"
    assert len(result.skipped) == 2 and "essay" in result.skipped[0].message_en
    assert "cloze" in result.skipped[1].message_en
    # The <img src=x> names a picture the file does not carry: an error, never a silent loss.
    picture, error = result.errors
    assert picture.field == "stem" and picture.location.line == 4 and "'x'" in picture.message_en
    assert error.field == "correct" and error.location.line == 24


def test_billion_laughs_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<quiz><question type="truefalse"><questiontext><text>&lol3;</text></questiontext></question></quiz>'
    )
    result = parse_file(bomb.encode(), "bomb.xml")
    assert result.questions == []
    (error,) = result.errors
    assert "DTD" in error.message_vi and "DTD" in error.message_en


def test_malformed_xml_is_an_error():
    result = parse_file(b"<quiz><question>", "broken.xml")
    assert result.questions == [] and "XML" in result.errors[0].message_en
