"""NIST SP 800-63B passwords: length, a breached-password list, repeats and runs, own details."""

import pytest

from contest.domain.password_policy import birth_date_forms, fold, password_problem

COMMON = frozenset({"12345678", "aaaaaaaaaa", "password", "iloveyou"})
MINE = [
    "admin",
    "Nguyễn Thị Hoà Bình",
    "020190012345",
    "0912345678",
    *birth_date_forms(15, 8, 1990),
]


def problem(password: str, min_length: int = 8):
    return password_problem(
        password, min_length=min_length, identifiers=MINE, is_common=COMMON.__contains__
    )


@pytest.mark.parametrize(
    "password, reason_en",
    [
        ("short", "at least 8"),
        ("12345678", "common passwords"),
        ("aaaaaaaaaa", "common passwords"),
        ("PassWord", "common passwords"),
        ("matkhau123", "common passwords"),
        ("Mật khẩu 123", "common passwords"),  # folded: the Vietnamese list
        ("bbbbbbbbbbbb", "repeated or consecutive"),
        ("abcabcabcabc", "repeated or consecutive"),
        ("987654321", "repeated or consecutive"),
        ("asdfghjkl", "repeated or consecutive"),
        ("admin-admin", "your own details"),
        ("Admin2023!", "your own details"),
        ("nguyen thi hoa binh", "your own details"),
        ("NGUYỄN THỊ HOÀ BÌNH", "your own details"),
        ("cccd020190012345", "your own details"),
        ("0912345678", "your own details"),
        ("binh15081990", "your own details"),
        ("x" * 257, "at most 256"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason_in_both_languages(password, reason_en):
    found = problem(password)
    assert found is not None, password
    assert reason_en in found.message_en and found.field == "password"
    assert found.message_vi and found.message_vi != found.message_en


@pytest.mark.parametrize(
    "password",
    [
        "ruong-bac-thang-bay",
        "xin chao ca lop 9A",
        "correct horse battery staple",
        "Lạng Sơn mùa đào",
    ],
)
def test_long_personal_phrases_are_accepted(password):
    assert problem(password) is None


def test_the_staff_minimum_is_ten():
    assert problem("tre-xanh9", min_length=10) is not None
    assert problem("tre-xanh-9", min_length=10) is None


def test_fold_drops_case_diacritics_and_punctuation():
    assert fold("Đặng Thị Ánh-Nguyệt 01") == "dangthianhnguyet01"
