"""Gettext catalogs (English source strings, Vietnamese catalog) read from .po files with Babel."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from contest.config import PACKAGE_DIR

LANGUAGES = ("vi", "en")
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


class Catalog:
    """Lookups from a .po file: no compiled .mo to go stale beside its source."""

    def __init__(self, messages: dict[str, str]) -> None:
        self.messages = messages

    def gettext(self, message: str, **values: object) -> str:
        text = self.messages.get(message) or message
        return text % values if values else text


@lru_cache
def catalog(lang: str) -> Catalog:
    po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.exists():
        return Catalog({})
    with Path(po).open("rb") as fh:
        parsed = read_po(fh, locale=lang)
    return Catalog(
        {
            m.id: m.string
            for m in parsed
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
        }
    )


def pick_language(cookie_value: str | None, default: str = "vi") -> str:
    return cookie_value if cookie_value in LANGUAGES else default
