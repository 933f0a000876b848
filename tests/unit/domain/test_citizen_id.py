from datetime import date

import pytest

from contest.domain.citizen_id import age_on, parse_citizen_id, validate_citizen_id
from contest.domain.errors import ContestError


@pytest.mark.parametrize(
    ("number", "province", "gender", "year"),
    [
        ("020190012345", "Lạng Sơn", "female", 1990),
        ("014085000001", "Sơn La", "male", 1985),
        ("001303012345", "Hà Nội", "female", 2003),
        ("079212345678", "Hồ Chí Minh", "male", 2012),
        ("096399000000", "Cà Mau", "female", 2099),
    ],
)
def test_structure_gives_province_gender_and_birth_year(number, province, gender, year):
    cid = parse_citizen_id(number)
    assert (cid.province, cid.gender, cid.birth_year) == (province, gender, year)


@pytest.mark.parametrize(
    "raw", ["02019001234", "0201900123456", "02019001234a", "", "abcdefghijkl"]
)
def test_anything_but_twelve_digits_is_refused(raw):
    with pytest.raises(ContestError) as exc:
        parse_citizen_id(raw)
    assert "12" in exc.value.message_vi and "12" in exc.value.message_en


def test_spaces_and_dots_typed_between_groups_are_ignored():
    assert parse_citizen_id("020 190 012 345").number == "020190012345"


@pytest.mark.parametrize("code", ["000", "003", "013", "097", "999"])
def test_unknown_province_code_is_named_in_the_error(code):
    with pytest.raises(ContestError) as exc:
        parse_citizen_id(code + "190012345")
    assert code in exc.value.message_vi


def test_birth_year_must_agree_with_date_of_birth():
    with pytest.raises(ContestError) as exc:
        validate_citizen_id("020190012345", date(1991, 8, 15), "female")
    assert "1990" in exc.value.message_en and exc.value.field == "citizen_id"


def test_gender_digit_must_agree_with_declared_gender():
    with pytest.raises(ContestError) as exc:
        validate_citizen_id("020190012345", date(1990, 8, 15), "male")
    assert "giới tính" in exc.value.message_vi


def test_matching_details_pass():
    assert validate_citizen_id("020303012345", date(2003, 1, 2), "female").birth_year == 2003


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2011, 7, 3), date(2023, 7, 3), 12),
        (date(2011, 7, 4), date(2023, 7, 3), 11),
        (date(2000, 2, 29), date(2023, 2, 28), 22),
    ],
)
def test_age_counts_whole_years_up_to_the_cutoff(born, on, age):
    assert age_on(born, on) == age
