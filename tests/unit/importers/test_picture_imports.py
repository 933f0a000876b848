"""Pictures in every bank format that can carry them: read, encoded, alt text kept or asked for."""

import base64

from picture_files import docx_with_pictures, moodle_xml, sign, xlsx_with_pictures

from contest.importers import parse_file
from contest.pictures import BUDGET_BYTES


def _moodle_sample() -> bytes:
    return moodle_xml(
        [
            {
                "stem": "Biển báo này có ý nghĩa gì?",
                "picture": sign(size=(1200, 800)),
                "alt": "Biển tròn đỏ có vạch trắng",
                "options": [
                    ("Cấm đi ngược chiều", 100, None, ""),
                    ("Cấm dừng xe", 0, None, ""),
                ],
            },
            {
                "stem": "Biển nào là biển cấm?",
                "options": [
                    ("", 100, sign("red", (300, 200)), "Biển đỏ"),
                    ("", 0, sign("blue", (300, 200)), ""),
                ],
            },
        ]
    )


def test_moodle_xml_pictures_come_from_their_pluginfile_files_with_alt_text():
    result = parse_file(_moodle_sample(), "bien-bao.xml")
    assert not result.errors, result.errors
    first, second = result.questions
    assert "<img" not in first.stem and "Biển báo này" in first.stem
    (picture,) = first.pictures
    assert picture.alt == "Biển tròn đỏ có vạch trắng"
    assert picture.picture.width == 480 and len(picture.picture.webp) <= BUDGET_BYTES
    assert [o.text for o in second.options] == ["", ""]
    assert [o.pictures[0].alt for o in second.options] == ["Biển đỏ", ""]
    assert [o.correct for o in second.options] == [True, False]
    # The missing alt text is a warning with its line and its option, in both languages.
    (warning,) = [w for w in result.warnings if "alt" in w.message_en]
    assert warning.field == "option_B" and warning.location.line is not None
    assert "mô tả" in warning.message_vi


def test_a_moodle_picture_without_its_file_or_a_broken_one_is_an_error_with_its_line():
    data = _moodle_sample().replace(b'name="pa 2-1.png"', b'name="other.png"')
    result = parse_file(data, "bien-bao.xml")
    assert any(
        "@@PLUGINFILE@@/pa%202-1.png" in e.message_en and e.field == "option_B"
        for e in result.errors
    )
    broken = moodle_xml(
        [
            {
                "stem": "Hình?",
                "picture": b"\x89PNG broken",
                "alt": "x",
                "options": [("A", 100, None, ""), ("B", 0, None, "")],
            }
        ]
    )
    (error,) = parse_file(broken, "x.xml").errors
    assert error.field == "stem" and "hình 'hinh cau 1.png'" in error.message_vi


def test_an_external_picture_address_is_an_error_not_a_silent_loss():
    data = moodle_xml([{"stem": "Hình?", "options": [("A", 100, None, ""), ("B", 0, None, "")]}])
    data = data.replace(b"<p>H", b'<img src="https://example.org/a.png" alt="a"><p>H')
    (error,) = parse_file(data, "x.xml").errors
    assert (
        "https://example.org/a.png" in error.message_en
        and "không tải từ địa chỉ ngoài" in error.message_vi
    )


def test_gift_html_pictures_come_from_data_uris():
    png = base64.b64encode(sign(size=(600, 400))).decode()
    text = (
        f'::Q1:: [html]<p>Biển báo này là gì?</p><img src="data:image/png;base64,{png}" alt="Biển đỏ"> '
        "{=Biển cấm ~Biển chỉ dẫn}\n"
    )
    result = parse_file(text.encode(), "bien.gift")
    assert not result.errors, result.errors
    (q,) = result.questions
    assert q.pictures[0].alt == "Biển đỏ" and q.pictures[0].picture.width == 480
    assert "data:" not in q.stem and "<img" not in q.stem


def _xlsx_sample() -> bytes:
    return xlsx_with_pictures(
        [
            ["STT", "Câu hỏi", "Hình", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng"],
            [
                1,
                "Biển báo này có ý nghĩa gì?",
                None,
                "Cấm đi ngược chiều",
                "Cấm dừng",
                "Hết cấm",
                "A",
            ],
            [2, "Biển nào là biển cấm?", None, None, None, "Không biển nào", "B"],
            [3, "Câu không hình", None, "Đúng", "Sai", None, "A"],
        ],
        [
            ("C2", sign(size=(1200, 800)), "Biển tròn đỏ"),
            ("D3", sign("blue", (300, 200)), "Biển xanh"),
            ("E3", sign("red", (300, 200)), "Picture"),
            ("H4", sign("green", (100, 100)), "Lạc chỗ"),
        ],
    )


def test_xlsx_pictures_anchored_in_a_row_go_to_its_stem_and_options():
    result = parse_file(_xlsx_sample(), "bien-bao.xlsx")
    assert not result.errors, result.errors
    first, second, third = result.questions
    assert [p.alt for p in first.pictures] == ["Biển tròn đỏ"]
    assert [o.text for o in second.options] == ["", "", "Không biển nào"]
    assert [bool(o.pictures) for o in second.options] == [True, True, False]
    assert [o.correct for o in second.options] == [False, True, False]
    assert not third.pictures and not any(o.pictures for o in third.options)
    messages = [w.message_en for w in result.warnings]
    # "Picture" is the name a program gave, not a description: asked for, at its row and column.
    assert any(
        w.location.row == 3 and w.field == "option_B" and "alt text" in w.message_en
        for w in result.warnings
    )
    assert any("H4" in m and "not imported" in m for m in messages), messages


def test_an_option_that_is_only_a_picture_counts_for_gaps_and_letters():
    data = xlsx_with_pictures(
        [
            ["Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng"],
            ["Biển nào?", "Chữ", None, "Chữ khác", "B"],
        ],
        [],
    )
    (error,) = [e for e in parse_file(data, "x.xlsx").errors if e.field == "option_B"]
    assert "empty" in error.message_en


def test_docx_inline_pictures_go_to_the_stem_or_the_option_they_follow():
    data = docx_with_pictures(
        [
            "Câu 1: Biển báo này có ý nghĩa gì?",
            ("", [(sign(size=(1000, 600)), "Biển tròn đỏ")]),
            "A. Cấm đi ngược chiều",
            "B. Cấm dừng xe",
            "Đáp án: A",
            "Câu 2: Biển nào là biển cấm?",
            ("A. ", [(sign("red", (300, 200)), "Biển đỏ")]),
            ("B. ", [(sign("blue", (300, 200)), "")]),
            "Đáp án: A",
        ]
    )
    result = parse_file(data, "bien.docx")
    assert not result.errors, result.errors
    first, second = result.questions
    assert [p.alt for p in first.pictures] == ["Biển tròn đỏ"]
    assert not any(o.pictures for o in first.options)
    assert [o.pictures[0].alt for o in second.options] == ["Biển đỏ", ""]
    assert [o.correct for o in second.options] == [True, False]
    assert any(w.field == "option_B" and "alt text" in w.message_en for w in result.warnings)


def test_a_docx_picture_before_the_first_question_is_reported_not_lost():
    data = docx_with_pictures(
        [("", [(sign(), "Logo")]), "Câu 1: Hỏi?", "A. Có", "B. Không", "Đáp án: A"]
    )
    result = parse_file(data, "x.docx")
    assert len(result.questions) == 1
    assert any("not imported" in w.message_en and w.location.line == 1 for w in result.warnings)
