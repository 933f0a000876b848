"""Registers the vendored Vietnamese fonts with reportlab, once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"


@dataclass(frozen=True)
class FontFamily:
    regular: str
    bold: str
    italic: str


# Names are ours, not the fonts' own, so they cannot collide with anything else a process
# registers with reportlab's global font table.
_FILES = {
    "serif": {
        "ContestSerif": "NotoSerif_400Regular.ttf",
        "ContestSerif-Bold": "NotoSerif_700Bold.ttf",
        "ContestSerif-Italic": "NotoSerif_400Regular_Italic.ttf",
    },
    "sans": {
        "ContestSans": "BeVietnamPro_400Regular.ttf",
        "ContestSans-Bold": "BeVietnamPro_700Bold.ttf",
        "ContestSans-Italic": "BeVietnamPro_400Regular_Italic.ttf",
    },
}

FAMILIES = {
    "serif": FontFamily("ContestSerif", "ContestSerif-Bold", "ContestSerif-Italic"),
    "sans": FontFamily("ContestSans", "ContestSans-Bold", "ContestSans-Italic"),
}

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Load every vendored TTF into reportlab; later calls cost nothing.

    Parsing the TTF files takes a noticeable fraction of a second, so it must happen once
    per process (a pool initialiser calls this), never once per certificate.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for files in _FILES.values():
            for name, filename in files.items():
                pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / filename)))
        for family in FAMILIES.values():
            pdfmetrics.registerFontFamily(
                family.regular,
                normal=family.regular,
                bold=family.bold,
                italic=family.italic,
                boldItalic=family.bold,
            )
        _registered = True


def family(name: str) -> FontFamily:
    """The registered family called `name` ("serif" or "sans")."""
    register_fonts()
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(
            f"unknown font family {name!r}; choose one of {sorted(FAMILIES)}"
        ) from None
