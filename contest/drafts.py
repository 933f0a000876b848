"""Question drafts: a bank as importers read it and exporters write it, with no database."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from contest.pictures import EncodedPicture
from contest.text import normalize_text

TEXT_PLAIN = "plain"
TEXT_HTML = "html"
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Location:
    """Where a question or a problem is in the file, as the user sees it."""

    file: str
    sheet: str | None = None
    row: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class PictureDraft:
    """A picture of a stem or an option, encoded for phones; ``alt`` is "" when the file had none."""

    picture: EncodedPicture
    alt: str = ""


@dataclass(frozen=True)
class OptionDraft:
    text: str
    correct: bool
    pictures: tuple[PictureDraft, ...] = ()


@dataclass(frozen=True)
class QuestionDraft:
    """A question read from a file, not yet in the bank.

    ``stem`` and option texts are NFC, trimmed, with whitespace runs collapsed.
    With ``text_format == "plain"`` they are plain text that a page must escape;
    with ``"html"`` they are HTML already sanitised down to b, strong, i, em, u,
    sub, sup, br, p, code, pre (no attributes), safe to insert as it is.
    """

    stem: str
    options: tuple[OptionDraft, ...]
    location: Location
    text_format: str = TEXT_PLAIN
    topic: str | None = None
    difficulty: str | None = None
    explanation: str | None = None
    source: str | None = None
    number: str | None = None
    pictures: tuple[PictureDraft, ...] = ()  # shown under the stem, in the file's order

    @property
    def all_pictures(self) -> tuple[PictureDraft, ...]:
        return self.pictures + tuple(p for o in self.options for p in o.pictures)

    @property
    def multiple_answers(self) -> bool:
        return sum(1 for o in self.options if o.correct) > 1

    @property
    def correct_letters(self) -> str:
        return ", ".join(letter(i) for i, o in enumerate(self.options) if o.correct)


def letter(index: int) -> str:
    return chr(ord("A") + index)


DIFFICULTY_VI = {"easy": "Dễ", "medium": "Trung bình", "hard": "Khó"}

_CONTEXT = re.compile(r"\$[a-z]+\$")
_CATEGORY_SPLIT = re.compile(r"(?<!/)/(?!/)")


def category_topic(path: str) -> str | None:
    """Topic from a "$CATEGORY:" path, split as Moodle splits it.

    A lone "/" separates categories and "//" is a "/" inside a name; the context
    ("$course$") and Moodle's "top" are dropped, nested names are joined with "/".
    """
    segments = [
        seg.replace("//", "/").strip() for seg in _CATEGORY_SPLIT.split(normalize_text(path))
    ]
    if segments and _CONTEXT.fullmatch(segments[0]):
        segments = segments[1:]
    if segments and segments[0] == "top":
        segments = segments[1:]
    return normalize_text("/".join(seg for seg in segments if seg)) or None


_TAG = re.compile(r"<[^>]*>")
NAME_LENGTH = 60


def plain_stem(stem: str, text_format: str) -> str:
    """The stem as words only: tags dropped and entities read when it is HTML."""
    if text_format != TEXT_HTML:
        return stem
    return normalize_text(html.unescape(_TAG.sub(" ", stem)))


def default_name(stem: str, text_format: str) -> str:
    """A name for a question that has no number (Moodle needs one): the start of its stem."""
    words = plain_stem(stem, text_format)
    return words if len(words) <= NAME_LENGTH else words[: NAME_LENGTH - 1].rstrip() + "…"


def repeats_stem(name: str, stem: str, text_format: str) -> bool:
    """Whether a Moodle question name only repeats the start of the stem (so it is no number)."""
    start = name.removesuffix("…").strip()
    words = plain_stem(stem, text_format)
    if not start or not words.startswith(start):
        return False
    # A short name such as "1" may be a real number that happens to start the stem.
    return start == words or name.endswith("…") or len(start) >= 10
