"""Checks that refuse hostile or oversized files before any parser touches them."""

from __future__ import annotations

import codecs
import io
import zipfile
import zlib

from contest.importers.base import FileRefused, ImportLimits

_MB = 1024 * 1024
# A single small part may compress very well (a sheet of repeated labels) without being
# a bomb; the ratio rule only bites once a part is large enough to hurt.
_RATIO_FLOOR_BYTES = 1 * _MB
_MAX_ENTRIES = 10_000
_PROLOG_SCAN_BYTES = 1 * _MB
# What may precede an XML document's first markup: XML's own blanks and a byte-order mark.
_XML_SPACE = "\ufeff \t\r\n"


def check_size(data: bytes, limits: ImportLimits) -> None:
    if len(data) > limits.max_bytes:
        raise FileRefused(
            "file",
            f"Tệp quá lớn ({len(data) / _MB:.1f} MB); tối đa {limits.max_bytes / _MB:.0f} MB",
            f"The file is too large ({len(data) / _MB:.1f} MB); the limit is {limits.max_bytes / _MB:.0f} MB",
        )


def _bomb(detail_vi: str, detail_en: str) -> FileRefused:
    return FileRefused(
        "file",
        f"Tệp bị từ chối vì có dấu hiệu là 'bom nén' (zip bomb): {detail_vi}",
        f"The file is refused because it looks like a zip bomb: {detail_en}",
    )


def open_office_zip(data: bytes, limits: ImportLimits, kind: str) -> zipfile.ZipFile:
    """Open an .xlsx/.docx container after checking declared sizes, ratios and XML prologs.

    zipfile never returns more than an entry's declared size, so checking the
    declared sizes bounds what any later reader can inflate.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(
            "file",
            f"Tệp không phải là tệp {kind} hợp lệ (tệp hỏng hoặc sai định dạng)",
            f"The file is not a valid {kind} file (damaged or of another format)",
        ) from exc
    if len(entries) > _MAX_ENTRIES:
        raise _bomb(f"có {len(entries)} thành phần", f"it has {len(entries)} parts")
    total = 0
    for info in entries:
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise _bomb(
                f"khi giải nén vượt quá {limits.max_uncompressed_bytes // _MB} MB",
                f"it would inflate beyond {limits.max_uncompressed_bytes // _MB} MB",
            )
        if (
            info.file_size > _RATIO_FLOOR_BYTES
            and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
        ):
            raise _bomb(
                f"thành phần '{info.filename}' nén với tỉ lệ trên {limits.max_compression_ratio}:1",
                f"part '{info.filename}' is compressed more than {limits.max_compression_ratio}:1",
            )
    for info in entries:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as part:
                _check_part(part, info.filename)
        except (
            zipfile.BadZipFile,
            OSError,
            RuntimeError,
            NotImplementedError,
            EOFError,
            ValueError,
            zlib.error,
        ) as exc:
            raise FileRefused(
                "file",
                f"Tệp {kind} bị hỏng: không đọc được '{info.filename}'",
                f"The {kind} file is damaged: '{info.filename}' cannot be read",
            ) from exc
    return archive


def _check_part(part, name: str) -> None:
    """Refuse a part whose prolog declares a DTD, however much whitespace comes first.

    Any part may be XML whatever its name; a part is taken for XML when its first character
    after whitespace is '<' (images and the like are skipped). The whitespace is read to its
    end, not for a fixed number of bytes: a DTD behind 4 KiB of blanks once slipped through.
    """
    head = part.read(4096)
    while True:
        text = _decode_head(head).lstrip(_XML_SPACE)
        if text or len(head) >= _PROLOG_SCAN_BYTES:
            break
        more = part.read(4096)
        if not more:
            return  # a part of whitespace only: nothing for a parser to expand
        head += more
    if not text:
        raise dtd_refused(name)  # a megabyte of blanks is no Office part
    if text.startswith("<"):
        more = part.read(_PROLOG_SCAN_BYTES)
        refuse_dtd(head + more, name, complete=len(more) < _PROLOG_SCAN_BYTES)


def dtd_refused(where: str) -> FileRefused:
    return FileRefused(
        "file",
        f"Tệp bị từ chối: '{where}' chứa khai báo DTD/ENTITY (có thể là tấn công XML)",
        f"The file is refused: '{where}' contains a DTD/ENTITY declaration (a possible XML attack)",
    )


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    if len(head) > 1 and (head[0] == 0 or head[1] == 0):
        return head.decode("utf-16-be" if head[0] == 0 else "utf-16-le", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def refuse_dtd(head: bytes, where: str, *, complete: bool = True) -> None:
    """Refuse an XML document whose prolog (before the root element) declares a DTD.

    Entities can only be declared in a DTD, so no DTD means no entity expansion attack.
    ``head`` is the start of the document; when it is not ``complete`` and the prolog
    runs past it (a DTD hidden behind a megabyte of comments), the part is refused too.
    """
    text = _decode_head(head).lstrip("\ufeff")
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("<?", i):
            end = text.find("?>", i)
            if end < 0:
                break
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            if end < 0:
                break
            i = end + 3
        elif text.startswith("<!", i):
            raise dtd_refused(where)
        else:
            return
    if not complete:
        raise dtd_refused(where)


def decode_text(data: bytes, *, kind: str) -> str:
    """UTF-8 (BOM or not) or UTF-16 with a BOM; anything else is refused with advice."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRefused(
                "file",
                "Tệp UTF-16 bị hỏng, không giải mã được",
                "The UTF-16 file is damaged and cannot be decoded",
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        saved_as = 'Excel: Lưu thành > "CSV UTF-8 (Comma delimited)"' if kind == "CSV" else "UTF-8"
        saved_as_en = (
            'in Excel: Save As > "CSV UTF-8 (Comma delimited)"' if kind == "CSV" else "as UTF-8"
        )
        raise FileRefused(
            "file",
            f"Tệp {kind} không phải mã UTF-8 (dòng {line} có byte không hợp lệ; có thể tệp được lưu theo "
            f"bảng mã Windows-1258 hoặc TCVN3). Hãy lưu lại tệp dạng {'CSV UTF-8' if kind == 'CSV' else 'UTF-8'} "
            f"({saved_as}) rồi nhập lại",
            f"The {kind} file is not UTF-8 (line {line} has invalid bytes; it was probably saved as "
            f"Windows-1258 or TCVN3). Save it {saved_as_en} and import it again",
        ) from exc
