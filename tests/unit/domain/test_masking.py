import unicodedata

import pytest

from contest.domain.masking import mask_citizen_id, mask_email, mask_name, mask_phone


@pytest.mark.parametrize(
    ("full_name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn A"),
        ("Trần Thị Ánh", "Trần Thị Á"),
        ("Đỗ Đức", "Đỗ Đ"),
        ("Hoàng Thị Thu Hường", "Hoàng Thị Thu H"),
        ("  Lê   Văn   Ơn ", "Lê Văn Ơ"),
        ("Vy", "V"),
        ("", ""),
    ],
)
def test_name_keeps_family_and_middle_names_and_the_given_initial(full_name, masked):
    assert mask_name(full_name) == masked


def test_decomposed_input_is_masked_as_nfc():
    decomposed = unicodedata.normalize("NFD", "Phạm Ánh Ửng")
    assert mask_name(decomposed) == "Phạm Ánh Ử"
    assert unicodedata.is_normalized("NFC", mask_name(decomposed))


@pytest.mark.parametrize(
    ("citizen_id", "masked"),
    [
        ("001203012345", "****2345"),
        ("020 090 001 234", "****1234"),
        ("123456789", "****6789"),
        ("123", "****"),
    ],
)
def test_citizen_id_shows_only_the_last_four_digits(citizen_id, masked):
    assert mask_citizen_id(citizen_id) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("0912345678", "091****678"),
        ("+84 912 345 678", "091****678"),
        ("0912.345.678", "091****678"),
        ("02053812345", "020*****345"),
        ("12345", "*****"),
    ],
)
def test_phone_keeps_the_first_and_last_three_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_email_keeps_first_letter_and_domain():
    assert mask_email("an.nguyen@langson.gov.vn") == "a***@langson.gov.vn"
    assert mask_email("not-an-email") == "***"
