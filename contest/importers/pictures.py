"""Pictures found in a bank file, made ready for phones, with every problem reported at its place."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote

from contest.drafts import Location, PictureDraft
from contest.importers.base import ImportIssue, ParseResult, make_issue
from contest.pictures import EncodedPicture, PictureRefused, clean_alt, encode_picture


@dataclass(frozen=True)
class SourcePicture:
    """A picture as a file holds it, before decoding: its bytes, its description and its name."""

    data: bytes
    alt: str
    name: str


# Pictures anchored in a table: (row number as the user sees it, 0-based column) -> pictures.
CellPictures = Mapping[tuple[int, int], Sequence[SourcePicture]]


_recent: OrderedDict[str, EncodedPicture | PictureRefused] = OrderedDict()
_recent_bytes = 0
_recent_lock = threading.Lock()
_RECENT_MAX_BYTES = 64 * 1024 * 1024


def _encoded(digest: str, data: bytes) -> EncodedPicture | PictureRefused:
    """Encoding a picture takes a CPU moment; the preview and the import that follows it read
    the same file, so this process remembers the last pictures it encoded."""
    global _recent_bytes
    with _recent_lock:
        if digest in _recent:
            _recent.move_to_end(digest)
            return _recent[digest]
    try:
        done: EncodedPicture | PictureRefused = encode_picture(data)
    except PictureRefused as refused:
        done = refused
    size = sum(len(b) for b in done.files.values()) if isinstance(done, EncodedPicture) else 0
    with _recent_lock:
        if digest not in _recent:
            _recent[digest] = done
            _recent_bytes += size
            while _recent_bytes > _RECENT_MAX_BYTES and _recent:
                _, old = _recent.popitem(last=False)
                if isinstance(old, EncodedPicture):
                    _recent_bytes -= sum(len(b) for b in old.files.values())
    return done


class PictureReader:
    """Encodes the pictures of one file; the same bytes twice in a file are encoded once."""

    def __init__(self, result: ParseResult) -> None:
        self.result = result
        self._done: dict[str, EncodedPicture | PictureRefused] = {}

    def read(
        self, data: bytes, alt: object, where: Location, field: str | None, name: str = ""
    ) -> PictureDraft | None:
        """The picture, or None with an error added (the import then stops: a question that
        lost its picture could no longer be answered)."""
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._done:
            self._done[digest] = _encoded(digest, data)
        done = self._done[digest]
        named = f" '{name}'" if name else ""
        if isinstance(done, PictureRefused):
            self.result.errors.append(
                make_issue(
                    where,
                    field,
                    f"hình{named}: {done.message_vi}",
                    f"picture{named}: {done.message_en}",
                )
            )
            return None
        text = meaningful_alt(alt)
        if not text:
            self.result.warnings.append(missing_alt(where, field, name))
        return PictureDraft(done, text)

    def from_html(
        self,
        html: str,
        where: Location,
        field: str | None,
        files: Mapping[str, bytes] | None = None,
    ) -> tuple[str, tuple[PictureDraft, ...]]:
        """``html`` without its <img> tags, and the pictures they showed: a data: URI, or a
        Moodle ``@@PLUGINFILE@@/name`` found in ``files``. A picture that cannot be had is an
        error naming its address."""
        rest, tags = take_images(html)
        found: list[PictureDraft] = []
        for tag in tags:
            data = picture_source(tag.src, files or {})
            shown = tag.src if len(tag.src) <= 80 else tag.src[:77] + "…"
            if data is None:
                self.result.errors.append(
                    make_issue(
                        where,
                        field,
                        f"không lấy được hình '{shown}': hình phải nằm trong tệp (data: URI hoặc tệp @@PLUGINFILE@@ kèm theo), không tải từ địa chỉ ngoài",
                        f"the picture '{shown}' cannot be had: it must be inside the file (a data: URI or an attached @@PLUGINFILE@@ file), never fetched from elsewhere",
                    )
                )
                continue
            name = unquote(tag.src.rsplit("/", 1)[-1]) if not tag.src.startswith("data:") else ""
            picture = self.read(data, tag.alt or tag.title, where, field, name)
            if picture is not None:
                found.append(picture)
        return rest, tuple(found)


_GENERIC_ALT = re.compile(
    r"(?:picture|image|img|photo|graphic|hình|hình ảnh|ảnh|untitled)[\s_-]*\d*(?:\.\w{3,4})?",
    re.IGNORECASE,
)


def meaningful_alt(alt: object) -> str:
    """Alt text as written, or "" for the names programs make up ("Picture 3", "image1.png")."""
    text = clean_alt(alt)
    return "" if _GENERIC_ALT.fullmatch(text) else text


def missing_alt(where: Location, field: str | None, name: str = "") -> ImportIssue:
    named = f" '{name}'" if name else ""
    return make_issue(
        where,
        field,
        f"hình{named} không có mô tả (alt) cho người không xem được hình; hãy thêm mô tả trên trang ngân hàng câu hỏi",
        f"picture{named} has no alt text for people who cannot see it; add one on the question bank page",
    )


def picture_names(pictures: tuple[PictureDraft, ...]) -> str:
    """What tells two options' pictures apart (for the repeated-option check)."""
    return ",".join(p.picture.sha256 for p in pictures)


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_DATA_URI = re.compile(r"data:image/[a-z0-9.+-]+;base64,(.*)", re.IGNORECASE | re.DOTALL)
PLUGINFILE = "@@PLUGINFILE@@/"


class ImageTag:
    """One <img> as written: where its picture is and what it says."""

    def __init__(self, src: str, alt: str, title: str) -> None:
        self.src, self.alt, self.title = src, alt, title


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs = {k.lower(): v or "" for k, v in attrs}

    handle_startendtag = handle_starttag


def take_images(html: str) -> tuple[str, list[ImageTag]]:
    """``html`` with its <img> tags taken out, and those tags."""
    tags: list[ImageTag] = []

    def take(match: re.Match[str]) -> str:
        parser = _Attributes()
        parser.feed(match.group(0))
        parser.close()
        a = parser.attrs
        tags.append(ImageTag(a.get("src", "").strip(), a.get("alt", ""), a.get("title", "")))
        return ""

    if "<" not in html:
        return html, []
    return _IMG.sub(take, html), tags


def picture_source(src: str, files: Mapping[str, bytes]) -> bytes | None:
    """The bytes an <img src> names inside the file, or None."""
    match = _DATA_URI.fullmatch(src)
    if match:
        try:
            return base64.b64decode(re.sub(r"\s+", "", match.group(1)), validate=True)
        except (binascii.Error, ValueError):
            return None
    if src.startswith(PLUGINFILE):
        name = unquote(src[len(PLUGINFILE) :].split("?", 1)[0]).lstrip("/")
        return files.get(name) or files.get(name.rsplit("/", 1)[-1])
    return None
