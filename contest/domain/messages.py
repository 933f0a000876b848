"""What each message says, in Vietnamese and English, with the contest's name. Pure text: the
outbox (services/messages.py) decides who gets it, on which channel, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Sent whatever the person chose about news of the contest (Decree 13/2023 allows messages
# needed to provide the service the person asked for).
ESSENTIAL_KINDS = frozenset(
    {
        "password_reset_link",
        "password_reset_code",
        "password_reset_done",
        "registration_attempt",
        "identity_linked",
        "password_reset_linked",
    }
)
KINDS = (
    "password_reset_link",
    "password_reset_code",
    "password_reset_done",
    "password_reset_linked",
    "registration_attempt",
    "identity_linked",
    "registration_confirmed",
    "round_opens",
    "round_closing",
    "results_published",
    "certificate_ready",
)


@dataclass(frozen=True)
class ContestNames:
    vi: str
    en: str
    slug: str


@dataclass(frozen=True)
class MessageText:
    subject_vi: str
    subject_en: str
    body_vi: str
    body_en: str


def _when(moment: datetime) -> str:
    """A local time as people write it here: 10:00 03/07/2023."""
    return moment.strftime("%H:%M %d/%m/%Y")


def reset_link(contest: ContestNames | None, link: str, minutes: int) -> MessageText:
    where_vi = f' cuộc thi "{contest.vi}"' if contest else " cán bộ"
    where_en = f' for the contest "{contest.en}"' if contest else " (staff)"
    return MessageText(
        "Đặt lại mật khẩu",
        "Reset your password",
        f"Có yêu cầu đặt lại mật khẩu tài khoản{where_vi} của bạn. Mở liên kết sau trong "
        f"{minutes} phút để đặt mật khẩu mới (dùng được một lần):\n{link}\n"
        "Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu cũ vẫn dùng được.",
        f"Someone asked to reset the password of your account{where_en}. Open this link "
        f"within {minutes} minutes to choose a new password (it works once):\n{link}\n"
        "If it was not you, ignore this message; your password has not changed.",
    )


def reset_code(contest: ContestNames | None, code: str, minutes: int) -> MessageText:
    name_vi = contest.vi if contest else "cuộc thi"
    name_en = contest.en if contest else "the contest"
    return MessageText(
        "Mã đặt lại mật khẩu",
        "Password reset code",
        f"{name_vi}: mã đặt lại mật khẩu của bạn là {code}, dùng một lần trong {minutes} phút. "
        "Không đưa mã này cho ai.",
        f"{name_en}: your password reset code is {code}, valid once for {minutes} minutes. "
        "Never give this code to anyone.",
    )


def reset_done(contest: ContestNames | None) -> MessageText:
    name_vi = f'cuộc thi "{contest.vi}"' if contest else "cán bộ"
    name_en = f'the contest "{contest.en}"' if contest else "staff"
    return MessageText(
        "Mật khẩu đã được đặt lại",
        "Your password was reset",
        f"Mật khẩu tài khoản {name_vi} của bạn vừa được đặt lại và mọi phiên đăng nhập đã kết "
        "thúc. Nếu không phải bạn, hãy liên hệ Ban Tổ chức ngay.",
        f"The password of your {name_en} account was just reset and every sign-in ended. "
        "If it was not you, contact the organisers at once.",
    )


def registration_attempt(contest: ContestNames) -> MessageText:
    return MessageText(
        "Có người đăng ký bằng thông tin của bạn",
        "Someone registered with your details",
        f'Cuộc thi "{contest.vi}": vừa có người đăng ký bằng số CCCD hoặc số điện thoại '
        "của bạn. Không có tài khoản mới nào được tạo. Nếu đó không phải bạn, hãy giữ kín mật khẩu; "
        f"nếu bạn chưa từng đăng ký, hãy gửi yêu cầu xác minh tại /c/{contest.slug}/claim.",
        f'Contest "{contest.en}": someone just tried to register with '
        "your citizen ID or phone number. No new account was made. If it was not you, keep your "
        f"password to yourself; if you never registered, file a claim at /c/{contest.slug}/claim.",
    )


def identity_linked(contest: ContestNames, provider_vi: str, provider_en: str) -> MessageText:
    return MessageText(
        f"Tài khoản đã liên kết với {provider_vi}",
        f"Account linked to {provider_en}",
        f'Cuộc thi "{contest.vi}": tài khoản dự thi của bạn vừa được liên kết với {provider_vi}. '
        f"Từ nay hãy đăng nhập bằng {provider_vi}; mật khẩu cũ không còn dùng được. Nếu không "
        "phải bạn, hãy liên hệ Ban Tổ chức.",
        f'Contest "{contest.en}": your contest account was just linked to {provider_en}. From '
        f"now on sign in with {provider_en}; the old password no longer works. If this was not "
        "you, contact the organising committee.",
    )


def reset_not_needed(contest: ContestNames, provider_vi: str, provider_en: str) -> MessageText:
    return MessageText(
        "Tài khoản không dùng mật khẩu",
        "Your account has no password",
        f'Cuộc thi "{contest.vi}": có yêu cầu đặt lại mật khẩu tài khoản của bạn, nhưng tài khoản '
        f'này đăng nhập bằng {provider_vi}, không dùng mật khẩu. Hãy chọn "Đăng nhập bằng '
        f'{provider_vi}" trên trang đăng nhập. Nếu không phải bạn yêu cầu, hãy bỏ qua tin này.',
        f'Contest "{contest.en}": someone asked to reset your account\'s password, but the account '
        f'signs in with {provider_en} and has no password. Choose "Sign in with {provider_en}" '
        "on the sign-in page. If it was not you, ignore this message.",
    )


def registration_confirmed(contest: ContestNames, link: str) -> MessageText:
    return MessageText(
        f"Đăng ký thành công: {contest.vi}",
        f"Registered: {contest.en}",
        f'Bạn đã đăng ký dự thi "{contest.vi}". Đăng nhập bằng số CCCD hoặc số điện thoại '
        f"tại {link}",
        f'You are registered for "{contest.en}". Sign in with your citizen ID or phone number '
        f"at {link}",
    )


def round_opens(
    contest: ContestNames, round_vi: str, round_en: str, closes: datetime, link: str
) -> MessageText:
    return MessageText(
        f"{round_vi} đã mở: {contest.vi}",
        f"{round_en} is open: {contest.en}",
        f'"{contest.vi}": {round_vi} đã mở, hạn cuối {_when(closes)}. Vào thi tại {link}',
        f'"{contest.en}": {round_en} is open until {_when(closes)} (Vietnam time). Take part at {link}',
    )


def round_closing(
    contest: ContestNames, round_vi: str, round_en: str, closes: datetime, link: str
) -> MessageText:
    return MessageText(
        f"{round_vi} sắp đóng: {contest.vi}",
        f"{round_en} closes soon: {contest.en}",
        f'"{contest.vi}": {round_vi} đóng lúc {_when(closes)}, bạn chưa hoàn thành bài thi. '
        f"Tiếp tục tại {link}",
        f'"{contest.en}": {round_en} closes at {_when(closes)} (Vietnam time) and you have not '
        f"finished it. Continue at {link}",
    )


def results_published(contest: ContestNames, link: str) -> MessageText:
    return MessageText(
        f"Đã công bố kết quả: {contest.vi}",
        f"Results published: {contest.en}",
        f'Ban Tổ chức đã công bố kết quả cuộc thi "{contest.vi}". Xem tại {link}',
        f'The organisers published the results of "{contest.en}". See them at {link}',
    )


def certificate_ready(contest: ContestNames, code: str, link: str) -> MessageText:
    return MessageText(
        f"Giấy chứng nhận của bạn: {contest.vi}",
        f"Your certificate: {contest.en}",
        f'Giấy chứng nhận cuộc thi "{contest.vi}" của bạn đã sẵn sàng (mã {code}). '
        f"Tải về tại trang cá nhân; ai cũng kiểm tra được tại {link}",
        f'Your certificate for "{contest.en}" is ready (code {code}). Download it from your page; '
        f"anyone can verify it at {link}",
    )


def with_unsubscribe(text: MessageText, link: str) -> MessageText:
    """A non-essential message ends with its one-click way out."""
    return MessageText(
        text.subject_vi,
        text.subject_en,
        f"{text.body_vi}\nNgừng nhận tin của cuộc thi: {link}",
        f"{text.body_en}\nStop messages about this contest: {link}",
    )
