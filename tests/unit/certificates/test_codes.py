"""Verification codes: shape, check character, and what people may type."""

import random
import secrets

import pytest

from contest.certificates.codes import (
    ALPHABET,
    LENGTH,
    check_character,
    format_code,
    is_valid,
    new_code,
    normalise,
)


def _sample_codes(count: int, seed: int = 20230805) -> list[str]:
    rng = random.Random(seed)
    return [new_code(rng) for _ in range(count)]


def test_alphabet_has_no_ambiguous_symbols_and_a_prime_size():
    assert not set("01OIL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_new_code_is_ten_symbols_of_the_alphabet_and_valid():
    for code in _sample_codes(500) + [new_code() for _ in range(50)]:
        assert len(code) == LENGTH
        assert set(code) <= set(ALPHABET)
        assert is_valid(code)


def test_new_code_uses_secrets_by_default_and_differs_each_time():
    assert new_code(secrets) != new_code()


def test_format_code_groups_four_four_two():
    assert format_code("K7QM3XWD9T") == "K7QM-3XWD-9T"


def test_check_character_catches_every_single_substitution():
    for code in _sample_codes(300):
        for position in range(LENGTH):
            for symbol in ALPHABET:
                if symbol == code[position]:
                    continue
                changed = code[:position] + symbol + code[position + 1 :]
                assert not is_valid(changed), (code, changed)


def test_check_character_catches_every_adjacent_transposition():
    for code in _sample_codes(300, seed=7):
        for position in range(LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2 :]
            assert not is_valid(swapped), (code, swapped)


def test_check_character_catches_every_transposition_of_every_pair_of_values():
    # Exhaustive over the values themselves, independent of any random sample.
    body = "23456789A"
    for position in range(LENGTH - 1):
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                code = list(body + check_character(body))
                code[position], code[position + 1] = a, b
                if not is_valid("".join(code)):
                    continue
                code[position], code[position + 1] = b, a
                assert not is_valid("".join(code))


@pytest.mark.parametrize(
    "typed",
    [
        "k7qm-3xwd-9t",
        "K7QM 3XWD 9T",
        " k7qm3xwd9t ",
        "K7QM–3XWD–9T",
        "Ｋ７ＱＭ-３ＸＷＤ-９Ｔ",
        "К7QМ-3ХWD-9Т",
    ],
)
def test_normalise_ignores_case_spaces_hyphens_and_exact_lookalikes(typed):
    assert normalise(typed) == "K7QM3XWD9T"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "K7QM-3XWD-9",  # too short
        "K7QM-3XWD-9TT",  # too long
        "K7QM-3XWD-0T",  # 0 is never printed: which symbol was meant is unknown
        "K7QM-3XWD-OT",
        "K7QM-3XWD-1T",
        "K7QM-3XWD-IT",
        "K7QM-3XWD-LT",
        "K7QM/3XWD/9T",
        "K7QM-3XWĐ-9T",
        "K7QM-3XWD-9T?",
    ],
)
def test_normalise_rejects_wrong_length_and_foreign_characters(typed):
    assert normalise(typed) is None
    assert not is_valid(typed)


def test_is_valid_accepts_typed_forms_of_a_valid_code():
    code = _sample_codes(1)[0]
    assert is_valid(format_code(code).lower())


def test_format_code_refuses_garbage():
    with pytest.raises(ValueError):
        format_code("nope")


def test_check_character_refuses_a_wrong_body():
    with pytest.raises(ValueError):
        check_character("0000")
