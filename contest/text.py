"""Text clean-up shared by importers, exporters and services: NFC, whitespace, HTML sanitising, labels."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "sub", "sup", "br", "p", "code", "pre"})

_SPACE = re.compile(r"\s+")
# Control and zero-width characters cannot be typed on purpose and openpyxl refuses
# control characters, so they become spaces (and then collapse) on the way in.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2028\u2029\ufeff\ufffe\uffff]")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")


def normalize_text(value: object) -> str:
    """NFC, invisible characters removed, whitespace runs collapsed, trimmed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    # Printable text has no whitespace but the ASCII space, so only doubled or
    # outer spaces could need work; most cells of a large bank take this path.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    text = _INVISIBLE.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def optional_text(value: object) -> str | None:
    return normalize_text(value) or None


def fold(value: str) -> str:
    """Lower case, diacritics and everything but letters and digits removed: for matching labels only."""
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text))


_TAG_NAME = re.compile(r"<\s*([A-Za-z][A-Za-z0-9]*)\b")


def removed_tags(text: str) -> list[str]:
    """Names of the HTML elements in ``text`` that ``sanitize_html`` drops, sorted."""
    if "<" not in text:
        return []
    return sorted({name.lower() for name in _TAG_NAME.findall(text)} - ALLOWED_TAGS)


def sanitize_html(text: str) -> str:
    """Keep only the small set of harmless formatting tags, without attributes; NFC and collapsed."""
    cleaned = nh3.clean(
        unicodedata.normalize("NFC", text),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={},
        link_rel=None,
        strip_comments=True,
    )
    return normalize_text(cleaned)


def plain_to_html(text: str) -> str:
    return html.escape(text, quote=False)


_DIFFICULTY_LABELS = {
    "easy": {"de", "nhanbiet", "easy", "1", "muc1", "biet", "nb", "coban"},
    "medium": {"trungbinh", "thonghieu", "medium", "2", "muc2", "tb", "hieu", "th", "vua", "kha"},
    "hard": {
        "kho",
        "vandung",
        "vandungcao",
        "hard",
        "3",
        "muc3",
        "vd",
        "vdc",
        "nangcao",
        "rattkho",
        "ratkho",
    },
}
_DIFFICULTY_BY_LABEL = {
    label: code for code, labels in _DIFFICULTY_LABELS.items() for label in labels
}


def difficulty_code(label: object) -> str | None:
    """Map a Vietnamese or English difficulty label (or 1/2/3) to easy/medium/hard.

    Returns None for an empty label; raises ValueError for a label it does not know.
    """
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    text = normalize_text(label)
    if not text:
        return None
    code = _DIFFICULTY_BY_LABEL.get(fold(text))
    if code is None:
        raise ValueError(text)
    return code


def unknown_difficulty(label: str) -> tuple[str, str]:
    return (
        f"'{label}' không phải là mức độ đã biết (Dễ/Nhận biết, Trung bình/Thông hiểu, Khó/Vận dụng, 1/2/3)",
        f"'{label}' is not a known difficulty (easy, medium, hard, or 1/2/3)",
    )
