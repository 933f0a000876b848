"""Small picture files for the tests, made on the fly (no binary fixtures to keep)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def sign(color: str = "red", size: tuple[int, int] = (640, 400), fmt: str = "PNG", **save) -> bytes:
    """A road-sign-like drawing: a coloured disc with a bar, on white."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse([w // 4, h // 8, w * 3 // 4, h * 7 // 8], fill=color)
    draw.rectangle([w // 3, h // 2 - h // 16, w * 2 // 3, h // 2 + h // 16], fill="white")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def photo_with_exif(size: tuple[int, int] = (800, 600), orientation: int = 6) -> bytes:
    """A JPEG whose EXIF says 'turn me' and carries a GPS position and a camera name."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle([0, 0, size[0] // 2, size[1]], fill="navy")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0110] = "Camera of a secret owner"
    exif[0x8825] = {1: "N", 2: (21.0, 51.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()
