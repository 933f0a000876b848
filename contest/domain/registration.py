"""Validation of a participant's registration details against the contest's entry rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from contest.domain.citizen_id import age_on, validate_citizen_id
from contest.domain.citizen_id import normalise as normalise_citizen_id
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.password_policy import birth_date_forms, password_problem

_PHONE = re.compile(r"0(3|5|7|8|9)\d{8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 8
CONSENT_VERSION = "2024-01-nd13"


@dataclass(frozen=True)
class RegistrationInput:
    full_name: str
    date_of_birth: str  # dd/mm/yyyy or yyyy-mm-dd as typed
    gender: str
    citizen_id: str
    phone: str
    email: str
    unit_code: str
    password: str
    consent: bool
    # Decree 13/2023: news of the contest by email/SMS is a separate, optional consent.
    messages_consent: bool = False


@dataclass(frozen=True)
class EntryRules:
    min_age: int = 0
    age_cutoff: date | None = None


@dataclass(frozen=True)
class ValidRegistration:
    full_name: str
    date_of_birth: date
    gender: str
    citizen_id: str
    phone: str
    email: str | None
    unit_code: str
    password: str


def normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def parse_date(raw: str) -> date | None:
    raw = (raw or "").strip()
    for pattern, order in (
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
        (r"(\d{4})-(\d{2})-(\d{2})", "ymd"),
    ):
        m = re.fullmatch(pattern, raw)
        if m:
            a, b, c = (int(x) for x in m.groups())
            try:
                return date(c, b, a) if order == "dmy" else date(a, b, c)
            except ValueError:
                return None
    return None


def validate_registration(
    data: RegistrationInput,
    rules: EntryRules,
    today: date,
    *,
    is_common_password: Callable[[str], bool] = lambda _: False,
) -> ValidRegistration:
    """Check every field and raise InvalidInput listing all problems at once.

    `is_common_password` looks a lower-cased password up in a list of breached passwords
    (the service passes the vendored list)."""
    errors: list[ContestError] = []
    full_name = normalise_text(data.full_name)
    if len(full_name) < 2 or len(full_name) > 200 or any(ch.isdigit() for ch in full_name):
        errors.append(
            ContestError(
                "Vui lòng nhập họ và tên đầy đủ (không chứa chữ số).",
                "Please enter your full name (no digits).",
                field="full_name",
            )
        )
    dob = parse_date(data.date_of_birth)
    if dob is None or dob > today or dob.year < 1900:
        errors.append(
            ContestError(
                "Ngày sinh không hợp lệ (định dạng dd/mm/yyyy).",
                "Date of birth is not valid (format dd/mm/yyyy).",
                field="date_of_birth",
            )
        )
    gender = data.gender if data.gender in ("male", "female") else ""
    if not gender:
        errors.append(
            ContestError("Vui lòng chọn giới tính.", "Please choose a gender.", field="gender")
        )
    citizen_id = normalise_citizen_id(data.citizen_id)
    if dob is not None and gender:
        try:
            validate_citizen_id(citizen_id, dob, gender)
        except ContestError as exc:
            errors.append(exc)
    elif not re.fullmatch(r"\d{12}", citizen_id):
        errors.append(
            ContestError(
                "Số CCCD phải gồm đúng 12 chữ số.",
                "The citizen ID (CCCD) must be exactly 12 digits.",
                field="citizen_id",
            )
        )
    errors += age_errors(dob, rules)
    phone, email, contact_problems = check_contact(data.phone, data.email, data.unit_code)
    errors += contact_problems
    own = [data.full_name, data.citizen_id, citizen_id, data.phone, phone, data.email or ""]
    if dob is not None:
        own += birth_date_forms(dob.day, dob.month, dob.year)
    weak = password_problem(
        data.password,
        min_length=MIN_PASSWORD_LENGTH,
        identifiers=own,
        is_common=is_common_password,
    )
    if weak is not None:
        errors.append(weak)
    if not data.consent:
        errors.append(consent_missing())
    if errors:
        raise InvalidInput(errors)
    assert dob is not None
    return ValidRegistration(
        full_name, dob, gender, citizen_id, phone, email, data.unit_code, data.password
    )


def age_errors(dob: date | None, rules: EntryRules) -> list[ContestError]:
    """The contest's minimum age on its cut-off date (none when either is unset)."""
    if dob is None or not (rules.min_age and rules.age_cutoff):
        return []
    if age_on(dob, rules.age_cutoff) >= rules.min_age:
        return []
    return [
        ContestError(
            f"Người dự thi phải đủ {rules.min_age} tuổi tính đến ngày {rules.age_cutoff:%d/%m/%Y}.",
            f"Participants must be at least {rules.min_age} years old on "
            f"{rules.age_cutoff:%d/%m/%Y}.",
            field="date_of_birth",
        )
    ]


def check_contact(
    raw_phone: str, raw_email: str | None, unit_code: str
) -> tuple[str, str | None, list[ContestError]]:
    """The phone (normalised), the email (or None) and the unit: what every way of registering
    asks, checked alike, with the problems found."""
    errors: list[ContestError] = []
    phone = normalise_phone(raw_phone)
    if not _PHONE.fullmatch(phone):
        errors.append(
            ContestError(
                "Số điện thoại di động phải gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.",
                "The mobile number must be 10 digits starting with 03, 05, 07, 08 or 09.",
                field="phone",
            )
        )
    email = (raw_email or "").strip() or None
    if email and (not _EMAIL.fullmatch(email) or len(email) > 200):
        errors.append(
            ContestError(
                "Địa chỉ email không hợp lệ.", "The email address is not valid.", field="email"
            )
        )
    if not unit_code:
        errors.append(
            ContestError("Vui lòng chọn đơn vị.", "Please choose your unit.", field="unit_code")
        )
    return phone, email, errors


def consent_missing() -> ContestError:
    return ContestError(
        "Bạn cần đồng ý cho Ban Tổ chức xử lý dữ liệu cá nhân theo Nghị định 13/2023/NĐ-CP "
        "để dự thi.",
        "You must consent to the processing of your personal data under Decree 13/2023/ND-CP "
        "to take part.",
        field="consent",
    )


def registrable_units(units: Iterable[tuple[str, str | None, bool]]) -> frozenset[str]:
    """The units a participant may register in, from (key, parent key, marked selectable):
    the leaves of the tree, and any inner unit the organiser marked selectable (an agency
    whose staff are not split into its sub-units)."""
    units = list(units)
    parents = {parent for _, parent, _ in units if parent is not None}
    return frozenset(key for key, _, marked in units if marked or key not in parents)
