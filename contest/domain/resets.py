"""The rules of getting back into an account: when a reset link or code may still be used, how
many wrong codes end it, and what the helpdesk must have checked before issuing a code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contest.domain.errors import ContestError

# active → used | superseded (a newer one was issued) | locked (too many wrong codes).
RESET_STATES = ("active", "used", "superseded", "locked")
MAX_WRONG_CODES = 5
CODE_DIGITS = 6

# What the helpdesk may check, and how it is shown in the audit log.
HELPDESK_CHECKS = {
    "full_name": ("Họ và tên", "Full name"),
    "date_of_birth": ("Ngày sinh", "Date of birth"),
    "citizen_id_card": ("Thẻ CCCD (xem trực tiếp hoặc qua ảnh)", "Citizen ID card (seen or photo)"),
    "phone": ("Số điện thoại đã đăng ký", "Registered phone number"),
    "unit": ("Đơn vị đã đăng ký", "Registered unit"),
    "email": ("Email đã đăng ký", "Registered email"),
}
# At least this many details, one of them the card itself: a name and a birthday are found on
# social networks, the card is in the person's hands.
HELPDESK_MIN_CHECKS = 3


@dataclass(frozen=True)
class ResetView:
    status: str
    expires_at: datetime
    wrong_codes: int = 0


INVALID_LINK = ContestError(
    "Liên kết đặt lại mật khẩu không hợp lệ. Hãy yêu cầu một liên kết mới.",
    "This password reset link is not valid. Ask for a new one.",
)
WRONG_CODE = ContestError(
    "Mã không đúng hoặc đã hết hạn. Kiểm tra lại số CCCD/số điện thoại và mã, hoặc yêu cầu mã mới.",
    "The code is wrong or has expired. Check the citizen ID/phone number and the code, or ask for a new one.",
    field="code",
)


def refusal(reset: ResetView, now: datetime, what: str = "link") -> ContestError | None:
    """Why this reset can no longer be used, in both languages; None while it can."""
    vi_what, en_what = ("Liên kết", "link") if what == "link" else ("Mã", "code")
    if reset.status == "used":
        return ContestError(
            f"{vi_what} đặt lại mật khẩu này đã được dùng. Mỗi {vi_what.lower()} chỉ dùng được một lần; "
            "hãy đăng nhập bằng mật khẩu mới hoặc yêu cầu đặt lại lần nữa.",
            f"This reset {en_what} was already used. Each works once: sign in with your new "
            "password or ask for another reset.",
            field="code" if what == "code" else None,
        )
    if reset.status == "superseded":
        return ContestError(
            f"Đã có {vi_what.lower()} mới hơn được gửi cho bạn; hãy dùng {vi_what.lower()} mới nhất.",
            f"A newer {en_what} was sent to you; use the newest one.",
            field="code" if what == "code" else None,
        )
    if reset.status == "locked" or reset.wrong_codes >= MAX_WRONG_CODES:
        return ContestError(
            "Đã nhập sai mã quá nhiều lần. Hãy yêu cầu mã mới.",
            "Too many wrong codes. Ask for a new one.",
            field="code",
        )
    if reset.status != "active":
        return INVALID_LINK
    if now >= reset.expires_at:
        return ContestError(
            f"{vi_what} đặt lại mật khẩu đã hết hạn. Hãy yêu cầu {vi_what.lower()} mới.",
            f"This reset {en_what} has expired. Ask for a new one.",
            field="code" if what == "code" else None,
        )
    return None


def check_helpdesk_verification(checks: list[str], note: str) -> tuple[list[str], str]:
    """The checks the helpdesk made (known ones, in a fixed order) and its note, or a refusal."""
    chosen = [c for c in HELPDESK_CHECKS if c in set(checks)]
    note = (note or "").strip()
    if len(chosen) < HELPDESK_MIN_CHECKS or "citizen_id_card" not in chosen:
        raise ContestError(
            f"Cần xác minh ít nhất {HELPDESK_MIN_CHECKS} thông tin, trong đó có thẻ CCCD, "
            "trước khi cấp mã.",
            f"Check at least {HELPDESK_MIN_CHECKS} details, the citizen ID card among them, "
            "before issuing a code.",
            field="checks",
        )
    if len(note) < 10:
        raise ContestError(
            "Ghi lại cách đã xác minh (ví dụ: gọi lại số đã đăng ký, xem thẻ CCCD qua Zalo).",
            "Note how the person was verified (e.g. called back the registered number, saw the card).",
            field="note",
        )
    return chosen, note[:1000]
