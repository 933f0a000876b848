import pytest

from contest.text import difficulty_code, fold, normalize_text, sanitize_html


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Dễ", "easy"),
        ("Nhận biết", "easy"),
        ("NHAN BIET", "easy"),
        (1, "easy"),
        (1.0, "easy"),
        ("easy", "easy"),
        ("Trung bình", "medium"),
        ("Thông hiểu", "medium"),
        ("2", "medium"),
        ("Medium", "medium"),
        ("Khó", "hard"),
        ("Vận dụng", "hard"),
        ("Vận dụng cao", "hard"),
        (3, "hard"),
        ("HARD", "hard"),
        ("", None),
        (None, None),
    ],
)
def test_difficulty_labels_map_to_codes(label, code):
    assert difficulty_code(label) == code


def test_unknown_difficulty_is_an_error():
    with pytest.raises(ValueError):
        difficulty_code("siêu khó")


def test_text_is_nfc_trimmed_and_collapsed():
    assert normalize_text("  Thu\u0309 \u00a0 đô\u200b\n\tViệt  ") == "Thủ đô Việt"
    assert normalize_text(2023) == "2023"


def test_fold_is_only_for_matching_labels():
    assert fold("Đáp án đúng") == fold("DAP AN DUNG") == "dapandung"


def test_html_keeps_only_harmless_tags():
    assert (
        sanitize_html(
            '<p style="x">a<sup>2</sup> <a href="javascript:x">b</a><iframe></iframe></p>'
        )
        == "<p>a<sup>2</sup> b</p>"
    )
