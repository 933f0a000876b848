"""Pictures are decoded and re-encoded small, upright and without metadata, or refused with a reason."""

import io
import struct
import zlib

import pytest
from picture_files import photo_with_exif, sign
from PIL import Image

from contest.pictures import BUDGET_BYTES, WIDTH, PictureRefused, encode_picture


def test_a_large_drawing_becomes_a_small_webp_and_jpeg_at_phone_width():
    picture = encode_picture(sign(size=(1600, 1000)))
    assert (picture.width, picture.height) == (WIDTH, 300)
    assert picture.webp[:4] == b"RIFF" and picture.webp[8:12] == b"WEBP"
    assert picture.jpeg[:2] == b"\xff\xd8"
    assert len(picture.webp) <= BUDGET_BYTES and len(picture.jpeg) <= BUDGET_BYTES
    assert picture.webp_2x is not None and len(picture.webp_2x) <= BUDGET_BYTES
    assert Image.open(io.BytesIO(picture.webp_2x)).size == (2 * WIDTH, 600)


def test_a_small_picture_is_never_enlarged_and_has_no_2x_copy():
    picture = encode_picture(sign(size=(200, 120)))
    assert (picture.width, picture.height) == (200, 120)
    assert picture.webp_2x is None


def test_the_same_picture_gets_the_same_name():
    assert encode_picture(sign()).sha256 == encode_picture(sign()).sha256
    assert encode_picture(sign()).sha256 != encode_picture(sign("blue")).sha256


def test_exif_is_dropped_and_the_photo_turned_upright():
    picture = encode_picture(photo_with_exif(size=(800, 600), orientation=6))
    # Orientation 6 is "turn 90° clockwise": the 800×600 photo stands 600×800, shown 480×640.
    assert (picture.width, picture.height) == (480, 640)
    for data in (picture.webp, picture.jpeg):
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), "EXIF survived"
        assert b"secret owner" not in data and b"Exif" not in data
        assert "icc_profile" not in image.info


@pytest.mark.parametrize("side", [7000, 20000])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_read(side):
    # A PNG header claiming side×side pixels, with almost no data behind it.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(PictureRefused) as refused:
        encode_picture(bomb)
    assert "quá nhiều điểm ảnh" in refused.value.message_vi
    assert "too many pixels" in refused.value.message_en


@pytest.mark.parametrize(
    ("data", "reason_en"),
    [
        (b"not a picture at all", "cannot be read"),
        (b"\x01\x00\x09\x00\x00\x03" + b"\0" * 40, "EMF/WMF"),  # a Word metafile
        (sign(fmt="PNG")[:200], "damaged"),
        (b"\0" * (11 * 1024 * 1024), "too large"),
    ],
)
def test_what_cannot_be_a_picture_is_refused_in_both_languages(data, reason_en):
    with pytest.raises(PictureRefused) as refused:
        encode_picture(data)
    assert reason_en in refused.value.message_en and refused.value.message_vi


def test_noise_that_cannot_fit_the_budget_is_shrunk_until_it_does():
    image = Image.effect_noise((1200, 900), 90).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    picture = encode_picture(out.getvalue())
    assert len(picture.webp) <= BUDGET_BYTES and len(picture.jpeg) <= BUDGET_BYTES
    assert picture.width <= WIDTH


def test_transparent_pictures_keep_alpha_in_webp_and_get_a_white_page_in_jpeg():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (50, 50, 250, 150))
    out = io.BytesIO()
    image.save(out, "PNG")
    picture = encode_picture(out.getvalue())
    assert Image.open(io.BytesIO(picture.webp)).mode == "RGBA"
    jpeg = Image.open(io.BytesIO(picture.jpeg)).convert("RGB")
    assert jpeg.getpixel((5, 5))[0] > 240  # the transparent corner is white, not black
