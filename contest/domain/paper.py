"""The paper of an attempt and the questions on it: items, options and the kind of a question.

An attempt's paper is stored as JSON (``[{"q": question id, "v": version id, "o": [option ids
in the order shown]}]``) and a question version's options as ``[{"id", "text", "correct"}]``,
with ``"pictures"`` on an option that has any. A picture is referred to as ``{"sha", "w", "h",
"alt", "x2"}`` (its content hash, size on screen, alt text, whether a 2x copy exists); the
stem's pictures are a list of those in ``QuestionVersion.pictures``. A picture reference says
nothing of the key, so it may reach a browser with the option it belongs to.
Only this module knows those shapes: code that handles one attempt reads its paper once into
``PaperItem``s; code that sweeps a whole round (hundreds of thousands of papers) asks
``version_ids`` for what it needs without building an object per item.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

RawPaper = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class PaperItem:
    """One question of a paper: which version was drawn and the order its options were shown."""

    question_id: int
    version_id: int
    option_order: tuple[int, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PaperItem:
        return cls(int(raw["q"]), int(raw["v"]), tuple(raw["o"]))

    def to_json(self) -> dict[str, Any]:
        return {"q": self.question_id, "v": self.version_id, "o": list(self.option_order)}


Paper = tuple[PaperItem, ...]


def read_paper(raw: RawPaper) -> Paper:
    return tuple(PaperItem.from_json(item) for item in raw)


def write_paper(items: Iterable[PaperItem]) -> list[dict[str, Any]]:
    return [item.to_json() for item in items]


def version_ids(papers: Iterable[RawPaper]) -> set[int]:
    """Every question version on these stored papers (for loading their keys in one query)."""
    return {item["v"] for paper in papers for item in paper}


def version_at(paper: RawPaper, position: int) -> int:
    return paper[position]["v"]


def question_at(paper: RawPaper, position: int) -> int:
    return int(paper[position]["q"])


def option_order_at(paper: RawPaper, position: int) -> tuple[int, ...]:
    """The option ids of one question in the order shown (the answer save's one lookup)."""
    return tuple(paper[position]["o"])


def option_orders(paper: RawPaper) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(item["o"]) for item in paper)


@dataclass(frozen=True, slots=True)
class PictureRef:
    """A stored picture as a stem or an option shows it (``sha`` names its files)."""

    sha: str
    width: int
    height: int
    alt: str
    has_2x: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PictureRef:
        return cls(
            str(raw["sha"]),
            int(raw["w"]),
            int(raw["h"]),
            str(raw.get("alt") or ""),
            bool(raw.get("x2")),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sha": self.sha, "w": self.width, "h": self.height, "alt": self.alt}
        if self.has_2x:
            out["x2"] = True
        return out


def read_pictures(raw: Iterable[Mapping[str, Any]] | None) -> tuple[PictureRef, ...]:
    return tuple(PictureRef.from_json(p) for p in raw or ())


def placeholder(pictures: Iterable[PictureRef]) -> str:
    """Pictures as text, where they cannot be shown (a spreadsheet cell, a message): "[Hình: alt]"."""
    return " ".join(f"[Hình: {p.alt or '?'}]" for p in pictures)


def write_pictures(pictures: Iterable[PictureRef]) -> list[dict[str, Any]]:
    return [p.to_json() for p in pictures]


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a question version as the bank wrote it (``correct`` is the bank's key)."""

    id: int
    text: str
    correct: bool
    pictures: tuple[PictureRef, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Option:
        return cls(
            int(raw["id"]),
            raw["text"],
            bool(raw.get("correct")),
            read_pictures(raw.get("pictures")),
        )


def write_option(
    option_id: int, text: str, correct: bool, pictures: Sequence[PictureRef] = ()
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": option_id, "text": text, "correct": correct}
    if pictures:
        out["pictures"] = write_pictures(pictures)
    return out


def read_options(raw: Iterable[Mapping[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option.from_json(o) for o in raw)


def bank_key(raw_options: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The option ids the bank marks correct, as strings (the form answers are compared in)."""
    return frozenset(str(o["id"]) for o in raw_options if o.get("correct"))


class QuestionKind(StrEnum):
    """One right option (radio buttons) or several (check boxes, scored only when exact)."""

    SINGLE = "single"
    MULTIPLE = "multiple"

    @classmethod
    def of_key(cls, key: Collection[object]) -> QuestionKind:
        """The kind follows the key scoring uses: after a committee's key correction gives a
        question a second right option, the page must offer check boxes too."""
        return cls.MULTIPLE if len(key) > 1 else cls.SINGLE
