"""Pictures of questions: any file a bank carries decoded and re-encoded small for cheap phones.

A picture from a file (xlsx, docx, Moodle XML, GIFT data: URI, an upload on the bank page) is
never served as it came: Pillow decodes it under a byte and a pixel cap (a decompression bomb
is refused before its pixels are read), turns it upright from its EXIF orientation, drops every
piece of metadata (EXIF with GPS, ICC, XMP, comments) and encodes it again:

- WebP at most ``WIDTH`` px wide (never enlarged), at most ``BUDGET_BYTES`` — what the
  attempt page sends to a phone. WebP is 25–35 % smaller than JPEG at the same quality on the
  screenshots and diagrams of provincial banks (bench/bench_weight.py prints both), and every
  browser a participant uses reads it (Chrome/Android since 2014, Safari since iOS 14);
- JPEG at the same size within the same budget, for the older iPhones (iOS 12–13) that a
  ``<picture>`` element sends to it;
- WebP at twice the width for sharp screens, kept only when it too stays within the budget,
  so a phone never fetches more than ``BUDGET_BYTES`` for one picture.

The name of a picture is the SHA-256 of its WebP bytes: the same picture in two banks (or
twice in one file) is stored once, and its URL never changes, so it is cached for a year.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from contest.text import normalize_text

WIDTH = 480
BUDGET_BYTES = 30 * 1024
MAX_SOURCE_BYTES = 10 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # e.g. 8000 x 5000; a 40-megapixel decode holds ~160 MB
MIN_WIDTH = 160  # shrinking a picture below this to meet the budget makes it unreadable
ALT_MAX = 300
_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
_WEBP_QUALITIES = (75, 60, 45, 30)
_JPEG_QUALITIES = (75, 60, 45, 30)

MEDIA_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}


class PictureRefused(Exception):
    """The picture cannot be used; the reason in Vietnamese and English."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class EncodedPicture:
    """A picture ready to store: its name (``sha256``), size on screen and its encodings."""

    sha256: str
    width: int
    height: int
    webp: bytes
    jpeg: bytes
    webp_2x: bytes | None = None

    @property
    def files(self) -> dict[str, bytes]:
        """File name suffix -> bytes, as the store keeps and the web serves them."""
        out = {"webp": self.webp, "jpg": self.jpeg}
        if self.webp_2x is not None:
            out["2x.webp"] = self.webp_2x
        return out


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_SOURCE_BYTES:
        raise PictureRefused(
            f"hình quá lớn ({len(data) // 1024 // 1024} MB; tối đa {MAX_SOURCE_BYTES // 1024 // 1024} MB)",
            f"the picture is too large ({len(data) // 1024 // 1024} MB; at most {MAX_SOURCE_BYTES // 1024 // 1024} MB)",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            # The header alone gives the size: refuse a bomb before decoding a single pixel.
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise PictureRefused(
                    f"hình có quá nhiều điểm ảnh ({image.width}×{image.height}; tối đa {MAX_SOURCE_PIXELS // 1_000_000} triệu)",
                    f"the picture has too many pixels ({image.width}×{image.height}; at most {MAX_SOURCE_PIXELS // 1_000_000} million)",
                )
            image.load()
    except PictureRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PictureRefused(
            "hình có quá nhiều điểm ảnh", "the picture has too many pixels"
        ) from exc
    except UnidentifiedImageError as exc:
        raise PictureRefused(
            "không đọc được hình (chỉ nhận PNG, JPEG, GIF, WebP, BMP, TIFF; hình EMF/WMF của Word cần lưu lại thành PNG)",
            "the picture cannot be read (only PNG, JPEG, GIF, WebP, BMP, TIFF; a Word EMF/WMF drawing must be saved as PNG)",
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or damaged data
        raise PictureRefused("hình bị hỏng", "the picture is damaged") from exc
    return image


def _upright(image: Image.Image) -> Image.Image:
    """First frame, turned by its EXIF orientation, in RGB or RGBA, with no metadata left."""
    try:
        image = ImageOps.exif_transpose(image)
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        SyntaxError,
    ):  # a broken EXIF block only loses its orientation
        pass
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    image.info = {}
    return image


def _scaled(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    scaled = image.resize((width, height), Image.Resampling.LANCZOS)
    scaled.info = {}
    return scaled


def _webp(image: Image.Image, budget: int) -> bytes | None:
    for quality in _WEBP_QUALITIES:
        out = io.BytesIO()
        image.save(out, "WEBP", quality=quality, method=4)
        if out.tell() <= budget:
            return out.getvalue()
    return None


def _jpeg(image: Image.Image, budget: int) -> bytes | None:
    if image.mode == "RGBA":  # JPEG has no transparency: a white page behind it
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    for quality in _JPEG_QUALITIES:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= budget:
            return out.getvalue()
    return None


def encode_picture(data: bytes, *, budget: int = BUDGET_BYTES) -> EncodedPicture:
    """Decode ``data`` and encode it for phones; raises ``PictureRefused`` with the reason."""
    image = _upright(_open(data))
    width = min(WIDTH, image.width)
    while True:
        small = _scaled(image, width)
        webp, jpeg = _webp(small, budget), _jpeg(small, budget)
        if webp is not None and jpeg is not None:
            break
        width = int(width * 0.8)
        if width < MIN_WIDTH:
            raise PictureRefused(
                f"hình quá chi tiết để nén dưới {budget // 1024} KB ở khổ màn hình điện thoại; hãy cắt bớt hoặc đơn giản hoá hình",
                f"the picture is too detailed to fit {budget // 1024} KB at phone width; crop or simplify it",
            )
    double = None
    if image.width >= 2 * small.width * 0.9:  # a sharper copy only when the source has the pixels
        double = _webp(_scaled(image, 2 * small.width), budget)
    return EncodedPicture(
        sha256=hashlib.sha256(webp).hexdigest(),
        width=small.width,
        height=small.height,
        webp=webp,
        jpeg=jpeg,
        webp_2x=double,
    )


def clean_alt(alt: object) -> str:
    """Alt text as a page shows it: one line, trimmed, at most ``ALT_MAX`` characters."""
    return normalize_text(alt)[:ALT_MAX]
