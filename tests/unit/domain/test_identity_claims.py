"""What a provider's verified claims say about a person, and whether an account names them."""

from datetime import date

import pytest

from contest.domain.errors import InvalidInput
from contest.domain.identity_claims import (
    ClaimMapping,
    ProviderSettings,
    SignInRefused,
    check_provider_settings,
    identity_from_claims,
    same_person,
)

CLAIMS = {
    "sub": "abc",
    "citizen_id": "020 190 012 345",
    "name": "  Nguyễn  Thị Hoà Bình ",
    "birthdate": "1990-08-15",
    "phone_number": "+84912345678",
}


def test_the_cccd_name_birth_date_and_phone_are_read_and_normalised():
    person = identity_from_claims(CLAIMS, ClaimMapping())
    assert person.citizen_id == "020190012345"
    assert person.full_name == "Nguyễn Thị Hoà Bình"
    assert person.gender == "female"  # the CCCD's fourth digit
    assert person.date_of_birth == date(1990, 8, 15)
    assert person.phone == "0912345678"


def test_a_dotted_claim_name_reaches_inside_an_object():
    claims = {"sub": "abc", "identity": {"cccd": "020190012345"}, "name": "Lò Văn Páo"}
    person = identity_from_claims(claims, ClaimMapping(citizen_id="identity.cccd"))
    assert person.citizen_id == "020190012345"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"citizen_id": None}, "missing_citizen_id"),
        ({"citizen_id": "12345"}, "bad_citizen_id"),
        ({"citizen_id": "999190012345"}, "bad_citizen_id"),
        ({"name": ""}, "missing_name"),
        ({"birthdate": "1991-08-15"}, "birthdate_mismatch"),
        ({"sub": ""}, "bad_token"),
    ],
)
def test_claims_that_cannot_identify_a_participant_are_refused(change, reason):
    claims = {k: v for k, v in {**CLAIMS, **change}.items() if v is not None}
    with pytest.raises(SignInRefused) as refused:
        identity_from_claims(claims, ClaimMapping())
    assert refused.value.reason == reason
    assert refused.value.message_vi and refused.value.message_en


def test_an_undisclosed_birth_year_or_a_bad_phone_is_left_for_the_follow_up_form():
    person = identity_from_claims(
        {**CLAIMS, "birthdate": "0000-08-15", "phone_number": "12"}, ClaimMapping()
    )
    assert person.date_of_birth is None and person.phone is None


@pytest.mark.parametrize(
    ("registered", "born", "same"),
    [
        ("NGUYEN THI HOA BINH", date(1990, 8, 15), True),
        ("Nguyễn Thị Hòa Bình", date(1990, 8, 15), True),
        ("Nguyễn Thị Hoà Bình", date(1990, 8, 16), False),
        ("Trần Thị Mạo Danh", date(1990, 8, 15), False),
    ],
)
def test_an_account_names_the_verified_person_when_name_and_birth_date_agree(
    registered, born, same
):
    person = identity_from_claims(CLAIMS, ClaimMapping())
    assert same_person(registered, born, person) is same


def test_provider_settings_refuse_plain_http_a_path_as_secret_name_and_scopes_without_openid():
    bad = ProviderSettings(
        "VNeID", "", "http://sso.example.vn", "id", "../x", "profile", ClaimMapping()
    )
    with pytest.raises(InvalidInput) as refused:
        check_provider_settings(bad)
    assert set(refused.value.by_field()) == {"issuer", "secret_name", "scopes"}
    good = check_provider_settings(
        ProviderSettings(
            "VNeID",
            "",
            "https://sso.example.vn/",
            "id",
            "Lang-Son",
            "openid  profile openid",
            ClaimMapping(),
        )
    )
    assert (good.issuer, good.secret_name, good.scopes, good.name_en) == (
        "https://sso.example.vn",
        "lang-son",
        "openid profile",
        "VNeID",
    )
