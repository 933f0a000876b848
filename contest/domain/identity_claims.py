"""Sign-in through an OpenID provider: the provider's settings, what its verified claims say about
a person (CCCD, name, birth date, phone), whether that person is the one behind an account, and
the refusals, each in Vietnamese and English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from contest.domain.citizen_id import normalise as normalise_citizen_id
from contest.domain.citizen_id import parse_citizen_id
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.registration import (
    _EMAIL,
    _PHONE,
    EntryRules,
    age_errors,
    check_contact,
    consent_missing,
    normalise_phone,
    normalise_text,
    parse_date,
)

_CLAIM_NAME = re.compile(r"[A-Za-z0-9_.:\-/]{1,100}")
_SECRET_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SignInRefused(ContestError):
    """The provider's answer was not accepted; `reason` is a stable code for the audit log."""

    def __init__(self, reason: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi, message_en)
        self.reason = reason


# reason → (Vietnamese, English). What a person reads; the audit log keeps the reason code.
REFUSALS: dict[str, tuple[str, str]] = {
    "not_configured": (
        "Cuộc thi này chưa bật đăng nhập qua nhà cung cấp định danh.",
        "This contest has no identity provider sign-in.",
    ),
    "secret_missing": (
        "Đăng nhập qua nhà cung cấp định danh tạm thời không dùng được (máy chủ thiếu cấu hình "
        "khoá bí mật). Hãy báo Ban Tổ chức, hoặc đăng nhập bằng số CCCD và mật khẩu.",
        "Sign-in through the identity provider is unavailable for now (the server lacks the "
        "client secret). Tell the organising committee, or sign in with your citizen ID and "
        "password.",
    ),
    "wrong_state": (
        "Yêu cầu đăng nhập không khớp với trình duyệt này (có thể liên kết đã bị giả mạo "
        "hoặc mở ở trình duyệt khác). Hãy bắt đầu đăng nhập lại từ trang của cuộc thi.",
        "The sign-in answer does not match a sign-in started in this browser (the link may be "
        "forged or opened in another browser). Start again from the contest's sign-in page.",
    ),
    "replayed": (
        "Liên kết đăng nhập này đã được dùng. Hãy bắt đầu đăng nhập lại.",
        "This sign-in link was already used. Please start the sign-in again.",
    ),
    "request_expired": (
        "Yêu cầu đăng nhập đã quá hạn (10 phút). Hãy bắt đầu đăng nhập lại.",
        "The sign-in request has expired (10 minutes). Please start again.",
    ),
    "denied": (
        "Nhà cung cấp định danh không cho phép đăng nhập (bạn đã từ chối hoặc tài khoản chưa "
        "được xác thực).",
        "The identity provider did not allow the sign-in (you declined, or the account is not "
        "verified).",
    ),
    "code_rejected": (
        "Nhà cung cấp định danh từ chối mã đăng nhập (mã đã được dùng hoặc đã hết hạn). "
        "Hãy bắt đầu đăng nhập lại.",
        "The identity provider refused the sign-in code (already used or expired). "
        "Please start again.",
    ),
    "provider_down": (
        "Không kết nối được với nhà cung cấp định danh. Hãy thử lại sau ít phút, hoặc đăng nhập "
        "bằng số CCCD và mật khẩu nếu bạn đã có.",
        "The identity provider cannot be reached. Try again in a few minutes, or sign in with "
        "your citizen ID and password if you have one.",
    ),
    "bad_signature": (
        "Chữ ký của thẻ định danh không hợp lệ: thông tin không được chấp nhận.",
        "The identity token's signature is not valid: its details were not accepted.",
    ),
    "wrong_issuer": (
        "Thẻ định danh không do nhà cung cấp đã cấu hình phát hành.",
        "The identity token was not issued by the configured provider.",
    ),
    "wrong_audience": (
        "Thẻ định danh được cấp cho một ứng dụng khác, không phải cuộc thi này.",
        "The identity token was issued to another application, not this contest.",
    ),
    "expired_token": (
        "Thẻ định danh đã hết hạn. Hãy đăng nhập lại.",
        "The identity token has expired. Please sign in again.",
    ),
    "wrong_nonce": (
        "Thẻ định danh không thuộc lần đăng nhập này (nonce không khớp).",
        "The identity token does not belong to this sign-in (the nonce does not match).",
    ),
    "bad_token": (
        "Nhà cung cấp định danh trả về thẻ định danh không hợp lệ.",
        "The identity provider returned an invalid identity token.",
    ),
    "missing_citizen_id": (
        "Nhà cung cấp định danh không cung cấp số CCCD của bạn, nên không thể đăng nhập vào cuộc "
        "thi. Hãy cho phép chia sẻ số định danh cá nhân, hoặc đăng ký bằng số CCCD.",
        "The identity provider did not give your citizen ID (CCCD), so you cannot sign in to the "
        "contest. Allow sharing your personal identification number, or register with your CCCD.",
    ),
    "bad_citizen_id": (
        "Số CCCD do nhà cung cấp định danh gửi không hợp lệ.",
        "The citizen ID sent by the identity provider is not valid.",
    ),
    "missing_name": (
        "Nhà cung cấp định danh không cung cấp họ và tên của bạn.",
        "The identity provider did not give your full name.",
    ),
    "birthdate_mismatch": (
        "Ngày sinh do nhà cung cấp định danh gửi không khớp với số CCCD.",
        "The birth date sent by the identity provider does not match the citizen ID.",
    ),
    "identity_conflict": (
        "Số CCCD này đã gắn với một danh tính khác của nhà cung cấp. Hãy liên hệ Ban Tổ chức.",
        "This citizen ID is already linked to another identity at the provider. Please contact "
        "the organising committee.",
    ),
    "completion_expired": (
        "Phiên hoàn tất đăng ký đã hết hạn. Hãy đăng nhập lại qua nhà cung cấp định danh.",
        "The time to complete the registration has run out. Sign in through the identity "
        "provider again.",
    ),
}


