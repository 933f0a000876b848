"""Attempt rules: timing and finality, who may start, which attempt counts, what may be shown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from contest.domain.errors import ContestError

# Vietnam has kept UTC+7 all year since 1975, so a fixed offset is exact and needs no tz data.
_VIETNAM = timezone(timedelta(hours=7))


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _vi_time(moment: datetime) -> str:
    local = moment.astimezone(_VIETNAM)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def _en_time(moment: datetime) -> str:
    local = moment.astimezone(_VIETNAM)
    return f"{local:%H:%M} on {local:%d/%m/%Y} (UTC+7)"


@dataclass(frozen=True, slots=True)
class AttemptClock:
    """The server's view of one attempt's time; the browser's countdown only mirrors it.

    The grace period absorbs network delay on the last answers and the final submit; it is
    never shown to the participant.
    """

    started_at: datetime
    time_limit: timedelta
    round_closes_at: datetime
    grace: timedelta = timedelta(seconds=0)

    def __post_init__(self) -> None:
        _require_aware(started_at=self.started_at, round_closes_at=self.round_closes_at)
        if self.time_limit <= timedelta(0) or self.grace < timedelta(0):
            raise ValueError("time_limit must be positive and grace not negative")

    @property
    def deadline(self) -> datetime:
        return min(self.started_at + self.time_limit, self.round_closes_at)

    @property
    def last_save_at(self) -> datetime:
        return self.deadline + self.grace

    def accepts_saves_at(self, now: datetime, submitted_at: datetime | None = None) -> bool:
        """True up to and including deadline + grace, unless the attempt was submitted."""
        return submitted_at is None and now <= self.last_save_at

    def remaining(self, now: datetime) -> int:
        """Whole seconds to the deadline, rounded down so the browser never runs late."""
        return max(0, math.floor((self.deadline - now).total_seconds()))

    def is_final(self, now: datetime, submitted_at: datetime | None) -> bool:
        """Final once submitted or once saves are no longer accepted.

        Worked out from the clock on every read, so a late or missing background job can
        neither leave an attempt open nor reveal anything early.
        """
        return submitted_at is not None or now > self.last_save_at

    def finished_at(self, now: datetime, submitted_at: datetime | None) -> datetime | None:
        """When the attempt ended for ranking, or None while it is still running.

        A submission inside the grace period counts as at the deadline, so grace never
        buys extra time in the time-taken tie-break.
        """
        if submitted_at is not None:
            return min(submitted_at, self.deadline)
        if now > self.last_save_at:
            return self.deadline
        return None


@dataclass(frozen=True, slots=True)
class RoundWindow:
    """When a round takes attempts: from opens_at (inclusive) until closes_at (exclusive)."""

    opens_at: datetime
    closes_at: datetime

    def __post_init__(self) -> None:
        _require_aware(opens_at=self.opens_at, closes_at=self.closes_at)
        if self.closes_at <= self.opens_at:
            raise ValueError("a round must close after it opens")

    def has_opened(self, now: datetime) -> bool:
        return now >= self.opens_at

    def has_closed(self, now: datetime) -> bool:
        return now >= self.closes_at

    def is_open(self, now: datetime) -> bool:
        return self.has_opened(now) and not self.has_closed(now)


@dataclass(frozen=True, slots=True)
class StartCheck:
    """Whether a participant may start another attempt now, and if not, why."""

    allowed: bool
    reason: Literal["not_open_yet", "closed", "no_attempts_left"] | None = None
    message_vi: str = ""
    message_en: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise ContestError(self.message_vi, self.message_en, field="attempt")


def can_start(
    attempts_used: int, max_attempts: int, window: RoundWindow, now: datetime
) -> StartCheck:
    """`attempts_used` counts every attempt started in the round, finished or not;
    `max_attempts` 0 means unlimited. Resuming an unfinished attempt is not a start."""
    if not window.has_opened(now):
        return StartCheck(
            False,
            "not_open_yet",
            f"Đợt thi chưa mở; đợt thi bắt đầu lúc {_vi_time(window.opens_at)}",
            f"The round is not open yet; it opens at {_en_time(window.opens_at)}",
        )
    if window.has_closed(now):
        return StartCheck(
            False,
            "closed",
            f"Đợt thi đã kết thúc lúc {_vi_time(window.closes_at)}",
            f"The round closed at {_en_time(window.closes_at)}",
        )
    if max_attempts > 0 and attempts_used >= max_attempts:
        if max_attempts == 1:
            return StartCheck(
                False,
                "no_attempts_left",
                "Bạn đã dùng lượt thi duy nhất của đợt này",
                "You have already used your one attempt in this round",
            )
        return StartCheck(
            False,
            "no_attempts_left",
            f"Bạn đã dùng hết {max_attempts} lượt thi của đợt này",
            f"You have used all {max_attempts} attempts allowed in this round",
        )
    return StartCheck(True)


ShowScore = Literal["on_submit", "after_close", "never"]
ShowKey = Literal["after_close", "on_submit", "never"]


@dataclass(frozen=True, slots=True)
class ResultVisibility:
    """What a participant may see of their own attempt: the score, and the answer key."""

    show_score: ShowScore = "on_submit"
    show_key: ShowKey = "after_close"

    def __post_init__(self) -> None:
        allowed = ("on_submit", "after_close", "never")
        if self.show_score not in allowed or self.show_key not in allowed:
            raise ValueError(f"show_score and show_key must be one of {allowed}")


def _visible(setting: str, attempt_final: bool, round_closed: bool) -> bool:
    # Nothing is shown for a running attempt whatever the setting: a live score would let a
    # participant change one answer at a time and watch the score to find the key.
    if not attempt_final:
        return False
    if setting == "on_submit":
        return True
    if setting == "after_close":
        return round_closed
    return False


def may_show_score(visibility: ResultVisibility, attempt_final: bool, round_closed: bool) -> bool:
    return _visible(visibility.show_score, attempt_final, round_closed)


def may_show_key(visibility: ResultVisibility, attempt_final: bool, round_closed: bool) -> bool:
    """The key is never shown before the attempt is final, whatever the setting."""
    return _visible(visibility.show_key, attempt_final, round_closed)


def validate_visibility(visibility: ResultVisibility, max_attempts: int) -> None:
    """Refuse showing the key on submit when another attempt may follow: the next paper is
    drawn from the same bank, so the key of one attempt answers the next."""
    if visibility.show_key == "on_submit" and max_attempts != 1:
        raise ContestError(
            "Không thể hiện đáp án ngay khi nộp bài khi thí sinh được thi nhiều lượt: "
            "đáp án lượt trước sẽ lộ câu hỏi của lượt sau",
            "The answer key cannot be shown on submit when more than one attempt is allowed: "
            "one attempt's key would answer the next",
            field="show_key",
        )


# ---------------------------------------------------------------------------- the order of saves
#
# Every save of an answer carries an order the server decided, so whichever path carried a choice
# (one question at a time from the page's script, the whole page as a form, a retry from the
# phone's queue) the newest choice is the one kept. The server issues each rendering of the
# attempt page a page number, later than every page whose answers are stored; a save's order is
# that page number followed by the page's own count of changes (its `seq`, which only orders the
# saves of one page among themselves). The phone's clock plays no part. Stored answers keep the
# order they were saved with; a save with a lower order than the stored one changes nothing.

SEQ_BITS = 20
MAX_SEQ = (1 << SEQ_BITS) - 1  # a million changes on one page
MAX_PAGE_AHEAD = timedelta(minutes=10)  # page numbers come from the server's clocks


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def page_of(order: int) -> int:
    return order >> SEQ_BITS


def issue_page(now: datetime, stored_orders: list[int] | tuple[int, ...]) -> int:
    """A page number for a rendering of the attempt page: the server's time in milliseconds, or
    one past the latest page with a stored answer when a clock (another host's) is behind."""
    latest = max((page_of(o) for o in stored_orders), default=0)
    return max(_ms(now), latest + 1)


def save_order(page: int | None, seq: int, now: datetime) -> int:
    """The order of a save sent by page `page` as its change number `seq`.

    A save without a page number (a page rendered before page numbers existed) is ordered by
    its arrival at the server.
    """
    if page is None:
        return _ms(now) << SEQ_BITS
    if not 0 < page <= _ms(now + MAX_PAGE_AHEAD):
        raise ContestError(
            "Số trang không hợp lệ; hãy tải lại trang bài thi.",
            "The page number is not valid; reload the attempt page.",
            field="page",
        )
    if not 0 <= seq <= MAX_SEQ:
        raise ContestError(
            f"Số thứ tự lần lưu phải từ 0 đến {MAX_SEQ}; hãy tải lại trang bài thi.",
            f"The save number must be from 0 to {MAX_SEQ}; reload the attempt page.",
            field="seq",
        )
    return (page << SEQ_BITS) | seq
