import io
import zipfile

import docx
import openpyxl

from contest.importers import ImportLimits, parse_file


def office_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(["Câu hỏi", "A", "B", "Đáp án đúng"])
        wb.active.append(["Hỏi?", "x", "y", "A"])
        wb.save(out)
    else:
        document = docx.Document()
        document.add_paragraph("Câu 1: Hỏi?")
        document.add_paragraph("A. x")
        document.add_paragraph("*B. y")
        document.save(out)
    return out.getvalue()


def with_extra_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(name, content)
    return out.getvalue()


def test_zip_bombs_are_refused_before_opening():
    for kind in ("xlsx", "docx"):
        bomb = with_extra_part(
            office_bytes(kind), "xl/media/padding.xml", b"0" * (30 * 1024 * 1024)
        )
        assert len(bomb) < 100 * 1024
        result = parse_file(bomb, f"bomb.{kind}")
        assert result.questions == []
        (error,) = result.errors
        assert "zip bomb" in error.message_en and "bom nén" in error.message_vi


def test_total_uncompressed_size_is_limited():
    data = office_bytes("xlsx")
    result = parse_file(data, "bank.xlsx", ImportLimits(max_uncompressed_bytes=1000))
    assert result.questions == [] and "zip bomb" in result.errors[0].message_en


def test_entity_declarations_inside_office_files_are_refused():
    for kind, part in (("xlsx", "xl/sharedStrings.xml"), ("docx", "word/document.xml")):
        data = office_bytes(kind)
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                content = source.read(info)
                if info.filename == part or (
                    kind == "xlsx" and info.filename == "xl/worksheets/sheet1.xml"
                ):
                    dtd = b'<!-- x --><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    if content.startswith(b"<?xml"):
                        content = content.replace(b"?>", b"?>" + dtd, 1)
                    else:
                        content = dtd + content
                target.writestr(info, content)
        result = parse_file(out.getvalue(), f"evil.{kind}")
        assert result.questions == []
        assert "DTD" in result.errors[0].message_en, kind


def test_files_over_the_size_limit_are_refused():
    result = parse_file(b"x" * 2000, "bank.csv", ImportLimits(max_bytes=1000))
    assert result.questions == [] and "MB" in result.errors[0].message_vi


def test_unknown_format_is_one_bilingual_error():
    result = parse_file(b"whatever", "bank.pdf")
    (error,) = result.errors
    assert (
        ".pdf" in error.message_vi
        and ".pdf" in error.message_en
        and error.as_dict()["file"] == "bank.pdf"
    )


def test_garbage_in_every_format_gives_errors_not_exceptions():
    for name in ("a.xlsx", "a.docx", "a.csv", "a.gift", "a.txt", "a.aiken", "a.xml"):
        result = parse_file(b"\x00\x01PK\x03\x04garbage\xff{", name)
        assert result.questions == [] and result.errors, name


def test_a_dtd_hidden_behind_a_long_comment_is_refused():
    from contest.importers.base import FileRefused
    from contest.importers.safety import refuse_dtd

    head = b"<?xml version='1.0'?><!--" + b"x" * 2000
    try:
        refuse_dtd(head, "part.xml", complete=False)
    except FileRefused as refused:
        assert "DTD" in refused.message_en
    else:
        raise AssertionError("a prolog longer than the scan must be refused")
    refuse_dtd(b"<?xml version='1.0'?><root/>", "part.xml", complete=False)


def _pad_part_with_dtd(data: bytes, part: str, padding: bytes) -> bytes:
    """Put `padding` and a DTD declaring a growing entity in front of `part`, and use the
    entity in the part's text, as an attacker would."""
    dtd = (
        b'<!DOCTYPE x [<!ENTITY a "' + b"a" * 1000 + b'">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == part:
                content = content.replace("Hỏi?".encode(), b"&b;", 1)
                content = content.replace(b"H&#7887;i?", b"&b;", 1)
                if content.startswith(b"<?xml"):
                    content = content.split(b"?>", 1)[1]
                content = padding + dtd + content
                # Stored, so the compression-ratio rule does not refuse it first.
                target.writestr(info.filename, content, zipfile.ZIP_STORED)
                continue
            target.writestr(info, content)
    return out.getvalue()


def test_a_dtd_behind_whitespace_padding_is_refused_in_every_office_part():
    """Issue 13, finding 7: 4 KiB of leading whitespace used to skip the DTD check, and expat
    then expanded the entity (a 5 KB file stored a 1,000,038-character stem)."""
    cases = (
        ("xlsx", "xl/worksheets/sheet1.xml"),
        ("xlsx", "xl/sharedStrings.xml"),
        ("docx", "word/document.xml"),
    )
    for padding in (b" " * 5000, b"\n" * 4096, b"\t \r\n" * 300_000):
        for kind, part in cases:
            data = office_bytes(kind)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if part not in archive.namelist():
                    continue
            evil = _pad_part_with_dtd(data, part, padding)
            result = parse_file(evil, f"evil.{kind}")
            stems = [q.stem for q in result.questions]
            assert all(len(s) < 1000 for s in stems), (kind, part, len(padding))
            assert result.questions == [], (kind, part, len(padding))
            assert "DTD" in result.errors[0].message_en, (kind, part, len(padding))


def test_a_moodle_xml_dtd_behind_whitespace_is_refused():
    xml = (
        b" "
        * 5000
        + b'<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa">]><quiz><question type="multichoice">'
        b"<name><text>q</text></name><questiontext><text>&a;</text></questiontext>"
        b'<answer fraction="100"><text>x</text></answer><answer fraction="0"><text>y</text></answer>'
        b"</question></quiz>"
    )
    result = parse_file(xml, "evil.xml")
    assert result.questions == [] and "DTD" in result.errors[0].message_en
