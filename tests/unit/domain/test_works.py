"""Pure rules of works contests: sniffing, rubric totals, mean and trimmed mean, duplicates."""

import io
import zipfile

import pytest

from contest.domain.errors import ContestError
from contest.domain.works import (
    Rubric,
    WorkFacts,
    duplicate_file_flags,
    entry_score,
    is_docx,
    sniff_head,
    spread,
)

RUBRIC = Rubric.from_spec(
    [
        {"code": "a", "label_vi": "Nội dung", "max_points": 10, "weight": 3},
        {"code": "b", "label_vi": "Hình thức", "max_points": 5, "weight": 1},
    ]
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0..", "jpeg"),
        (b"\x00\x00\x00\x18ftypmp42", "mp4"),
        (b"PK\x03\x04....", "zip"),
        (b"MZ\x90\x00", None),
        (b"\x7fELF", None),
        (b"<html>", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(head, kind):
    assert sniff_head(head) == kind


def test_a_zip_is_a_docx_only_with_word_document_xml():
    def z(name: str) -> io.BytesIO:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as f:
            f.writestr(name, "x")
        buf.seek(0)
        return buf

    assert (
        is_docx(z("word/document.xml"))
        and not is_docx(z("payload.exe"))
        and not is_docx(io.BytesIO(b"PK\x03\x04"))
    )


def test_rubric_weights_give_a_total_on_one_hundred_and_refuse_out_of_scale_values():
    assert RUBRIC.total({"a": 10, "b": 5}) == 100
    assert RUBRIC.total({"a": 5, "b": 5}) == 62.5
    with pytest.raises(ContestError):
        RUBRIC.total({"a": 11, "b": 1})
    with pytest.raises(ContestError):
        RUBRIC.total({"a": 3})


def test_trimmed_mean_drops_highest_and_lowest_only_when_enough_judges():
    assert entry_score([80, 70, 90]) == 80
    assert entry_score([100, 80, 70, 10], trim=1) == 75
    assert entry_score([80, 60], trim=1) == 70
    assert entry_score([]) is None
    assert spread([80, 60, 75]) == 20


def test_identical_files_flag_every_work_sharing_them():
    works = [
        WorkFacts(str(i), "t", "article", "d", True, (h,)) for i, h in enumerate(["x", "y", "x"])
    ]
    assert sorted(duplicate_file_flags(works)) == ["0", "2"]
