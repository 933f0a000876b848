"""Masking of names, citizen ids and phone numbers for published winner lists."""

from __future__ import annotations

import unicodedata


def _first_grapheme(word: str) -> str:
    # NFC leaves some letters as base + combining marks (rare, but typed input has them);
    # the initial must carry its marks or "Ánh" would publish as "A".
    end = 1
    while end < len(word) and unicodedata.combining(word[end]):
        end += 1
    return word[:end]


def mask_name(full_name: str) -> str:
    """Keep the family and middle names, reduce the given name to its initial.

    "Nguyễn Văn An" -> "Nguyễn Văn A"; a one-word name becomes its initial.
    """
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return ""
    return " ".join([*words[:-1], _first_grapheme(words[-1])])


def _digits(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())


def mask_citizen_id(citizen_id: str, *, visible: int = 4) -> str:
    """Show only the last digits: "001203012345" -> "****2345"."""
    digits = _digits(citizen_id)
    if len(digits) <= visible:
        return "****"
    return "****" + digits[-visible:]


def mask_phone(phone: str) -> str:
    """Keep the first three and last three digits: "0912345678" -> "091****678".

    A leading +84 is read as the national 0 so both spellings mask the same way.
    """
    raw = unicodedata.normalize("NFKC", phone).strip()
    digits = _digits(raw)
    if raw.startswith("+84") and digits.startswith("84"):
        digits = "0" + digits[2:]
    if len(digits) < 7:
        return "*" * len(digits) if digits else ""
    return digits[:3] + "*" * (len(digits) - 6) + digits[-3:]


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: "an@x.vn" -> "a***@x.vn"."""
    local, at, domain = email.strip().partition("@")
    if not at or not local:
        return "***"
    return local[0] + "***@" + domain
