"""The 12-digit personal identification number on the CCCD: structure and agreement checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from contest.domain.errors import ContestError

# Province of birth registration (Circular 07/2016/TT-BCA; the 63 pre-2025 provinces).
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

_CENTURY_BY_DIGIT = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 2300,
    9: 2300,
}
_DIGITS = re.compile(r"\d{12}")


@dataclass(frozen=True)
class CitizenId:
    number: str
    province_code: str
    province: str
    gender: str  # male | female
    birth_year: int


def normalise(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "")


def parse_citizen_id(raw: str) -> CitizenId:
    """Read the structure of a 12-digit number; raise ContestError naming what is wrong."""
    number = normalise(raw)
    if not _DIGITS.fullmatch(number):
        raise ContestError(
            "Số CCCD phải gồm đúng 12 chữ số.",
            "The citizen ID (CCCD) must be exactly 12 digits.",
            field="citizen_id",
        )
    province_code = number[:3]
    if province_code not in PROVINCE_CODES:
        raise ContestError(
            f"Mã tỉnh '{province_code}' ở 3 chữ số đầu của số CCCD không tồn tại.",
            f"The province code '{province_code}' in the first 3 digits of the citizen ID does not exist.",
            field="citizen_id",
        )
    g = int(number[3])
    century = _CENTURY_BY_DIGIT[g]
    return CitizenId(
        number=number,
        province_code=province_code,
        province=PROVINCE_CODES[province_code],
        gender="male" if g % 2 == 0 else "female",
        birth_year=century + int(number[4:6]),
    )


def validate_citizen_id(raw: str, date_of_birth: date, gender: str) -> CitizenId:
    """The number must be well formed and agree with the declared birth year and gender."""
    cid = parse_citizen_id(raw)
    if cid.birth_year != date_of_birth.year:
        raise ContestError(
            f"Số CCCD cho năm sinh {cid.birth_year}, không khớp với ngày sinh đã khai "
            f"({date_of_birth:%d/%m/%Y}).",
            f"The citizen ID encodes birth year {cid.birth_year}, which does not match the "
            f"date of birth given ({date_of_birth:%d/%m/%Y}).",
            field="citizen_id",
        )
    if cid.gender != gender:
        declared_vi = "nam" if gender == "male" else "nữ"
        declared_en = "male" if gender == "male" else "female"
        raise ContestError(
            f"Chữ số thứ 4 của số CCCD không khớp với giới tính đã khai ({declared_vi}).",
            f"The 4th digit of the citizen ID does not match the gender given ({declared_en}).",
            field="citizen_id",
        )
    return cid


def age_on(date_of_birth: date, on: date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
