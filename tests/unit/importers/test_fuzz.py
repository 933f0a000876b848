"""Every importer on mutated files: only the importers' own error records, never another
exception, and never an expanded XML entity.

A bounded run in CI: CONTEST_FUZZ_EXAMPLES (default 120) mutated files per format, the same
ones every run; for a longer hunt: `CONTEST_FUZZ_RANDOM=1 CONTEST_FUZZ_EXAMPLES=5000`.
The database half (nothing half-written) is in tests/integration/services/test_import_fuzz.py.
"""

from __future__ import annotations

import io
import os
import zipfile

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest.domain.errors import ContestError
from contest.importers import _PARSERS, ImportLimits
from contest.importers.base import FileRefused
from contest.importers.units import parse_units

EXAMPLES = int(os.environ.get("CONTEST_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # CI replays the same examples (a red main must mean a change broke something);
    # CONTEST_FUZZ_RANDOM=1 explores new ones.
    derandomize=os.environ.get("CONTEST_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The marker an expanded entity would produce. It never appears in a file as such: the DTD
# below builds it from two entities, so finding it anywhere in a result means expansion.
MARKER = "FUZZENTITY"
DTD = b'<!DOCTYPE x [<!ENTITY a "FUZZ"><!ENTITY e "&a;ENTITY">]>'
TOKENS = [
    DTD,
    b"&e;",
    b"&a;",
    b" " * 5000,
    b"\n" * 4097,
    b"<?xml version='1.0'?>",
    b"<!-- c -->",
    b"<![CDATA[x]]>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"{",
    b"}",
    b"~",
    b"=",
    b"#",
    b"::",
    b"ANSWER: Z",
    b"A. ",
    b"C\xc3\xa2u 1:",
    b";",
    b",",
    b'"',
    b"\r\n",
    b"99999999999999999999",
    b"-1",
    b"1e309",
    "²".encode(),
    "ặ".encode(),
    b"<question type='multichoice'>",
    b"</quiz>",
    b'<c r="A2" t="inlineStr"><is><t>&e;</t></is></c>',
    b'<c r="XFD1048577" t="s"><v>99999</v></c>',
    b"<w:p><w:r><w:t>&e;</w:t></w:r></w:p>",
]


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng", "Chủ đề"])
    ws.append(["Định danh điện tử là gì?", "VNeID", "Zalo", "Email", "A", "Chuyển đổi số"])
    ws.append(["Hỏi 2?", "x", "y", None, "B", None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _docx() -> bytes:
    document = docx.Document()
    for line in ("Câu 1: Định danh điện tử là gì?", "A. VNeID", "*B. Zalo", "Câu 2: Hỏi?"):
        document.add_paragraph(line)
    document.add_paragraph("A. x").runs[0].bold = True
    document.add_paragraph("B. y")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Câu hỏi", "Phương án A", "Đáp án đúng")):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("Hỏi bảng?", "x", "A")):
        cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


MOODLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="category"><category><text>$course$/Chuy\xe1\xbb\x83n \xc4\x91\xe1\xbb\x95i s\xe1\xbb\x91</text></category></question>
<question type="multichoice"><name><text>q1</text></name>
<questiontext format="html"><text><![CDATA[<p>H\xe1\xbb\x8fi <b>1</b>?</p>]]></text></questiontext>
<answer fraction="100"><text>x</text></answer><answer fraction="0"><text>y</text></answer>
<generalfeedback><text>v\xc3\xac</text></generalfeedback></question>
<question type="truefalse"><name><text>q2</text></name><questiontext><text>\xc4\x90\xc3\xbang?</text></questiontext>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>
<question type="essay"><name><text>q3</text></name><questiontext><text>Vi\xe1\xba\xbft</text></questiontext></question>
</quiz>
"""
SEEDS: dict[str, list[bytes]] = {
    ".xlsx": [_xlsx()],
    ".docx": [_docx()],
    ".csv": [
        "Câu hỏi,Phương án A,Phương án B,Đáp án đúng,Chủ đề,Mức độ\n"
        "Định danh điện tử?,VNeID,Zalo,A,CĐS,Nhận biết\nHỏi 2?,x,y,B,,\n".encode(),
        "\ufeffSTT;Câu hỏi;Phương án A;Phương án B;Đáp án đúng\n1;Hỏi?;a;b;A\n".encode(),
    ],
    ".gift": [
        "// c\n$CATEGORY: Chuyển đổi số\n::Q1:: Hỏi 1? {=VNeID ~Zalo #vì}\n\n"
        "::Q2:: [html]<b>Đúng?</b> {T}\n\nHỏi 3 {~%100%a ~%0%b}\n".encode()
    ],
    ".aiken": ["Hỏi 1?\nA. VNeID\nB. Zalo\nANSWER: A\n\nHỏi 2?\nA) x\nB) y\nANSWER: B\n".encode()],
    ".xml": [MOODLE],
}
UNIT_SEEDS = {
    ".csv": [
        "Mã;Tên đơn vị;Mã cấp trên;Số cán bộ\nLS;Tỉnh Lạng Sơn;;\nLS-BG;Huyện Bình Gia;LS;1.250\n".encode()
    ],
    ".xlsx": [],
}


def _units_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    for row in (["code", "name", "parent code", "headcount"], ["SL", "Sơn La", None, 10]):
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


UNIT_SEEDS[".xlsx"].append(_units_xlsx())


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """A few edits: flips, inserted tokens or random bytes, deleted or repeated slices."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["token", "bytes", "flip", "delete", "repeat", "truncate"]))
        if kind == "token":
            out[position:position] = draw(st.sampled_from(TOKENS))
        elif kind == "bytes":
            out[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "flip" and out:
            index = min(position, len(out) - 1)
            out[index] ^= draw(st.integers(1, 255))
        elif kind == "delete":
            del out[position : position + draw(st.integers(1, 64))]
        elif kind == "repeat":
            piece = bytes(out[position : position + draw(st.integers(1, 256))])
            out[position:position] = piece * draw(st.integers(1, 20))
        elif kind == "truncate":
            del out[position:]
    return bytes(out)


@st.composite
def mutated_file(draw, seeds: list[bytes], zipped: bool) -> bytes:
    data = draw(st.sampled_from(seeds))
    if not zipped or draw(st.integers(0, 9)) == 0:  # the container itself, now and then
        return draw(mutated_bytes(data))
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        target_name = draw(st.sampled_from([i.filename for i in infos]))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in infos:
                content = source.read(info)
                if info.filename == target_name:
                    content = draw(mutated_bytes(content))
                target.writestr(info.filename, content)
    return out.getvalue()


LIMITS = ImportLimits(max_bytes=4 * 1024 * 1024, max_uncompressed_bytes=32 * 1024 * 1024)


def _run_question_importer(extension: str, data: bytes) -> None:
    parse = _PARSERS[extension]
    try:
        result = parse(data, "fuzz" + extension, LIMITS)
    except FileRefused as refused:
        result = refused.result("fuzz" + extension)
    # Every problem is a record with both languages; nothing is expanded anywhere.
    for issue in (*result.errors, *result.skipped):
        assert issue.message_vi and issue.message_en
    assert MARKER not in repr(result)


@pytest.mark.parametrize("extension", sorted(SEEDS))
def test_question_importers_survive_mutated_files(extension: str):
    zipped = extension in (".xlsx", ".docx")

    @FUZZ
    @given(mutated_file(SEEDS[extension], zipped))
    def run(data: bytes) -> None:
        _run_question_importer(extension, data)

    run()


@pytest.mark.parametrize("extension", sorted(UNIT_SEEDS))
def test_unit_importer_survives_mutated_files(extension: str):
    zipped = extension == ".xlsx"

    @FUZZ
    @given(mutated_file(UNIT_SEEDS[extension], zipped))
    def run(data: bytes) -> None:
        try:
            drafts, issues = parse_units(data, "units" + extension)
        except ContestError as exc:  # the importer's own refusal of a whole file
            assert exc.message_vi and exc.message_en
            return
        for issue in issues:
            assert issue.message_vi and issue.message_en
        assert MARKER not in repr((drafts, issues))

    run()


@pytest.mark.parametrize("extension", [".xlsx", ".docx", ".xml"])
def test_seeds_with_a_declared_entity_never_expand_it(extension: str):
    """The DTD put where each format's parser would read it: refused, not expanded."""
    seed = SEEDS[extension][0]
    if extension == ".xml":
        files = [seed.replace(b"<quiz>", DTD + b"<quiz>").replace(b"q1", b"&e;")]
    else:
        files = []
        with zipfile.ZipFile(io.BytesIO(seed)) as source:
            for name in source.namelist():
                if not name.endswith(".xml"):
                    continue
                out = io.BytesIO()
                with zipfile.ZipFile(out, "w") as target:
                    for info in source.infolist():
                        content = source.read(info)
                        if info.filename == name:
                            body = content.split(b"?>", 1)[-1]
                            content = b" " * 4096 + DTD + body.replace(b"<t>", b"<t>&e;", 1)
                        target.writestr(info.filename, content)
                files.append(out.getvalue())
    assert files
    for data in files:
        _run_question_importer(extension, data)
