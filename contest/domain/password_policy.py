"""Which passwords are refused (NIST SP 800-63B, 3.1.1.2): too short, too common, a repeated or
sequential run, or built from the person's own identifiers. No composition rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from contest.domain.errors import ContestError

MAX_LENGTH = 256  # long passphrases are welcome; a megabyte is not a password
# Not on the international list but typed by people here; the list itself is lower-case.
VIETNAMESE_COMMON = frozenset(
    {
        "matkhau",
        "matkhau1",
        "matkhau123",
        "matkhau@123",
        "anhyeuem",
        "emyeuanh",
        "yeuem123",
        "anhyeuem123",
        "vietnam",
        "vietnam123",
        "vietnam1",
        "hanoi123",
        "saigon123",
        "chuyendoiso",
        "cuocthi",
        "cuocthi123",
    }
)
_SEQUENCES = (
    "0123456789012345678901234567890",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


def fold(text: str) -> str:
    """Lower-case letters and digits only, without diacritics ("Hoà Bình" → "hoabinh")."""
    decomposed = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "d")
    return "".join(
        ch for ch in decomposed.lower() if ch.isalnum() and not unicodedata.combining(ch)
    )


def _weak(reason_vi: str, reason_en: str) -> ContestError:
    return ContestError(
        f"Mật khẩu này quá dễ đoán: {reason_vi}. Hãy chọn một cụm từ dài mà chỉ bạn biết.",
        f"This password is too easy to guess: {reason_en}. Choose a long phrase only you know.",
        field="password",
    )


def _repetitive_or_sequential(folded: str) -> bool:
    if not folded:
        return False
    # One short unit repeated ("aaaaaaaaaa", "abcabcabc", "12121212").
    for size in range(1, 5):
        unit = folded[:size]
        if len(folded) >= 2 * size and (unit * (len(folded) // size + 1))[: len(folded)] == folded:
            return True
    # A run along the digits, the alphabet or a keyboard row, either way.
    return any(folded in seq or folded in seq[::-1] for seq in _SEQUENCES)


def password_problem(
    password: str,
    *,
    min_length: int,
    identifiers: Iterable[str] = (),
    is_common: Callable[[str], bool] = lambda _: False,
) -> ContestError | None:
    """The first reason to refuse `password`, in Vietnamese and English, or None.

    `identifiers` are the person's own details (username, CCCD, phone, full name, date of
    birth): a password containing one (ignoring case, diacritics and punctuation) is refused.
    `is_common` says whether a lower-cased password is on a list of breached passwords.
    """
    password = unicodedata.normalize("NFC", password or "")
    if len(password) < min_length:
        return ContestError(
            f"Mật khẩu cần ít nhất {min_length} ký tự.",
            f"The password needs at least {min_length} characters.",
            field="password",
        )
    if len(password) > MAX_LENGTH:
        return ContestError(
            f"Mật khẩu dài tối đa {MAX_LENGTH} ký tự.",
            f"The password may be at most {MAX_LENGTH} characters long.",
            field="password",
        )
    lowered = password.lower()
    folded = fold(password)
    if lowered in VIETNAMESE_COMMON or folded in VIETNAMESE_COMMON or is_common(lowered):
        return _weak(
            "nó nằm trong danh sách mật khẩu phổ biến đã bị lộ",
            "it is on a list of common passwords exposed in data breaches",
        )
    if _repetitive_or_sequential(folded) or _repetitive_or_sequential(lowered):
        return _weak(
            "nó chỉ là các ký tự lặp lại hoặc liên tiếp",
            "it is only repeated or consecutive characters",
        )
    for identifier in identifiers:
        mine = fold(identifier)
        if len(mine) >= 4 and (mine in folded or (len(folded) >= 4 and folded in mine)):
            return _weak(
                "nó chứa thông tin của chính bạn (tên đăng nhập, họ tên, CCCD, số điện thoại hoặc ngày sinh)",
                "it contains your own details (username, name, citizen ID, phone number or date of birth)",
            )
    return None


def birth_date_forms(day: int, month: int, year: int) -> tuple[str, ...]:
    """How people type their birthday into a password."""
    return (
        f"{day:02d}{month:02d}{year}",
        f"{year}{month:02d}{day:02d}",
        f"{day}{month}{year}",
        f"{day:02d}{month:02d}{year % 100:02d}",
    )
