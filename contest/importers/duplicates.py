"""Exact and near duplicates among imported questions and against the bank."""

from __future__ import annotations

import difflib
import hashlib
import html
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from contest.formulas import split
from contest.importers.base import ImportIssue, QuestionDraft, make_issue

_TAG = re.compile(r"<[^>]*>")


def _plain(text: str, text_format: str) -> str:
    if text_format == "html":
        text = html.unescape(_TAG.sub(" ", text))
    return unicodedata.normalize("NFC", text)


def _squash(text: str) -> str:
    # Vietnamese diacritics change meaning (ma, má, mà, mả, mã, mạ), so they are kept.
    return "".join(
        ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P"))
    )


def _same_formulas(text: str) -> str:
    """Formulas written the one way: \\(x\\) is $x$ and \\[x\\] is $$x$$ (a Moodle XML export
    writes $x$ as \\(x\\), and it is the same question)."""
    if "\\(" not in text and "\\[" not in text:
        return text
    return "".join(
        piece.text
        if piece.latex is None
        else (f"$${piece.latex}$$" if piece.display else f"${piece.latex}$")
        for piece in split(text)
    )


def fingerprint(q: QuestionDraft) -> str:
    """SHA-256 of the stem and the sorted option texts, ignoring whitespace and punctuation.

    Case and diacritics are kept. HTML tags are ignored, so the same question typed in
    Excel and in GIFT with <b> gets the same fingerprint. Which options are right does
    not count: the same question with another key is still a duplicate to look at.
    Formulas count by their LaTeX, whichever delimiters they have.
    Pictures count (by their content hash): "What does this sign mean?" over two different
    road signs is two questions.
    """
    stem = _squash(_same_formulas(_plain(q.stem, q.text_format)))
    if q.pictures:
        stem += "\x1f" + ",".join(p.picture.sha256 for p in q.pictures)
    options = sorted(
        _squash(_same_formulas(_plain(o.text, q.text_format)))
        + ("\x1f" + ",".join(p.picture.sha256 for p in o.pictures) if o.pictures else "")
        for o in q.options
    )
    canonical = "\x1e".join([stem, *options])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Duplicate:
    """Draft ``index`` repeats an earlier draft of the file (``first_index``) and/or a bank question."""

    index: int
    question: QuestionDraft
    fingerprint: str
    first_index: int | None
    in_bank: bool

    def as_issue(self) -> ImportIssue:
        if self.in_bank:
            vi, en = (
                "câu hỏi đã có trong ngân hàng câu hỏi",
                "the question is already in the question bank",
            )
        else:
            first = self.first_index
            vi = f"câu hỏi trùng với câu thứ {first + 1} trong tệp"
            en = f"the question repeats question {first + 1} of the file"
        return make_issue(self.question.location, "stem", vi, en)


def find_duplicates(
    drafts: Sequence[QuestionDraft], existing_fingerprints: Collection[str] = ()
) -> list[Duplicate]:
    """Drafts whose ``fingerprint`` is already in the bank or on an earlier draft of the same file.

    ``existing_fingerprints`` holds the fingerprints of the bank's questions (a set is
    fastest). The first occurrence inside the file is not reported unless it is in the bank.
    """
    seen: dict[str, int] = {}
    found: list[Duplicate] = []
    for index, draft in enumerate(drafts):
        fp = fingerprint(draft)
        first = seen.get(fp)
        in_bank = fp in existing_fingerprints
        if first is not None or in_bank:
            found.append(Duplicate(index, draft, fp, first, in_bank))
        seen.setdefault(fp, index)
    return found


@dataclass(frozen=True)
class NearDuplicate:
    """Draft ``index`` has a stem similar to another draft's (``other_index``) or a bank stem (``bank_key``)."""

    index: int
    ratio: float
    other_stem: str
    other_index: int | None = None
    bank_key: object = None


_NOT_WORD = re.compile(r"[^\w\s]|_")


def _near_key(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).split())


def _shingles(key: str) -> frozenset[str]:
    words = key.split()
    if len(words) < 2:
        return frozenset(words)
    return frozenset(f"{a} {b}" for a, b in zip(words, words[1:]))


# Candidate pairs must share this share of their word pairs before difflib scores them.
_MIN_SHARED = 0.6


def near_duplicates(
    drafts: Sequence[QuestionDraft],
    existing_stems: Mapping[object, str] | Iterable[str] = (),
    threshold: float = 0.9,
) -> list[NearDuplicate]:
    """Pairs of similar stems, for the import preview: difflib ratio ≥ ``threshold``.

    Stems are compared case- and punctuation-insensitively (diacritics kept).
    ``existing_stems`` is a mapping of bank question id → stem (the id comes back as
    ``bank_key``) or a plain iterable of stems (``bank_key`` is its position). Each
    draft is compared with earlier drafts and with the bank, not with itself.

    Scoring every pair would be quadratic, so only candidates are scored: stems that
    share at least 60% of their consecutive word pairs (found through an inverted
    index on each stem's rarest word pairs, "prefix filtering") and whose lengths allow
    the ratio. Two stems 90% alike in characters but with a changed word every few
    words are therefore missed: the preview is a help, not a proof.
    """
    bank = (
        existing_stems.items() if isinstance(existing_stems, Mapping) else enumerate(existing_stems)
    )
    entries: list[tuple[str, tuple[str, object], str]] = []
    for key, stem in bank:
        entries.append(
            (_near_key(_plain(stem, "html" if "<" in stem else "plain")), ("bank", key), stem)
        )
    for i, draft in enumerate(drafts):
        entries.append((_near_key(_plain(draft.stem, draft.text_format)), ("draft", i), draft.stem))

    shingles = [_shingles(key) for key, _, _ in entries]
    frequency = Counter(s for group in shingles for s in group)
    prefixes = []
    for group in shingles:
        ordered = sorted(group, key=lambda s: (frequency[s], s))
        size = len(ordered) - math.ceil(_MIN_SHARED * len(ordered)) + 1
        prefixes.append(ordered[:size])

    index: dict[str, list[int]] = defaultdict(list)
    found: list[NearDuplicate] = []
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for position, (key, origin, _) in enumerate(entries):
        if origin[0] == "draft" and key:
            mine = shingles[position]
            candidates: set[int] = set()
            for s in prefixes[position]:
                candidates.update(index.get(s, ()))
            prepared = False
            for other in sorted(candidates):
                other_key, other_origin, other_stem = entries[other]
                shorter, longer = sorted((len(key), len(other_key)))
                if 2 * shorter < threshold * (shorter + longer):
                    continue
                theirs = shingles[other]
                # Jaccard ≥ t  ⇔  |A ∩ B| ≥ t (|A| + |B|) / (1 + t), with one set operation.
                if len(mine & theirs) * (1 + _MIN_SHARED) < _MIN_SHARED * (len(mine) + len(theirs)):
                    continue
                if not prepared:  # indexing the draft's characters is the costly part
                    matcher.set_seq2(key)
                    prepared = True
                matcher.set_seq1(other_key)
                if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                    continue
                ratio = matcher.ratio()
                if ratio < threshold:
                    continue
                if other_origin[0] == "bank":
                    found.append(
                        NearDuplicate(
                            origin[1], round(ratio, 4), other_stem, bank_key=other_origin[1]
                        )
                    )
                else:
                    found.append(
                        NearDuplicate(
                            origin[1], round(ratio, 4), other_stem, other_index=other_origin[1]
                        )
                    )
        for s in prefixes[position]:
            index[s].append(position)
    return found
