"""Verification codes printed on certificates: short, readable aloud, typed by hand."""

from __future__ import annotations

import secrets
import unicodedata
from typing import Protocol

# 31 symbols: no 0/O, 1/I/L, so nothing printed can be misread as something else printed.
# 31 is prime, which is what makes the check character below catch every single
# substitution and every adjacent transposition.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = len(ALPHABET)
BODY_LENGTH = 9
LENGTH = BODY_LENGTH + 1
GROUPS = (4, 4, 2)

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}

# Characters people put between groups, or that phones and input methods insert.
_SEPARATORS = frozenset(" -_.\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\t\r\n")

# Letters from other scripts that are drawn exactly like one of ours (a code pasted from
# a document typed with a Russian or Greek layout, or autocorrected). They map to one symbol
# with no doubt, so we accept them. 0/O/1/I/L are NOT mapped: none of them is ever printed,
# so typing one means the reader misread some symbol and we cannot know which.
_HOMOGLYPHS = {
    "А": "A",
    "В": "B",
    "С": "C",
    "Е": "E",
    "Н": "H",
    "К": "K",
    "М": "M",
    "Р": "P",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "Ѕ": "S",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
}


class _Chooser(Protocol):
    def choice(self, seq: str) -> str: ...


def _weighted_sum(symbols: str) -> int:
    return sum(position * _VALUE[symbol] for position, symbol in enumerate(symbols, start=1))


def check_character(body: str) -> str:
    """The symbol that makes sum(position * value) over all LENGTH symbols ≡ 0 (mod 31).

    A substitution at position i changes the sum by i·d and a swap of positions i, i+1 by
    ±d (d ≠ 0 the difference of values); with 31 prime and i < 31 neither is ever ≡ 0.
    """
    if len(body) != BODY_LENGTH or any(symbol not in _VALUE for symbol in body):
        raise ValueError(f"body must be {BODY_LENGTH} symbols of {ALPHABET}")
    # Solve LENGTH·c ≡ -sum (mod 31); LENGTH has an inverse because 31 is prime.
    inverse = pow(LENGTH, -1, MODULUS)
    return ALPHABET[(-_weighted_sum(body) * inverse) % MODULUS]


def new_code(rng: _Chooser = secrets) -> str:
    """A fresh code in canonical form (10 symbols, no separators): 9 random + 1 check."""
    body = "".join(rng.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def normalise(typed: str) -> str | None:
    """Canonical form of what a person typed, or None when it cannot be a code.

    Case, spaces and hyphens do not matter; full-width forms and exact homoglyphs are
    folded. The check character is not tested here: see `is_valid`.
    """
    if not isinstance(typed, str):
        return None
    # NFKC folds full-width Ｋ７ typed on some phone keyboards into K7.
    text = unicodedata.normalize("NFKC", typed)
    symbols = []
    for char in text:
        if char in _SEPARATORS:
            continue
        char = _HOMOGLYPHS.get(char, char).upper()
        char = _HOMOGLYPHS.get(char, char)
        if char not in _VALUE:
            return None
        symbols.append(char)
    if len(symbols) != LENGTH:
        return None
    return "".join(symbols)


def is_valid(code: str) -> bool:
    """True when `code` (typed or canonical) has the right shape and check character."""
    canonical = normalise(code)
    return canonical is not None and _weighted_sum(canonical) % MODULUS == 0


def format_code(code: str) -> str:
    """Grouped for print and reading aloud: K7QM-3XWD-9T."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError(f"not a verification code: {code!r}")
    parts, start = [], 0
    for size in GROUPS:
        parts.append(canonical[start : start + size])
        start += size
    return "-".join(parts)