def refusal(reason: str) -> SignInRefused:
    vi, en = REFUSALS[reason]
    return SignInRefused(reason, vi, en)


@dataclass(frozen=True)
class ClaimMapping:
    """Which claim of the ID token (or user info) carries each detail; dotted names reach into
    nested objects (e.g. "identity.cccd")."""

    citizen_id: str = "citizen_id"
    full_name: str = "name"
    birthdate: str = "birthdate"
    phone: str = "phone_number"


@dataclass(frozen=True)
class ProviderSettings:
    name_vi: str
    name_en: str
    issuer: str
    client_id: str
    secret_name: str  # empty: a public client (PKCE only)
    scopes: str
    claims: ClaimMapping


@dataclass(frozen=True)
class VerifiedIdentity:
    subject: str
    citizen_id: str
    full_name: str
    gender: str  # from the CCCD's fourth digit
    date_of_birth: date | None
    phone: str | None
    email: str | None

    def as_json(self) -> dict:
        return {
            "subject": self.subject,
            "citizen_id": self.citizen_id,
            "full_name": self.full_name,
            "gender": self.gender,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "phone": self.phone,
            "email": self.email,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> VerifiedIdentity:
        dob = data.get("date_of_birth")
        return cls(
            subject=data["subject"],
            citizen_id=data["citizen_id"],
            full_name=data["full_name"],
            gender=data["gender"],
            date_of_birth=date.fromisoformat(dob) if dob else None,
            phone=data.get("phone"),
            email=data.get("email"),
        )


def issuer_problem(issuer: str) -> str | None:
    """OpenID Connect issuers are https URLs; plain http is accepted for this machine only
    (a provider on the same host, or tests)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return None
    return "https"


def check_provider_settings(data: ProviderSettings) -> ProviderSettings:
    """Trim and check what an organiser typed; raise InvalidInput naming every bad field."""
    errors: list[ContestError] = []
    name_vi = normalise_text(data.name_vi)
    name_en = normalise_text(data.name_en) or name_vi
    issuer = (data.issuer or "").strip().rstrip("/")
    client_id = (data.client_id or "").strip()
    secret_name = (data.secret_name or "").strip().lower()
    scopes = " ".join(dict.fromkeys((data.scopes or "").split()))
    if not 2 <= len(name_vi) <= 80:
        errors.append(
            ContestError(
                "Tên hiển thị của nhà cung cấp gồm 2–80 ký tự (ví dụ: VNeID).",
                "The provider's display name is 2–80 characters (e.g. VNeID).",
                field="name_vi",
            )
        )
    if len(name_en) > 80:
        errors.append(
            ContestError(
                "Tên tiếng Anh tối đa 80 ký tự.",
                "The English name is at most 80 characters.",
                field="name_en",
            )
        )
    if len(issuer) > 300 or issuer_problem(issuer):
        errors.append(
            ContestError(
                "Địa chỉ nhà cung cấp (issuer) phải là URL https, ví dụ https://sso.tinh.gov.vn "
                "(http chỉ được dùng cho máy chủ này: 127.0.0.1, localhost).",
                "The issuer must be an https URL, e.g. https://sso.province.gov.vn (plain http "
                "only for this machine: 127.0.0.1, localhost).",
                field="issuer",
            )
        )
    if not 1 <= len(client_id) <= 200 or any(ch.isspace() for ch in client_id):
        errors.append(
            ContestError(
                "Mã ứng dụng (client id) gồm 1–200 ký tự, không có khoảng trắng.",
                "The client id is 1–200 characters without spaces.",
                field="client_id",
            )
        )
    if secret_name and not _SECRET_NAME.fullmatch(secret_name):
        errors.append(
            ContestError(
                "Tên khoá bí mật gồm chữ thường không dấu, số, gạch dưới, gạch ngang (tối đa 64).",
                "The secret's name is lower-case letters, digits, underscores and hyphens (at "
                "most 64).",
                field="secret_name",
            )
        )
    if "openid" not in scopes.split() or len(scopes) > 300:
        errors.append(
            ContestError(
                "Phạm vi (scopes) phải có 'openid', ví dụ: openid profile.",
                "The scopes must include 'openid', e.g. openid profile.",
                field="scopes",
            )
        )
    claims = {}
    for key in ("citizen_id", "full_name", "birthdate", "phone"):
        value = (getattr(data.claims, key) or "").strip()
        if not _CLAIM_NAME.fullmatch(value):
            errors.append(
                ContestError(
                    "Tên claim gồm 1–100 ký tự: chữ, số, dấu chấm, gạch dưới, gạch ngang.",
                    "A claim name is 1–100 characters: letters, digits, dot, underscore, hyphen.",
                    field=f"claim_{key}",
                )
            )
        claims[key] = value
    if errors:
        raise InvalidInput(errors)
    return ProviderSettings(
        name_vi, name_en, issuer, client_id, secret_name, scopes, ClaimMapping(**claims)
    )


def claim_value(claims: Mapping, name: str) -> object:
    """A claim by name; a dotted name reaches into nested objects when no claim has it whole."""
    if name in claims:
        return claims[name]
    value: object = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _birthdate(raw: object) -> date | None:
    """OpenID's birthdate is YYYY-MM-DD (0000 for an undisclosed year, or the year alone);
    dd/mm/yyyy is accepted as Vietnamese providers write it."""
    if not isinstance(raw, str):
        return None
    if raw.startswith("0000-") or re.fullmatch(r"\d{4}", raw.strip()):
        return None
    return parse_date(raw)


def identity_from_claims(claims: Mapping, mapping: ClaimMapping) -> VerifiedIdentity:
    """The person the verified claims describe; refuses when the CCCD or the name is missing or
    wrong. The gender is the CCCD's (its fourth digit); a birth date, when given, must agree
    with the birth year the CCCD encodes."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise refusal("bad_token")
    raw_id = claim_value(claims, mapping.citizen_id)
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise refusal("missing_citizen_id")
    try:
        cid = parse_citizen_id(normalise_citizen_id(str(raw_id)))
    except ContestError:
        raise refusal("bad_citizen_id") from None
    raw_name = claim_value(claims, mapping.full_name)
    full_name = normalise_text(raw_name) if isinstance(raw_name, str) else ""
    if len(full_name) < 2:
        # Some providers give the name in parts only.
        parts = [claims.get("family_name"), claims.get("middle_name"), claims.get("given_name")]
        full_name = normalise_text(" ".join(p for p in parts if isinstance(p, str)))
    if len(full_name) < 2 or len(full_name) > 200:
        raise refusal("missing_name")
    dob = _birthdate(claim_value(claims, mapping.birthdate))
    if dob is not None and dob.year != cid.birth_year:
        raise refusal("birthdate_mismatch")
    raw_phone = claim_value(claims, mapping.phone)
    phone = normalise_phone(raw_phone) if isinstance(raw_phone, str) else ""
    email = claims.get("email") if claims.get("email_verified") is True else None
    return VerifiedIdentity(
        subject=subject,
        citizen_id=cid.number,
        full_name=full_name,
        gender=cid.gender,
        date_of_birth=dob,
        phone=phone if _PHONE.fullmatch(phone) else None,
        email=email if isinstance(email, str) and _EMAIL.fullmatch(email) else None,
    )


def _folded(name: str) -> str:
    """A name without case, spacing or diacritics: 'Nguyễn Thị Hoà' and 'NGUYEN THI HOA' agree
    (people often type without diacritics); the letter đ is read as d."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.casefold().split())


def same_person(full_name: str, date_of_birth: date, identity: VerifiedIdentity) -> bool:
    """Whether an account registered with this CCCD names the verified person: the same name
    (diacritics and case aside) and, when the provider gives one, the same birth date."""
    if _folded(full_name) != _folded(identity.full_name):
        return False
    return identity.date_of_birth is None or identity.date_of_birth == date_of_birth


@dataclass(frozen=True)
class CompletionInput:
    """What a verified person adds to register: what the provider did not give."""

    phone: str
    email: str
    unit_code: str
    date_of_birth: str  # only asked when the provider gave none
    consent: bool


@dataclass(frozen=True)
class Completion:
    phone: str
    email: str | None
    unit_code: str
    date_of_birth: date


def check_completion(
    identity: VerifiedIdentity, data: CompletionInput, rules: EntryRules, today: date
) -> Completion:
    """The follow-up form's fields, checked as registration checks them; the name, CCCD and
    gender are the provider's and are not asked again."""
    errors: list[ContestError] = []
    dob = identity.date_of_birth or parse_date(data.date_of_birth)
    if identity.date_of_birth is None:
        cid = parse_citizen_id(identity.citizen_id)
        if dob is None or dob > today or dob.year < 1900:
            errors.append(
                ContestError(
                    "Ngày sinh không hợp lệ (định dạng dd/mm/yyyy).",
                    "Date of birth is not valid (format dd/mm/yyyy).",
                    field="date_of_birth",
                )
            )
            dob = None
        elif dob.year != cid.birth_year:
            errors.append(
                ContestError(
                    f"Số CCCD của bạn cho năm sinh {cid.birth_year}; ngày sinh phải thuộc năm đó.",
                    f"Your citizen ID encodes birth year {cid.birth_year}; the date of birth must "
                    "fall in that year.",
                    field="date_of_birth",
                )
            )
    errors += age_errors(dob, rules)
    phone, email, contact_problems = check_contact(data.phone, data.email, data.unit_code)
    errors += contact_problems
    if not data.consent:
        errors.append(consent_missing())
    if errors:
        raise InvalidInput(errors)
    assert dob is not None
    return Completion(phone, email, data.unit_code, dob)
