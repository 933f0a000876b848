"""Registers the vendored Vietnamese fonts with reportlab, once per process."""

from __future__ import annotations

import threading
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

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


def _vietnamese_letters() -> str:
    """Every precomposed Vietnamese letter outside ASCII, lower and upper case, and đ/Đ."""
    letters: list[str] = []
    for base in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            letter = unicodedata.normalize("NFC", base + tone)
            for form in (letter, letter.upper()):
                if ord(form) > 127 and form not in letters:
                    letters.append(form)
    return "".join(letters) + "đĐ"


# Characters every certificate's font subsets hold, assigned first and in this order, so
# that almost every certificate embeds exactly the same subset of each font: the subset is
# then built and compressed once per process instead of once per PDF (most of the cost of
# a one-page PDF). A character outside this list (a foreign name) is simply added after
# them and costs one fresh subset, as before.
REPERTOIRE = _vietnamese_letters() + "–—‘’“”…·°"

# Font subsets built, compressed and formatted once per process. Every PDF object of a font
# subset but the references between them is the same in every document that embeds that
# subset, so each is formatted once and only the object numbers are filled in per document.
_FONT_FILES: dict[tuple[str, tuple[int, ...]], bytes] = {}
_CMAPS: dict[tuple[str, tuple[int, ...]], bytes] = {}
_DESCRIPTORS: dict[tuple[str, str], _Template] = {}
_FONTS: dict[tuple[str, int, str, tuple[int, ...]], _Template] = {}
_CACHE_LIMIT = 64


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()  # a run of unusual names: start again rather than grow without end
    cache[key] = value
    return value


def _flate_stream(compressed: bytes, **entries: object) -> pdfdoc.PDFStream:
    """A stream whose content is already Flate-compressed: reportlab adds no filter."""
    stream = pdfdoc.PDFStream()
    stream.content = compressed
    for key, value in entries.items():
        stream.dictionary[key] = value
    stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    return stream


class _Formatted(pdfdoc.PDFObject):
    """A PDF object formatted once (it holds no references), written as those bytes."""

    def __init__(self, formatted: bytes) -> None:
        self.formatted = formatted

    def format(self, document: Any) -> bytes:
        return self.formatted


class _Template:
    """A PDF object formatted once with a marker for each reference it holds.

    A document writes it with the markers replaced by the references' object numbers there.
    Formatting by reportlab's generic code costs far more than this replacement, and a font
    subset's objects are written into every certificate.
    """

    def __init__(self, build: pdfdoc.PDFObject, names: tuple[str, ...]) -> None:
        self.markers = tuple(f"\x00{name}\x00".encode() for name in names)
        self.formatted = build.format(None)

    def bind(self, *references: pdfdoc.PDFObjectReference) -> pdfdoc.PDFObject:
        return _Bound(self, references)


class _Bound(pdfdoc.PDFObject):
    __RefOnly__ = 1  # as reportlab's font objects: a dictionary holding one refers to it

    def __init__(
        self, template: _Template, references: tuple[pdfdoc.PDFObjectReference, ...]
    ) -> None:
        self.template = template
        self.references = references

    def format(self, document: Any) -> bytes:
        formatted = self.template.formatted
        for marker, reference in zip(self.template.markers, self.references):
            formatted = formatted.replace(marker, reference.format(document))
        return formatted


def _marker(name: str) -> _Formatted:
    return _Formatted(f"\x00{name}\x00".encode())


