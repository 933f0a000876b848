from datetime import date

import pytest

from contest.domain.errors import InvalidInput
from contest.domain.registration import (
    EntryRules,
    RegistrationInput,
    normalise_phone,
    parse_date,
    registrable_units,
    validate_registration,
)

TODAY = date(2023, 7, 5)
RULES = EntryRules(min_age=12, age_cutoff=date(2023, 7, 3))


def data(**overrides):
    values = dict(
        full_name="  Lường   Văn Ước ",
        date_of_birth="02/01/1985",
        gender="male",
        citizen_id="014085000001",
        phone="+84 912 345 678",
        email="",
        unit_code="SL",
        password="ruong-bac-thang-bay",
        consent=True,
    )
    values.update(overrides)
    return RegistrationInput(**values)


def test_valid_registration_is_normalised():
    valid = validate_registration(data(), RULES, TODAY)
    assert valid.full_name == "Lường Văn Ước"
    assert valid.phone == "0912345678"
    assert valid.date_of_birth == date(1985, 1, 2)


def test_decomposed_name_is_stored_composed():
    import unicodedata

    valid = validate_registration(
        data(full_name=unicodedata.normalize("NFD", "Hoàng Đức Thắng")), RULES, TODAY
    )
    assert valid.full_name == unicodedata.normalize("NFC", "Hoàng Đức Thắng")


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidInput) as exc:
        validate_registration(
            data(full_name="", phone="12345", password="short", consent=False, unit_code=""),
            RULES,
            TODAY,
        )
    assert set(exc.value.by_field()) == {"full_name", "phone", "password", "consent", "unit_code"}


def test_under_age_at_the_cutoff_is_refused():
    with pytest.raises(InvalidInput) as exc:
        validate_registration(
            data(date_of_birth="04/07/2011", citizen_id="020211000001", gender="male"), RULES, TODAY
        )
    assert "12" in exc.value.by_field()["date_of_birth"].message_vi


def test_exactly_twelve_at_the_cutoff_is_accepted():
    validate_registration(
        data(date_of_birth="03/07/2011", citizen_id="020211000001", gender="male"), RULES, TODAY
    )


def test_citizen_id_that_disagrees_with_birth_year_is_refused():
    with pytest.raises(InvalidInput) as exc:
        validate_registration(data(date_of_birth="02/01/1986"), RULES, TODAY)
    assert "citizen_id" in exc.value.by_field()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15/08/1990", date(1990, 8, 15)),
        ("1990-08-15", date(1990, 8, 15)),
        ("31/02/1990", None),
        ("1990/08/15", None),
        ("", None),
    ],
)
def test_dates_are_read_as_written_in_vietnam(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091-234-5678", "0912345678"),
    ],
)
def test_phone_numbers_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("name", "units", "expected"),
    [
        ("a flat list: every unit", [("a", None, False), ("b", None, False)], {"a", "b"}),
        (
            "a tree: only the leaves",
            [("ls", None, False), ("tp", "ls", False), ("cl", "tp", False), ("td", "ls", False)],
            {"cl", "td"},
        ),
        (
            "an inner unit marked selectable is offered too",
            [("ls", None, False), ("tp", "ls", True), ("cl", "tp", False)],
            {"tp", "cl"},
        ),
        ("no units", [], set()),
    ],
)
def test_registration_offers_leaves_and_units_marked_selectable(name, units, expected):
    assert registrable_units(units) == expected, name