class CachedTTFont(TTFont):
    """A TrueType font whose embedded subsets are built and formatted once per process.

    The PDF objects are the ones reportlab's `TTFont.addObjects` writes (font, widths,
    ToUnicode map, descriptor, subset font file), byte for byte; they come from a
    per-process cache keyed by the exact subset, with only the object numbers of the
    references between them filled in per document.
    """

    def addObjects(self, doc: Any) -> None:
        if not doc.compression:
            super().addObjects(doc)
            return
        state = self.state.get(doc)
        if state is None:  # as reportlab's own addObjects: a font named but never drawn
            state = self.state[doc] = TTFont.State(self._asciiReadable)
        state.frozen = 1
        face = self.face
        for n, subset in enumerate(state.subsets):
            key = tuple(subset)
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_font_name = (b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX))).decode(
                "pdfdoc"
            )
            cmap = _CMAPS.get((base_font_name, key))
            if cmap is None:
                raw = makeToUnicodeCMap(base_font_name, subset)
                stream = _flate_stream(zlib.compress(raw.encode()))
                cmap = _remember(_CMAPS, (base_font_name, key), stream.format(doc))
            cmap_ref = doc.Reference(_Formatted(cmap), "toUnicodeCMap:" + base_font_name)

            program = _FONT_FILES.get((face.filename, key))
            if program is None:
                raw_program = face.makeSubset(subset)
                stream = _flate_stream(zlib.compress(raw_program), Length1=len(raw_program))
                program = _remember(_FONT_FILES, (face.filename, key), stream.format(doc))
            font_file_ref = doc.Reference(
                _Formatted(program), f"fontFile:{face.filename}({base_font_name})"
            )

            descriptor = _DESCRIPTORS.get((face.filename, base_font_name))
            if descriptor is None:
                flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
                descriptor = _remember(
                    _DESCRIPTORS,
                    (face.filename, base_font_name),
                    _Template(
                        pdfdoc.PDFDictionary(
                            {
                                "Type": "/FontDescriptor",
                                "Ascent": face.ascent,
                                "CapHeight": face.capHeight,
                                "Descent": face.descent,
                                "Flags": flags,
                                "FontBBox": pdfdoc.PDFArray(face.bbox),
                                "FontName": pdfdoc.PDFName(base_font_name),
                                "ItalicAngle": face.italicAngle,
                                "StemV": face.stemV,
                                "FontFile2": _marker("FontFile2"),
                                "MissingWidth": face.defaultWidth,
                            }
                        ),
                        ("FontFile2",),
                    ),
                )
            descriptor_ref = doc.Reference(
                descriptor.bind(font_file_ref), "fontDescriptor:" + base_font_name
            )

            font_key = (face.filename, n, internal_name, key)
            font = _FONTS.get(font_key)
            if font is None:
                pdf_font = pdfdoc.PDFTrueTypeFont()
                pdf_font.Name = internal_name
                pdf_font.BaseFont = base_font_name
                pdf_font.FirstChar = 0
                pdf_font.LastChar = len(subset) - 1
                pdf_font.Widths = pdfdoc.PDFArray(list(map(face.getCharWidth, subset)))
                pdf_font.ToUnicode = _marker("ToUnicode")
                pdf_font.FontDescriptor = _marker("FontDescriptor")
                font = _remember(
                    _FONTS, font_key, _Template(pdf_font, ("ToUnicode", "FontDescriptor"))
                )
            pdf_font_object = font.bind(cmap_ref, descriptor_ref)
            doc.Reference(pdf_font_object, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font_object
        del self.state[doc]


_SEEDED: dict[str, Any] = {}  # font name -> its state after assigning REPERTOIRE in a document


def seed_subsets(doc: Any, fonts: FontFamily) -> None:
    """Assign `REPERTOIRE` the first codes of each font of `fonts` in `doc` (see above).

    The assignment is worked out once per process and copied into each new document.
    """
    for name in (fonts.regular, fonts.bold, fonts.italic):
        font = pdfmetrics.getFont(name)
        if doc in font.state:
            continue
        seeded = _SEEDED.get(name)
        if seeded is None:
            font.splitString(REPERTOIRE, doc)
            seeded = _SEEDED[name] = font.state[doc]
            font.state[doc] = _copy_state(font, seeded)
            continue
        font.state[doc] = _copy_state(font, seeded)


def _copy_state(font: TTFont, seeded: Any) -> Any:
    state = TTFont.State(font._asciiReadable, font)
    state.assignments = dict(seeded.assignments)
    state.subsets = [list(subset) for subset in seeded.subsets]
    state.nextCode = seeded.nextCode
    return state


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
                pdfmetrics.registerFont(CachedTTFont(name, str(FONTS_DIR / filename)))
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
