"""Signals of cheating across entries (shared answers, timing, linked accounts): evidence for the
committee to judge, never a verdict of their own."""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import combinations

import numpy as np

from contest.domain.errors import ContestError, InvalidInput

# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalSettings:
    """The thresholds of every signal; each is a setting of the contest (see SETTING_MEANINGS)."""

    min_common_questions: int = 5
    min_shared_wrong: int = 3
    min_agreement: float = 0.8
    min_evidence: float = 6.0
    min_ring_evidence: float = 1.5
    min_sheet_evidence: float = 3.5
    min_linked_evidence: float = 2.5
    max_bucket: int = 5000
    timing_evidence: int = 1
    min_seconds_per_answer: float = 2.0
    min_timed_answers: int = 5
    timing_resolution_seconds: float = 1.0
    burst_window_minutes: int = 10
    burst_device_accounts: int = 3
    burst_address_accounts: int = 30
    min_burst_evidence: float = 6.0
    device_accounts: int = 2
    registration_window_minutes: int = 10
    registration_address_accounts: int = 5
    family_device_accounts: int = 2


@dataclass(frozen=True)
class SettingMeaning:
    label_vi: str
    label_en: str
    meaning_vi: str
    meaning_en: str
    minimum: float
    maximum: float


SETTING_MEANINGS: dict[str, SettingMeaning] = {
    "min_common_questions": SettingMeaning(
        "Số câu chung tối thiểu",
        "Fewest common questions",
        "Hai bài thi chỉ được so khi đề của chúng có ít nhất ngần này câu giống nhau.",
        "Two entries are compared only when their papers share at least this many questions.",
        1,
        1000,
    ),
    "min_shared_wrong": SettingMeaning(
        "Số đáp án sai trùng tối thiểu",
        "Fewest identical wrong answers",
        "Một cặp bài chỉ bị nêu khi chọn cùng một phương án sai ở ít nhất ngần này câu.",
        "A pair is raised only when both chose the same wrong option on at least this many questions.",
        2,
        1000,
    ),
    "min_agreement": SettingMeaning(
        "Tỉ lệ trả lời giống nhau tối thiểu",
        "Least share of identical answers",
        "Trên các câu chung, tỉ lệ câu hai bài chọn y hệt nhau phải đạt ít nhất mức này (0–1).",
        "On the common questions, the share answered identically must reach this (0–1).",
        0,
        1,
    ),
    "min_evidence": SettingMeaning(
        "Độ hiếm tối thiểu (log10)",
        "Least rarity (log10)",
        "Chỉ nêu khi khả năng hai người làm độc lập trùng ngần ấy đáp án sai nhỏ hơn 1 phần 10^x "
        "(6 nghĩa là 1 phần triệu). Mọi ngưỡng độ hiếm tăng thêm 1 cho mỗi lần số bài thi gấp 10 "
        "quá 1.000 bài.",
        "Raised only when the chance that two independent people share that many wrong answers "
        "is below 1 in 10^x (6 means one in a million). Every rarity threshold rises by 1 for "
        "each tenfold of entries beyond 1,000.",
        0,
        100,
    ),
    "min_ring_evidence": SettingMeaning(
        "Độ hiếm tối thiểu trong nhóm (log10)",
        "Least rarity within a group (log10)",
        "Các cặp đạt mức này mà khép thành tam giác (A–B, B–C, C–A) gợi ý một nhóm dùng chung "
        "bảng đáp án; mọi bài của đợt được so với bảng đáp án của nhóm.",
        "Pairs reaching this that close into triangles (A–B, B–C, C–A) suggest a group sharing one "
        "answer sheet; every entry of the round is then compared with the group's sheet.",
        0,
        100,
    ),
    "min_sheet_evidence": SettingMeaning(
        "Độ hiếm tối thiểu so với bảng đáp án chung (log10)",
        "Least rarity against a shared sheet (log10)",
        "Một bài thuộc nhóm khi khả năng nó trùng bảng đáp án chung của nhóm (không tính chính "
        "bài đó) một cách ngẫu nhiên nhỏ hơn 1 phần 10^x; nhóm cần ít nhất 3 tài khoản như vậy.",
        "An entry belongs to a group when the chance that it matches the group's sheet (its own "
        "answers left out) by chance is below 1 in 10^x; a group needs 3 such accounts.",
        0,
        100,
    ),
    "min_linked_evidence": SettingMeaning(
        "Độ hiếm tối thiểu cho bài nối với nhóm (log10)",
        "Least rarity for an entry linked to a group (log10)",
        "Một bài có cặp trùng đáp án (đạt độ hiếm trong nhóm) với ít nhất 2 thành viên của nhóm "
        "cũng vào nhóm khi khả năng nó trùng bảng đáp án của nhóm một cách ngẫu nhiên nhỏ hơn "
        "1 phần 10^x; thấp hơn ngưỡng trên vì chỉ vài bài nối như vậy được so, không phải cả đợt.",
        "An entry paired (at the group rarity) with at least 2 members of a group also joins it "
        "when the chance that it matches the group's sheet by chance is below 1 in 10^x; lower "
        "than the threshold above because only the few entries so linked are compared, not the "
        "whole round.",
        0,
        100,
    ),
    "max_bucket": SettingMeaning(
        "Cỡ nhóm so sánh tối đa",
        "Largest comparison bucket",
        "Một tổ hợp đáp án sai có hơn ngần này bài chọn thì quá phổ biến để làm bằng chứng và được "
        "bỏ qua (số lần bỏ qua được ghi lại).",
        "A combination of wrong answers chosen by more entries than this is too common to be "
        "evidence and is skipped (the count is recorded).",
        2,
        1_000_000,
    ),
    "timing_evidence": SettingMeaning(
        "Tính cả thời điểm bắt đầu và tốc độ (1 = có, 0 = không)",
        "Weigh start times and pace (1 = yes, 0 = no)",
        "Khi là 1, độ hiếm của các bài trùng đáp án tính cả việc chúng bắt đầu gần nhau và trả lời "
        "nhanh, so với số bài của đợt cũng làm vậy (giờ mở đợt đông người nên bắt đầu gần nhau "
        "lúc ấy ít có giá trị). Chỉ cộng thêm vào bằng chứng đáp án, không tự nêu ai.",
        "When 1, the rarity of entries sharing answers also weighs how close together they "
        "started and how fast they answered, against how many of the round's entries do so (the "
        "opening rush is crowded, so starting close then counts for little). It only adds to "
        "answer evidence and raises no one on its own.",
        0,
        1,
    ),
    "min_seconds_per_answer": SettingMeaning(
        "Số giây tối thiểu mỗi câu",
        "Fewest seconds per answer",
        "Bài có thời gian trung vị mỗi câu dưới mức này là nhanh hơn tốc độ đọc.",
        "An entry whose median time per question is below this answered faster than reading allows.",
        0,
        600,
    ),
    "min_timed_answers": SettingMeaning(
        "Số lần lưu tối thiểu để xét thời gian",
        "Fewest saves to judge timing",
        "Tín hiệu thời gian chỉ xét bài có ít nhất ngần này lần lưu ở các thời điểm khác nhau.",
        "Timing signals look only at entries with at least this many saves at distinct times.",
        2,
        1000,
    ),
    "timing_resolution_seconds": SettingMeaning(
        "Độ phân giải thời gian (giây)",
        "Timing resolution (seconds)",
        "Hai chuỗi thời gian trả lời coi là y hệt khi mọi khoảng cách bằng nhau sau khi làm tròn "
        "đến mức này.",
        "Two answer-timing sequences are identical when every gap is equal after rounding to this.",
        0.1,
        60,
    ),
    "burst_window_minutes": SettingMeaning(
        "Cửa sổ bắt đầu dồn dập (phút)",
        "Burst window (minutes)",
        "Khoảng thời gian để đếm số tài khoản bắt đầu thi từ cùng một địa chỉ hoặc thiết bị.",
        "The time span in which starts from one address or device are counted.",
        1,
        1440,
    ),
    "burst_device_accounts": SettingMeaning(
        "Số tài khoản bắt đầu từ một thiết bị",
        "Accounts starting on one device",
        "Nêu khi ngần này tài khoản trở lên bắt đầu thi trên cùng một thiết bị trong cửa sổ trên.",
        "Raised when this many accounts or more start on one device within the window.",
        2,
        1000,
    ),
    "burst_address_accounts": SettingMeaning(
        "Số tài khoản bắt đầu từ một địa chỉ",
        "Accounts starting from one address",
        "Nêu khi ngần này tài khoản trở lên bắt đầu thi từ cùng một địa chỉ IP trong cửa sổ trên; "
        "để cao vì trường học, cơ quan dùng chung một địa chỉ.",
        "Raised when this many accounts or more start from one IP address within the window; kept "
        "high because a school or office shares one address.",
        2,
        100_000,
    ),
    "min_burst_evidence": SettingMeaning(
        "Độ hiếm tối thiểu của bắt đầu dồn dập từ một địa chỉ (log10)",
        "Least rarity of a burst from one address (log10)",
        "Nhiều người dùng chung một địa chỉ (trường học, cơ quan, nhà mạng), và lúc mở đợt một địa "
        "chỉ như vậy có rất nhiều lượt bắt đầu. Chỉ nêu khi số tài khoản nhiều hơn hẳn mức mà "
        "phần của địa chỉ đó trong cả đợt và nhịp bắt đầu của đợt lúc ấy mang lại: khả năng ngẫu "
        "nhiên nhỏ hơn 1 phần 10^x (tăng thêm 1 cho mỗi lần số bài gấp 10 quá 1.000 bài).",
        "Many people share one address (a school, an office, a mobile operator), and when a round "
        "opens such an address brings many starts. Raised only when the accounts far exceed what "
        "the address's share of the round and the round's pace of starts then bring: a chance "
        "below 1 in 10^x (rising by 1 for each tenfold of entries beyond 1,000).",
        0,
        100,
    ),
    "device_accounts": SettingMeaning(
        "Số tài khoản trên một thiết bị",
        "Accounts on one device",
        "Nêu khi ngần này tài khoản trở lên đăng ký, đăng nhập hoặc thi trên cùng một thiết bị.",
        "Raised when this many accounts or more register, sign in or start on one device.",
        2,
        1000,
    ),
    "registration_window_minutes": SettingMeaning(
        "Cửa sổ đăng ký (phút)",
        "Registration window (minutes)",
        "Khoảng thời gian để đếm số tài khoản đăng ký từ cùng một địa chỉ IP.",
        "The time span in which registrations from one IP address are counted.",
        1,
        1440,
    ),
    "registration_address_accounts": SettingMeaning(
        "Số tài khoản đăng ký từ một địa chỉ",
        "Registrations from one address",
        "Nêu khi ngần này tài khoản trở lên đăng ký từ cùng một địa chỉ IP trong cửa sổ trên.",
        "Raised when this many accounts or more register from one IP address within the window.",
        2,
        100_000,
    ),
    "family_device_accounts": SettingMeaning(
        "Số CCCD cùng họ, cùng tỉnh trên một thiết bị",
        "Family ids on one device",
        "Nêu khi ngần này tài khoản cùng họ, CCCD cùng mã tỉnh, đăng ký trên cùng một thiết bị.",
        "Raised when this many accounts with one surname and one CCCD province code register on "
        "one device.",
        2,
        1000,
    ),
}


def settings_from(spec: Mapping[str, object] | None) -> SignalSettings:
    """Settings from stored or submitted values; unknown keys are ignored, missing ones default.

    Every bad value is reported at once, by field, in both languages."""
    spec = spec or {}
    values: dict[str, object] = {}
    errors: list[ContestError] = []
    defaults = SignalSettings()
    for f in fields(SignalSettings):
        raw = spec.get(f.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        meaning = SETTING_MEANINGS[f.name]
        kind = type(getattr(defaults, f.name))
        try:
            text = str(raw).strip().replace(",", ".")
            value = int(text) if kind is int else float(text)
        except ValueError:
            errors.append(
                ContestError(
                    f"{meaning.label_vi}: '{raw}' không phải là số"
                    + (" nguyên." if kind is int else "."),
                    f"{meaning.label_en}: '{raw}' is not "
                    + ("a whole number." if kind is int else "a number."),
                    field=f.name,
                )
            )
            continue
        if not meaning.minimum <= value <= meaning.maximum:
            errors.append(
                ContestError(
                    f"{meaning.label_vi}: phải từ {meaning.minimum:g} đến {meaning.maximum:g}.",
                    f"{meaning.label_en}: must be between {meaning.minimum:g} and "
                    f"{meaning.maximum:g}.",
                    field=f.name,
                )
            )
            continue
        values[f.name] = value
    if errors:
        raise InvalidInput(errors)
    return SignalSettings(**values)  # type: ignore[arg-type]


def settings_spec(settings: SignalSettings) -> dict[str, float | int]:
    return asdict(settings)


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerSheet:
    """One entry's answers: (question id, chosen option key, whether it is correct) per answer.

    The option key names the chosen option(s) independent of the order shown, so shuffled
    papers compare."""

    attempt_id: int
    participant_id: int
    answers: tuple[tuple[int, str, bool], ...]


@dataclass(frozen=True)
class SaveTrace:
    """When an entry's answers were last saved (one time per answered question)."""

    attempt_id: int
    participant_id: int
    started_at: datetime
    saved_at: tuple[datetime, ...]


@dataclass(frozen=True)
class StartEvent:
    attempt_id: int
    participant_id: int
    started_at: datetime
    address: str = ""
    device: str = ""


@dataclass(frozen=True)
class AccountFacts:
    participant_id: int
    full_name: str
    citizen_id: str
    phone: str
    email: str | None
    registered_at: datetime
    registered_address: str = ""
    registered_device: str = ""
    devices: frozenset[str] = (
        frozenset()
    )  # every device seen for the account, registration included


# --- outputs -------------------------------------------------------------------------------


class SignalKind(StrEnum):
    SHARED_SHEET = "shared_sheet"
    SHARED_ANSWERS = "shared_answers"
    IDENTICAL_TIMING = "identical_timing"
    FAST_SAVES = "fast_saves"
    START_BURST_DEVICE = "start_burst_device"
    START_BURST_ADDRESS = "start_burst_address"
    SHARED_DEVICE = "shared_device"
    SHARED_PHONE = "shared_phone"
    SHARED_EMAIL = "shared_email"
    REGISTRATION_ADDRESS = "registration_address"
    FAMILY_DEVICE = "family_device"


KIND_WORDS: dict[SignalKind, tuple[str, str]] = {
    SignalKind.SHARED_SHEET: ("cùng một bảng đáp án", "one shared answer sheet"),
    SignalKind.SHARED_ANSWERS: ("trùng đáp án sai", "identical wrong answers"),
    SignalKind.IDENTICAL_TIMING: ("thời gian trả lời y hệt", "identical answer timing"),
    SignalKind.FAST_SAVES: ("trả lời nhanh hơn tốc độ đọc", "answers faster than reading"),
    SignalKind.START_BURST_DEVICE: (
        "bắt đầu dồn dập trên một thiết bị",
        "starts bunched on one device",
    ),
    SignalKind.START_BURST_ADDRESS: (
        "bắt đầu dồn dập từ một địa chỉ",
        "starts bunched on one address",
    ),
    SignalKind.SHARED_DEVICE: ("dùng chung thiết bị", "one device"),
    SignalKind.SHARED_PHONE: ("trùng số điện thoại", "one phone number"),
    SignalKind.SHARED_EMAIL: ("trùng thư điện tử", "one email address"),
    SignalKind.REGISTRATION_ADDRESS: (
        "đăng ký liền nhau từ một địa chỉ",
        "registered together from one address",
    ),
    SignalKind.FAMILY_DEVICE: (
        "CCCD cùng họ, cùng tỉnh trên một thiết bị",
        "family ids on one device",
    ),
}


@dataclass(frozen=True)
class Evidence:
    """One observation linking accounts (or marking one), with the figures behind it."""

    kind: SignalKind
    participant_ids: tuple[int, ...]
    attempt_ids: tuple[int, ...]
    score: float  # larger is stronger; for shared answers the rarity in log10
    message_vi: str
    message_en: str
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Cluster:
    """Accounts tied together by evidence (or one account with evidence of its own)."""

    participant_ids: tuple[int, ...]
    attempt_ids: tuple[int, ...]
    evidence: tuple[Evidence, ...]
    score: float
    reason_vi: str
    reason_en: str

    @property
    def kinds(self) -> tuple[SignalKind, ...]:
        return tuple(sorted({e.kind for e in self.evidence}))


@dataclass(frozen=True)
class SimilarityStats:
    attempts: int
    candidate_pairs: int
    skipped_buckets: int
    flagged_pairs: int
    band: int = 3  # how many identical wrong choices put two entries in one bucket


# --- answer-pattern similarity -------------------------------------------------------------

# Each entry is bucketed by every `band` of its SIGNATURE_SIZE rarest wrong choices. Two entries
# sharing at least `band` identical wrong answers among their rarest meet in a bucket with
# certainty, unlike MinHash, whose recall for pairs with partly overlapping papers (Jaccard
# 0.2–0.4 when papers draw 20 of 50 questions) needs so many bands that honest pairs flood in.
# `band` starts at 3 (or the setting's minimum) and grows while the buckets would yield more
# than PAIR_BUDGET pairs per entry: in a large round a pair needs more shared wrong answers to
# stand out from chance anyway (see entries_adjustment).
SIGNATURE_SIZE = 8
PAIR_BUDGET = 20
MAX_BAND = 6


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def poisson_tail_log10(k: int, lam: float) -> float:
    """−log10 P(X ≥ k) for X ~ Poisson(lam): how many tenfolds rarer than certain."""
    if k <= 0:
        return 0.0
    lam = max(lam, 1e-12)
    first = -lam + k * math.log(lam) - math.lgamma(k + 1)
    total, term, j = 1.0, 1.0, 1
    while j < 1000:
        term *= lam / (k + j)
        total += term
        if term < 1e-12 * total:
            break
        j += 1
    log_p = first + math.log(total)
    return max(0.0, -log_p / math.log(10))


def agreement_tail_log10(chances: Sequence[float], k: int) -> float:
    """−log10 P(at least k of the events happen) for independent events with these chances
    (a Poisson-binomial tail), counted by mismatches so near-total agreement is cheap."""
    limit = len(chances) - k
    if limit < 0:
        return math.inf
    if k <= 0:
        return 0.0
    dist = [1.0] + [0.0] * limit
    for p in chances:
        q = 1 - p
        for m in range(limit, 0, -1):
            dist[m] = dist[m] * p + dist[m - 1] * q
        dist[0] *= p
    total = sum(dist)
    return -math.log10(total) if total > 0 else 300.0


def combined_rarity(identical_rarity: float, wrong_rarity: float) -> float:
    """The stronger of the two figures, less log10(2) for having looked at two."""
    return max(0.0, max(identical_rarity, wrong_rarity) - math.log10(2))


def product_tail_log10(rarities: Sequence[float]) -> float:
    """−log10 of the chance that independent chance figures (p-values, given as −log10) multiply
    to at most the product of these: Fisher's method in closed form,
    P(U1⋯Uk ≤ x) = x · Σ_{i<k} (−ln x)^i / i!."""
    total = sum(rarities)
    if not rarities or total <= 0:
        return 0.0
    y = total * math.log(10)  # −ln x
    tail, term = 1.0, 1.0
    for i in range(1, len(rarities)):
        term *= y / i
        tail += term
    return max(0.0, total - math.log10(tail))


def _rarity_of(share: float) -> float:
    return -math.log10(share) if share > 0 else 300.0


@dataclass(frozen=True)
class EntryTiming:
    """When the round's entries started and how fast they answered. Entries starting close
    together, or answering fast, are weighed by how many entries of this round do so anyway:
    in the opening rush many honest people start within minutes of each other, and that is no
    evidence; the same minutes on a quiet afternoon are."""

    # sorted lists, not arrays: they are searched one pair at a time, where bisect is quickest
    starts: list[float]  # every entry's start, seconds
    paces: list[float]  # median seconds per answer of the entries with enough saves
    start_of: Mapping[int, float]  # by attempt id
    pace_of: Mapping[int, float]

    @classmethod
    def of(cls, traces: Sequence[SaveTrace], settings: SignalSettings) -> EntryTiming:
        start_of = {t.attempt_id: t.started_at.timestamp() for t in traces}
        pace_of = {
            t.attempt_id: _pace(t)
            for t in traces
            if len(set(t.saved_at)) >= settings.min_timed_answers
        }
        return cls(
            sorted(start_of.values()),
            sorted(pace_of.values()),
            start_of,
            pace_of,
        )

    def start_share(self, at: float, gap: float, others_of: int = 1) -> float:
        """The share of the other entries starting within `gap` seconds of `at` (at least one:
        the entry being weighed counts, so the figure is never below 1 in the round)."""
        n = len(self.starts)
        if n <= others_of:
            return 1.0
        inside = bisect_right(self.starts, at + gap) - bisect_left(self.starts, at - gap)
        return min(1.0, max(inside - others_of, 1) / (n - others_of))

    def pace_share(self, pace: float) -> float:
        """The share of the round's timed entries answering at this pace or faster."""
        if not len(self.paces):
            return 1.0
        return max(bisect_right(self.paces, pace), 1) / len(self.paces)

    def pair(self, a: int, b: int) -> dict[str, float] | None:
        """How rare it is by chance that two entries (attempt ids) start this close together
        and both answer this fast; None when a start is unknown."""
        if a not in self.start_of or b not in self.start_of:
            return None
        ta, tb = self.start_of[a], self.start_of[b]
        gap = abs(ta - tb)
        share = max(self.start_share(ta, gap), self.start_share(tb, gap))
        out = {
            "start_gap_seconds": round(gap),
            "start_share": share,
            "start_rarity_log10": round(_rarity_of(share), 2),
        }
        if a in self.pace_of and b in self.pace_of:
            slower = max(self.pace_of[a], self.pace_of[b])
            pace_share = self.pace_share(slower) ** 2  # both this fast or faster
            out |= {
                "pace_seconds": round(slower, 2),
                "pace_share": self.pace_share(slower),
                "pace_rarity_log10": round(_rarity_of(pace_share), 2),
            }
        return out

    def to_group(self, attempt_id: int, centre: float | None) -> dict[str, float] | None:
        """How rare it is by chance that an entry starts this close to a group's median start
        and answers this fast; None when either start is unknown."""
        if centre is None or attempt_id not in self.start_of:
            return None
        gap = abs(self.start_of[attempt_id] - centre)
        share = self.start_share(centre, gap, others_of=0)
        out = {
            "start_gap_seconds": round(gap),
            "start_share": share,
            "start_rarity_log10": round(_rarity_of(share), 2),
        }
        if attempt_id in self.pace_of:
            pace = self.pace_of[attempt_id]
            out |= {
                "pace_seconds": round(pace, 2),
                "pace_share": self.pace_share(pace),
                "pace_rarity_log10": round(_rarity_of(self.pace_share(pace)), 2),
            }
        return out


def with_timing(answer_rarity: float, timing: Mapping[str, float] | None) -> float:
    """The rarity of agreeing answers together with starting close and answering fast: start,
    pace and answers are independent for honest people, so their chances multiply (see
    product_tail_log10). The stronger of that and the answers alone, less log10(2) for having
    looked at both, so timing never weakens a pair that its answers alone would raise much."""
    if timing is None:
        return answer_rarity
    parts = [answer_rarity, timing["start_rarity_log10"]]
    if "pace_rarity_log10" in timing:
        parts.append(timing["pace_rarity_log10"])
    return max(0.0, max(answer_rarity, product_tail_log10(parts)) - math.log10(2))


@dataclass
class _RoundModel:
    """Per question: correct rate, wrong-choice shares; per entry: ability. An additive logit
    model (Rasch-like) gives each entry's chance of answering each question correctly."""

    logit_q: dict[int, float]
    logit_mean: float
    wrong_share: dict[tuple[int, str], float]
    wrong_sumsq: dict[int, float]
    choice_share: dict[tuple[int, str], float]
    timing: EntryTiming | None = None

    @classmethod
    def fit(cls, sheets: Sequence[AnswerSheet], timing: EntryTiming | None = None) -> _RoundModel:
        asked: dict[int, int] = defaultdict(int)
        right: dict[int, int] = defaultdict(int)
        chosen: dict[tuple[int, str], int] = defaultdict(int)
        wrong: dict[int, int] = defaultdict(int)
        total = correct_total = 0
        for s in sheets:
            for q, o, ok in s.answers:
                asked[q] += 1
                chosen[(q, o)] += 1
                total += 1
                if ok:
                    right[q] += 1
                    correct_total += 1
                else:
                    wrong[q] += 1
        logit_q = {q: _logit((right[q] + 0.5) / (n + 1)) for q, n in asked.items()}
        wrong_share: dict[tuple[int, str], float] = {}
        sumsq: dict[int, float] = defaultdict(float)
        correct_choice = {(q, o) for s in sheets for q, o, ok in s.answers if ok}
        for (q, o), n in chosen.items():
            if (q, o) in correct_choice:
                continue
            share = n / wrong[q]
            wrong_share[(q, o)] = share
            sumsq[q] += share * share
        return cls(
            logit_q=logit_q,
            logit_mean=_logit((correct_total + 0.5) / (total + 1)),
            wrong_share=wrong_share,
            wrong_sumsq=dict(sumsq),
            choice_share={(q, o): n / asked[q] for (q, o), n in chosen.items()},
            timing=timing,
        )


def _ability_logit(sheet: AnswerSheet) -> float:
    n = len(sheet.answers)
    c = sum(1 for _, _, ok in sheet.answers if ok)
    return _logit((c + 0.5) / (n + 1))


def _pair_evidence(
    a: AnswerSheet,
    b: AnswerSheet,
    la: float,
    lb: float,
    model: _RoundModel,
    settings: SignalSettings,
    floor: float,
) -> Evidence | None:
    answers_b = {q: (o, ok) for q, o, ok in b.answers}
    common = identical = 0
    expected_identical = expected_wrong = 0.0
    shared_wrong: list[tuple[int, str, float]] = []
    chances: list[float] = []
    shift_a = la - model.logit_mean
    shift_b = lb - model.logit_mean
    for q, o, ok in a.answers:
        other = answers_b.get(q)
        if other is None:
            continue
        common += 1
        lq = model.logit_q[q]
        pa = _sigmoid(lq + shift_a)
        pb = _sigmoid(lq + shift_b)
        both_wrong_same = (1 - pa) * (1 - pb) * model.wrong_sumsq.get(q, 0.0)
        chances.append(pa * pb + both_wrong_same)
        expected_identical += chances[-1]
        expected_wrong += both_wrong_same
        if other[0] == o:
            identical += 1
            if not ok:
                shared_wrong.append((q, o, model.choice_share[(q, o)]))
    if common < settings.min_common_questions or len(shared_wrong) < settings.min_shared_wrong:
        return None
    agreement = identical / common
    if agreement < settings.min_agreement:
        return None
    identical_rarity = agreement_tail_log10(chances, identical)
    wrong_rarity = poisson_tail_log10(len(shared_wrong), expected_wrong)
    answer_rarity = combined_rarity(identical_rarity, wrong_rarity)
    timing = model.timing.pair(a.attempt_id, b.attempt_id) if model.timing else None
    rarity = with_timing(answer_rarity, timing)
    if rarity < floor:
        return None
    n = len(shared_wrong)
    odds = f"{rarity:.1f}"
    when_vi, when_en = _timing_words(timing, answer_rarity, rarity, "cả hai", "both")
    return Evidence(
        kind=SignalKind.SHARED_ANSWERS,
        participant_ids=(a.participant_id, b.participant_id),
        attempt_ids=(a.attempt_id, b.attempt_id),
        score=round(rarity, 2),
        message_vi=(
            f"Bài #{a.attempt_id} và #{b.attempt_id}: {identical}/{common} câu chung chọn y hệt "
            f"(kỳ vọng {expected_identical:.1f}), {n} câu cùng phương án sai (kỳ vọng "
            f"{expected_wrong:.2f}){when_vi}; xác suất ngẫu nhiên dưới 1 phần "
            f"10^{odds.replace('.', ',')}."
        ),
        message_en=(
            f"Entries #{a.attempt_id} and #{b.attempt_id}: {identical}/{common} common questions "
            f"answered identically (expected {expected_identical:.1f}), {n} identical wrong "
            f"choices (expected {expected_wrong:.2f}){when_en}; chance below 1 in 10^{odds}."
        ),
        detail={
            "common": common,
            "identical": identical,
            "expected_identical": round(expected_identical, 2),
            "shared_wrong": n,
            "expected_shared_wrong": round(expected_wrong, 3),
            "identical_rarity_log10": round(identical_rarity, 2),
            "wrong_rarity_log10": round(wrong_rarity, 2),
            "answer_rarity_log10": round(answer_rarity, 2),
            "rarity_log10": round(rarity, 2),
            "timing_counted": rarity > answer_rarity,
            **(timing or {}),
            # question, option key, share of the round's entries on that question choosing it
            "shared_wrong_choices": [[q, o, round(share, 3)] for q, o, share in shared_wrong],
        },
    )


def _percent(share: float) -> str:
    return f"{100 * share:.2g}" if share < 0.1 else f"{100 * share:.0f}"


def _timing_words(
    timing: Mapping[str, float] | None,
    answer_rarity: float,
    rarity: float,
    who_vi: str,
    who_en: str,
    to_vi: str = "",
    to_en: str = "",
) -> tuple[str, str]:
    """Words on start and pace for a message, only when they added to the answers' rarity."""
    if not timing or rarity <= answer_rarity:
        return "", ""
    minutes = _comma(timing["start_gap_seconds"] / 60)
    start_vi = (
        f"; bắt đầu cách {to_vi}{minutes} phút (chỉ {_percent(timing['start_share'])} % bài "
        "thi của đợt bắt đầu gần như vậy)"
    )
    start_en = (
        f"; started {minutes.replace(',', '.')} minutes apart{to_en} (only "
        f"{_percent(timing['start_share'])} % of the round's entries start that close)"
    )
    if "pace_seconds" not in timing:
        return start_vi, start_en
    pace = _comma(timing["pace_seconds"])
    pace_vi = (
        f", {who_vi} trả lời trung vị {pace} giây mỗi câu (chỉ "
        f"{_percent(timing['pace_share']).replace('.', ',')} % bài nhanh như vậy)"
    )
    pace_en = (
        f", {who_en} answering in a median {pace.replace(',', '.')} s per question (only "
        f"{_percent(timing['pace_share'])} % of entries are that fast)"
    )
    return start_vi + pace_vi, start_en + pace_en


def _candidate_pairs(
    sheets: Sequence[AnswerSheet], model: _RoundModel, settings: SignalSettings
) -> tuple[np.ndarray, int, int]:
    """Codes i * n + j (i < j, different participants) of the pairs that share a bucket."""
    n = len(sheets)
    band = min(3, settings.min_shared_wrong)
    empty = np.empty(0, dtype=np.int64)
    if n < 2:
        return empty, band, 0
    share = model.choice_share
    token_ids: dict[tuple[int, str], int] = {}
    rows = np.full((n, SIGNATURE_SIZE), -1, dtype=np.int64)
    for index, s in enumerate(sheets):
        wrong = [(share[(q, o)], q, o) for q, o, ok in s.answers if not ok]
        if not wrong:
            continue
        wrong.sort()
        ids = sorted(
            token_ids.setdefault((q, o), len(token_ids)) for _, q, o in wrong[:SIGNATURE_SIZE]
        )
        rows[index, : len(ids)] = ids
    owners = np.array([s.participant_id for s in sheets], dtype=np.int64)
    width = max(1, len(token_ids))
    budget = PAIR_BUDGET * n + 10_000
    while True:
        buckets = _Buckets.of(rows, band, width, settings.max_bucket)
        if buckets.pairs <= budget or band >= MAX_BAND:
            break
        band += 1
    found = buckets.codes(owners, n)
    return (np.unique(found) if len(found) else empty), band, buckets.skipped


@dataclass(frozen=True)
class _Buckets:
    """Entries sorted by bucket key: every `band` of an entry's rarest wrong choices (token ids
    in `rows`, -1 for none)."""

    keys: np.ndarray
    entry: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    max_bucket: int

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        band: int,
        width: int,
        max_bucket: int,
    ) -> _Buckets:
        n = len(rows)
        picks = np.array(list(combinations(range(rows.shape[1]), band)), dtype=np.int64)
        key_parts, entry_parts = [], []
        for lo in range(0, n, 20_000):  # in chunks: n × combos × band at once is too large
            parts = rows[lo : lo + 20_000][:, picks]  # ascending within a combo
            valid = (parts >= 0).all(axis=2)
            chunk = np.zeros(valid.shape, dtype=np.int64)
            for t in range(band):
                chunk = chunk * width + parts[:, :, t]
            key_parts.append(chunk[valid])
            entry_parts.append(
                np.broadcast_to(
                    np.arange(lo, lo + len(parts), dtype=np.int32)[:, None], valid.shape
                )[valid]
            )
        keys = np.concatenate(key_parts) if key_parts else np.empty(0, dtype=np.int64)
        entry = np.concatenate(entry_parts) if entry_parts else np.empty(0, dtype=np.int32)
        order = np.argsort(keys, kind="stable")
        keys, entry = keys[order], entry[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
        sizes = np.diff(np.r_[starts, len(keys)]) if len(keys) else keys
        return cls(keys, entry, starts, sizes, max_bucket)

    @property
    def pairs(self) -> int:
        sizes = self.sizes[self.sizes <= self.max_bucket]
        return int((sizes * (sizes - 1) // 2).sum())

    @property
    def skipped(self) -> int:
        return int((self.sizes > self.max_bucket).sum())

    def codes(self, owners: np.ndarray, n: int) -> np.ndarray:
        out: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        keep = (self.sizes >= 2) & (self.sizes <= self.max_bucket)
        for size in np.unique(self.sizes[keep]).tolist():
            first = self.starts[keep & (self.sizes == size)]
            a, b = np.triu_indices(size, 1)
            left = self.entry[first[:, None] + a[None, :]].ravel().astype(np.int64)
            right = self.entry[first[:, None] + b[None, :]].ravel().astype(np.int64)
            lo, hi = np.minimum(left, right), np.maximum(left, right)
            other = owners[lo] != owners[hi]
            out.append(lo[other] * n + hi[other])
        return np.concatenate(out)


def entries_adjustment(entries: int) -> float:
    """How much the rarity thresholds rise with the size of the round: one tenfold of rarity
    for each tenfold of entries beyond 1,000, since more entries make more coincidences."""
    return max(0.0, math.log10(entries / 1000)) if entries else 0.0


def answer_similarity(
    sheets: Sequence[AnswerSheet],
    settings: SignalSettings = SignalSettings(),
    traces: Sequence[SaveTrace] = (),
) -> tuple[list[Evidence], SimilarityStats]:
    """Pairs of entries (of different participants) whose answers agree beyond chance, and groups
    of three or more answering from one shared sheet.

    Cost grows with the entries and the candidate pairs that share rare wrong choices, not with
    all pairs: see bench/bench_signals.py for 300,000 entries on one core."""
    timing = EntryTiming.of(traces, settings) if traces and settings.timing_evidence else None
    model = _RoundModel.fit(sheets, timing)
    n = len(sheets)
    candidates, band, skipped = _candidate_pairs(sheets, model, settings)
    table = _AnswerTable.of(sheets)
    candidates = table.gated(candidates, settings)
    adjust = entries_adjustment(n)
    strong_floor = settings.min_evidence + adjust
    ring_floor = settings.min_ring_evidence + adjust
    abilities = [_ability_logit(s) for s in sheets]
    found: list[Evidence] = []
    edges: list[tuple[int, int, Evidence]] = []
    for code in candidates.tolist():
        i, j = divmod(code, n)
        ev = _pair_evidence(
            sheets[i],
            sheets[j],
            abilities[i],
            abilities[j],
            model,
            settings,
            min(strong_floor, ring_floor),
        )
        if ev is None:
            continue
        if ev.score >= strong_floor:
            found.append(ev)
        if ev.score >= ring_floor:
            edges.append((i, j, ev))
    found.extend(
        _shared_sheets(
            sheets,
            edges,
            table,
            abilities,
            model,
            settings,
            settings.min_sheet_evidence + adjust,
            settings.min_linked_evidence + adjust,
        )
    )
    return found, SimilarityStats(n, len(candidates), skipped, len(found), band)


# A round of 300,000 entries may hold many chance triangles at low thresholds; only the tightest
# seeds are grown against the whole round (strong pairs are reported whatever happens here).
MAX_SHEETS = 50
# How many of an entry's strongest pairs make open-triangle seeds around it.
WEDGE_ARMS = 8
# How many pairs (at the group rarity) with members of a group bring an entry to its sheet.
LINKED_PAIRS = 2
# How many times a group's sheet is rebuilt from the members it found before it must settle.
MAX_GROWTH = 12
# How many times a group is settled again without its weakest member.
MAX_REFINE = 2


def _shared_sheets(
    sheets: Sequence[AnswerSheet],
    edges: list[tuple[int, int, Evidence]],
    table: _AnswerTable,
    abilities: Sequence[float],
    model: _RoundModel,
    settings: SignalSettings,
    floor: float,
    linked_floor: float,
) -> list[Evidence]:
    """Groups of three or more accounts answering from one shared sheet.

    Seeds are triangles of pairs agreeing beyond chance (A–B, B–C, C–A): chance pairs between
    honest entries are sparse and seldom close one. A seed's answers make a sheet (the most
    chosen option per question) and every entry of the round is compared with it on the
    questions it actually shares with the sheet, a member's own answers left out. The group is
    then rebuilt from the entries that matched, until it settles: an honest entry caught in a
    seed by chance drops out when the others' sheet does not bear it out, and members whose
    papers overlap too little with any one other member (so no pair of theirs stands out) are
    found through the sheet the rest of the group makes."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    weight: dict[tuple[int, int], float] = {}
    for i, j, ev in edges:
        neighbours[i].add(j)
        neighbours[j].add(i)
        weight[_edge(i, j)] = ev.score
    seeds = _seeds(sheets, neighbours, weight, settings)
    if not seeds:
        return []
    correct = {(q, o) for s in sheets for q, o, ok in s.answers if ok}
    groups: list[tuple[list[tuple[int, dict]], dict[int, dict[str, int]]]] = []
    claimed: list[set[int]] = []
    for seed in seeds:
        if any(len(group & set(seed)) >= 2 for group in claimed):
            continue  # a group already found holds this seed
        members, counts = _grow_sheet(
            sheets, set(seed), table, abilities, model, correct, settings, floor
        )
        if len({sheets[i].participant_id for i, _ in members}) < 3:
            continue
        members, counts = _linked_members(
            sheets, members, counts, neighbours, abilities, model, correct, settings, linked_floor
        )
        if any(len(group & {i for i, _ in members}) >= 2 for group in claimed):
            continue  # grown into a group already found
        claimed.append({i for i, _ in members})
        groups.append((members, counts))
    found: list[Evidence] = []
    for members, counts in groups:
        people = sorted({sheets[i].participant_id for i, _ in members})
        members.sort(key=lambda im: sheets[im[0]].attempt_id)
        sheet_wrong = sorted(
            (q, max(opts, key=lambda o: opts[o]))
            for q, opts in counts.items()
            if (q, max(opts, key=lambda o: opts[o])) not in correct
        )
        weakest = min(m["rarity_log10"] for _, m in members)
        n_members = len(people)
        found.append(
            Evidence(
                kind=SignalKind.SHARED_SHEET,
                participant_ids=tuple(people),
                attempt_ids=tuple(sheets[i].attempt_id for i, _ in members),
                score=round(sum(m["rarity_log10"] for _, m in members) / len(members), 2),
                message_vi=(
                    f"{n_members} tài khoản trả lời theo cùng một bảng đáp án "
                    f"({len(counts)} câu, {len(sheet_wrong)} câu sai); bài khớp yếu nhất vẫn có "
                    f"xác suất ngẫu nhiên dưới 1 phần 10^{_comma(weakest)}."
                ),
                message_en=(
                    f"{n_members} accounts answered from one sheet ({len(counts)} questions, "
                    f"{len(sheet_wrong)} of them wrong); even the weakest match has a chance "
                    f"below 1 in 10^{weakest:.1f}."
                ),
                detail={
                    "members": [{"attempt_id": sheets[i].attempt_id, **m} for i, m in members],
                    "sheet_wrong_choices": [
                        [q, o, round(model.choice_share[(q, o)], 3)] for q, o in sheet_wrong
                    ],
                },
            )
        )
    return found


def _edge(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def _seeds(
    sheets: Sequence[AnswerSheet],
    neighbours: Mapping[int, set[int]],
    weight: Mapping[tuple[int, int], float],
    settings: SignalSettings,
) -> list[tuple[int, int, int]]:
    """Three entries of three accounts to grow a group from: the MAX_SHEETS strongest triangles
    (A–B, B–C, C–A), then the MAX_SHEETS strongest open triangles (A–B, B–C) whose ends never
    disagree where their papers meet (two members whose papers share few wrong answers make no
    pair of their own). A seed is as strong as the weakest of its pairs, so tight seeds are grown
    before loose ones."""

    def seed(arms: Iterable[tuple[int, int]], i: int, j: int, k: int):
        return (-min(weight[_edge(x, y)] for x, y in arms), tuple(sorted((i, j, k))))

    def apart(*entries: int) -> bool:
        return len({sheets[x].participant_id for x in entries}) == len(entries)

    triangles = [
        seed(((i, j), (i, k), (j, k)), i, j, k)
        for i, j in weight
        for k in neighbours[i] & neighbours[j]
        if k > j and apart(i, j, k)
    ]
    wedges = [
        seed(((i, k), (j, k)), i, j, k)
        for k, around in neighbours.items()
        for i, j in combinations(
            sorted(sorted(around, key=lambda x: -weight[_edge(x, k)])[:WEDGE_ARMS]), 2
        )
        if j not in neighbours[i] and apart(i, j) and _consistent(sheets[i], sheets[j], settings)
    ]
    return [s for found in (triangles, wedges) for _, s in sorted(found)[:MAX_SHEETS]]


# The gates of a pair are counted at once for GATE_CHUNK pairs over a table of entries × questions
# of at most GATE_CELLS cells (4 bytes and 1 byte each).
GATE_CELLS = 200_000_000
GATE_CHUNK = 100_000


@dataclass(frozen=True)
class _AnswerTable:
    """Every answer of the round as flat arrays (entry, question, chosen option, wrong), so an
    entry's agreement with a sheet is counted for the whole round at once."""

    entry: np.ndarray
    question: np.ndarray
    option: np.ndarray
    wrong: np.ndarray
    entries: int
    questions: dict[int, int]
    options: dict[tuple[int, str], int]

    @classmethod
    def of(cls, sheets: Sequence[AnswerSheet]) -> _AnswerTable:
        questions: dict[int, int] = {}
        options: dict[tuple[int, str], int] = {}
        entry, question, option, wrong = [], [], [], []
        for index, s in enumerate(sheets):
            for q, o, ok in s.answers:
                entry.append(index)
                question.append(questions.setdefault(q, len(questions)))
                option.append(options.setdefault((q, o), len(options)))
                wrong.append(not ok)
        return cls(
            np.array(entry, dtype=np.int32),
            np.array(question, dtype=np.int32),
            np.array(option, dtype=np.int32),
            np.array(wrong, dtype=bool),
            len(sheets),
            questions,
            options,
        )

    def gated(self, codes: np.ndarray, settings: SignalSettings) -> np.ndarray:
        """The candidate pairs (codes i * n + j) that pass the first gates of a pair (common
        questions, identical wrong answers, share agreeing), counted for all of them at once so
        that only these are weighed one by one. Unchanged when the round is too large to lay
        out as one row of choices per entry."""
        n, width = self.entries, len(self.questions)
        if not len(codes) or n * width > GATE_CELLS:
            return codes
        chosen = np.full((n, width), -1, dtype=np.int32)
        chosen[self.entry, self.question] = self.option
        wrong = np.zeros((n, width), dtype=bool)
        wrong[self.entry, self.question] = self.wrong
        keep: list[np.ndarray] = []
        for lo in range(0, len(codes), GATE_CHUNK):
            chunk = codes[lo : lo + GATE_CHUNK]
            i, j = np.divmod(chunk, n)
            a, b = chosen[i], chosen[j]
            common = ((a >= 0) & (b >= 0)).sum(axis=1)
            same = (a == b) & (a >= 0)
            identical = same.sum(axis=1)
            shared_wrong = (same & wrong[i]).sum(axis=1)
            passed = (
                (common >= settings.min_common_questions)
                & (shared_wrong >= settings.min_shared_wrong)
                & (identical >= settings.min_agreement * common)
            )
            keep.append(chunk[passed])
        return np.concatenate(keep)

    def may_match(
        self, counts: Mapping[int, Mapping[str, int]], settings: SignalSettings
    ) -> list[int]:
        """Entries that agree with the sheet (its single most chosen option per question) on
        enough common questions, wrong answers and share to be compared in full."""
        sheet = np.full(len(self.questions), -1, dtype=np.int32)
        for q, opts in counts.items():
            best = max(opts.values(), default=0)
            top = [o for o, c in opts.items() if c == best]
            if best > 0 and len(top) == 1 and q in self.questions:
                sheet[self.questions[q]] = self.options[(q, top[0])]
        if not len(self.entry):
            return []
        chosen = sheet[self.question]
        has = chosen >= 0
        same = has & (chosen == self.option)
        common = np.bincount(self.entry[has], minlength=self.entries)
        identical = np.bincount(self.entry[same], minlength=self.entries)
        shared_wrong = np.bincount(self.entry[same & self.wrong], minlength=self.entries)
        keep = (
            (common >= settings.min_common_questions)
            & (shared_wrong >= settings.min_shared_wrong)
            & (identical >= settings.min_agreement * common)
        )
        return np.flatnonzero(keep).tolist()


def _sheet_counts(sheets: Sequence[AnswerSheet], basis: Iterable[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in basis:
        for q, o, _ in sheets[m].answers:
            counts[q][o] += 1
    return counts


def _grow_sheet(
    sheets: Sequence[AnswerSheet],
    seed: set[int],
    table: _AnswerTable,
    abilities: Sequence[float],
    model: _RoundModel,
    correct: set[tuple[int, str]],
    settings: SignalSettings,
    floor: float,
) -> tuple[list[tuple[int, dict]], dict[int, dict[str, int]]]:
    """The entries matching the sheet a seed makes (see _settle); then, while it finds more,
    the group is settled again without its weakest member, which is only compared with the
    sheet the others make: an honest entry that matched a seed by chance would otherwise keep
    its answers in the sheet, and keep out members whose papers meet it there."""

    def settle(basis: set[int], banned: set[int]) -> tuple[list[tuple[int, dict]], dict]:
        return _settle(sheets, basis, banned, table, abilities, model, correct, settings, floor)

    members, counts = settle(set(seed), set())
    banned: set[int] = set()
    for _ in range(MAX_REFINE):
        if len(members) < 3:
            break
        weakest = min(members, key=lambda im: (im[1]["rarity_log10"], im[0]))[0]
        banned.add(weakest)
        again, again_counts = settle({i for i, _ in members} - banned, banned)
        if len(again) <= len(members):
            break
        members, counts = again, again_counts
    return members, counts


def _settle(
    sheets: Sequence[AnswerSheet],
    basis: set[int],
    banned: set[int],
    table: _AnswerTable,
    abilities: Sequence[float],
    model: _RoundModel,
    correct: set[tuple[int, str]],
    settings: SignalSettings,
    floor: float,
) -> tuple[list[tuple[int, dict]], dict[int, dict[str, int]]]:
    """The sheet is rebuilt from its basis until it settles: the entry matching it best joins
    the basis, one at a time (so a strong member shapes the sheet before a chance match can),
    while any matches; then the member matching the others' sheet least is dropped, one at a
    time, while any fails. Entries in `banned` are compared with the sheet but never shape it.
    """
    members: list[tuple[int, dict]] = []
    counts: dict[int, dict[str, int]] = {}
    for _ in range(MAX_GROWTH):
        counts = _sheet_counts(sheets, basis)
        members, failing = _sheet_members(
            sheets, counts, basis, table, abilities, model, correct, settings, floor
        )
        new = [(i, m) for i, m in members if i not in basis and i not in banned]
        if new:
            best = max(new, key=lambda im: (im[1]["rarity_log10"], -im[0]))[0]
            basis = basis | {best}
        elif failing and len(basis) > 2:
            basis = basis - {min(failing, key=lambda i: (failing[i], i))}
        else:
            break
    return members, counts


def _linked_members(
    sheets: Sequence[AnswerSheet],
    members: list[tuple[int, dict]],
    counts: dict[int, dict[str, int]],
    neighbours: Mapping[int, set[int]],
    abilities: Sequence[float],
    model: _RoundModel,
    correct: set[tuple[int, str]],
    settings: SignalSettings,
    floor: float,
) -> tuple[list[tuple[int, dict]], dict[int, dict[str, int]]]:
    """Entries paired beyond chance (at the group rarity) with two or more members join the group
    when they match the members' sheet at the lower `floor`: only these few entries are
    compared, not the whole round, so fewer coincidences are on offer. A member whose paper
    overlaps the sheet where it has few wrong answers is found this way."""
    inside = {i for i, _ in members}
    while True:
        linked = sorted(
            x
            for i in inside
            for x in neighbours.get(i, ())
            if x not in inside and len(neighbours[x] & inside) >= LINKED_PAIRS
        )
        joined: list[tuple[int, dict]] = []
        if linked:
            counts = _sheet_counts(sheets, inside)
        centre = _centre(sheets, inside, model)
        for x in dict.fromkeys(linked):
            match = _sheet_match(sheets[x], counts, False, abilities[x], model, correct, centre)
            if _passes(match, settings, floor):
                joined.append((x, {**match, "linked_to": len(neighbours[x] & inside)}))  # type: ignore[dict-item]
        if not joined:
            return members, counts
        members = members + joined
        inside |= {x for x, _ in joined}


def _consistent(a: AnswerSheet, b: AnswerSheet, settings: SignalSettings) -> bool:
    """Whether two entries agree, where their papers meet, at least as often as a pair must."""
    answers_b = {q: o for q, o, _ in b.answers}
    common = identical = 0
    for q, o, _ in a.answers:
        other = answers_b.get(q)
        if other is not None:
            common += 1
            identical += other == o
    return common > 0 and identical >= settings.min_agreement * common


def _passes(match: dict | None, settings: SignalSettings, floor: float) -> bool:
    return (
        match is not None
        and match["common"] >= settings.min_common_questions
        and match["shared_wrong"] >= settings.min_shared_wrong
        and match["identical"] >= settings.min_agreement * match["common"]
        and match["rarity_log10"] >= floor
    )


def _sheet_members(
    sheets: Sequence[AnswerSheet],
    counts: Mapping[int, Mapping[str, int]],
    basis: set[int],
    table: _AnswerTable,
    abilities: Sequence[float],
    model: _RoundModel,
    correct: set[tuple[int, str]],
    settings: SignalSettings,
    floor: float,
) -> tuple[list[tuple[int, dict]], dict[int, float]]:
    """The entries matching the sheet (members of the basis by the others' answers), and the
    members of the basis that do not, with their rarity."""
    members: list[tuple[int, dict]] = []
    failing: dict[int, float] = {}
    outside_centre = _centre(sheets, basis, model)
    for index in sorted(set(table.may_match(counts, settings)) | basis):
        inside = index in basis
        centre = _centre(sheets, basis, model, index) if inside else outside_centre
        match = _sheet_match(
            sheets[index], counts, inside, abilities[index], model, correct, centre
        )
        if _passes(match, settings, floor):
            members.append((index, match))  # type: ignore[arg-type]
        elif inside:
            failing[index] = match["rarity_log10"] if match else 0.0
    return members, failing


def _comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _sheet_match(
    sheet: AnswerSheet,
    counts: Mapping[int, Mapping[str, int]],
    own: bool,
    ability: float,
    model: _RoundModel,
    correct: set[tuple[int, str]],
    centre: float | None = None,
) -> dict | None:
    """How an entry agrees with a group's sheet (its own answers left out when `own`), and,
    when the group's median start `centre` is known, how close it started and how fast it
    answered."""
    common = identical = shared_wrong = 0
    expected_identical = expected_wrong = 0.0
    chances: list[float] = []
    shift = ability - model.logit_mean
    for q, o, ok in sheet.answers:
        options = counts.get(q)
        if not options:
            continue
        tally = dict(options)
        if own:
            tally[o] -= 1
        best = max(tally.values(), default=0)
        if best <= 0:
            continue
        top = [x for x, c in tally.items() if c == best]
        if len(top) != 1:
            continue
        consensus = top[0]
        common += 1
        p = _sigmoid(model.logit_q[q] + shift)
        if (q, consensus) in correct:
            chances.append(p)
        else:
            chances.append((1 - p) * model.wrong_share.get((q, consensus), 0.0))
            expected_wrong += chances[-1]
        expected_identical += chances[-1]
        if o == consensus:
            identical += 1
            shared_wrong += not ok
    if not common:
        return None
    identical_rarity = agreement_tail_log10(chances, identical)
    wrong_rarity = poisson_tail_log10(shared_wrong, expected_wrong)
    answer_rarity = combined_rarity(identical_rarity, wrong_rarity)
    timing = model.timing.to_group(sheet.attempt_id, centre) if model.timing else None
    rarity = with_timing(answer_rarity, timing)
    return {
        "common": common,
        "identical": identical,
        "expected_identical": round(expected_identical, 2),
        "shared_wrong": shared_wrong,
        "expected_shared_wrong": round(expected_wrong, 3),
        "identical_rarity_log10": round(identical_rarity, 2),
        "wrong_rarity_log10": round(wrong_rarity, 2),
        "answer_rarity_log10": round(answer_rarity, 2),
        "rarity_log10": round(rarity, 2),
        "timing_counted": rarity > answer_rarity,
        **(timing or {}),
    }


def _centre(
    sheets: Sequence[AnswerSheet], basis: Iterable[int], model: _RoundModel, leave_out: int = -1
) -> float | None:
    """The median start of a group's basis, an entry of it left out (so that an entry is never
    weighed by its closeness to itself)."""
    if model.timing is None:
        return None
    known = model.timing.start_of
    times = [
        known[sheets[i].attempt_id]
        for i in basis
        if i != leave_out and sheets[i].attempt_id in known
    ]
    return _median(times) if times else None


# --- timing --------------------------------------------------------------------------------


def seconds_per_answer(trace: SaveTrace) -> list[float]:
    """Time spent on each answer, in save order: the gap since the previous save (or the start).
    Answers saved together (one form post) share the gap equally."""
    times = sorted(trace.saved_at)
    out: list[float] = []
    previous = trace.started_at
    i = 0
    while i < len(times):
        j = i
        while j < len(times) and times[j] == times[i]:
            j += 1
        gap = max(0.0, (times[i] - previous).total_seconds()) / (j - i)
        out.extend([gap] * (j - i))
        previous = times[i]
        i = j
    return out


def _pace(trace: SaveTrace) -> float:
    """The median of seconds_per_answer, by the quick path when no two saves share a time."""
    times = sorted(trace.saved_at)
    if len(set(times)) < len(times):
        return _median(seconds_per_answer(trace))
    stamps = [trace.started_at.timestamp(), *(t.timestamp() for t in times)]
    return _median([max(0.0, b - a) for a, b in zip(stamps, stamps[1:], strict=False)])


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _seconds(value: float) -> str:
    return f"{value:.1f}"


def timing_signals(
    traces: Sequence[SaveTrace], settings: SignalSettings = SignalSettings()
) -> list[Evidence]:
    """Entries answered faster than reading allows, and entries of different accounts whose
    answer-by-answer timing is identical."""
    found: list[Evidence] = []
    by_rhythm: dict[tuple[int, ...], list[SaveTrace]] = defaultdict(list)
    for t in traces:
        if len(set(t.saved_at)) < settings.min_timed_answers:
            continue
        per = seconds_per_answer(t)
        median = _median(per)
        if median < settings.min_seconds_per_answer:
            shown = _seconds(median)
            found.append(
                Evidence(
                    kind=SignalKind.FAST_SAVES,
                    participant_ids=(t.participant_id,),
                    attempt_ids=(t.attempt_id,),
                    score=round(settings.min_seconds_per_answer / max(median, 0.05), 2),
                    message_vi=(
                        f"Bài #{t.attempt_id}: trung vị {shown.replace('.', ',')} giây mỗi câu "
                        f"trên {len(per)} câu, dưới mức đọc "
                        f"{_seconds(settings.min_seconds_per_answer).replace('.', ',')} giây."
                    ),
                    message_en=(
                        f"Entry #{t.attempt_id}: median {shown} s per question over {len(per)} "
                        f"answers, below the reading floor of "
                        f"{_seconds(settings.min_seconds_per_answer)} s."
                    ),
                    detail={"median_seconds": round(median, 2), "answers": len(per)},
                )
            )
        step = settings.timing_resolution_seconds
        rhythm = tuple(int(round(s / step)) for s in per)
        by_rhythm[rhythm].append(t)
    for rhythm, group in by_rhythm.items():
        people = sorted({t.participant_id for t in group})
        if len(people) < 2:
            continue
        attempts = sorted(t.attempt_id for t in group)
        seq = ", ".join(_seconds(r * settings.timing_resolution_seconds) for r in rhythm[:12])
        more = "…" if len(rhythm) > 12 else ""
        found.append(
            Evidence(
                kind=SignalKind.IDENTICAL_TIMING,
                participant_ids=tuple(people),
                attempt_ids=tuple(attempts),
                score=float(len(rhythm)),
                message_vi=(
                    f"{len(people)} tài khoản có cùng nhịp trả lời {len(rhythm)} câu "
                    f"(giây: {seq.replace('.', ',')}{more})."
                ),
                message_en=(
                    f"{len(people)} accounts share one answer rhythm over {len(rhythm)} "
                    f"questions (seconds: {seq}{more})."
                ),
                detail={"seconds": [r * settings.timing_resolution_seconds for r in rhythm]},
            )
        )
    return found


def _windows(
    events: Sequence[tuple[datetime, int, int]], window: timedelta, threshold: int
) -> list[list[tuple[datetime, int, int]]]:
    """Maximal runs of (time, participant, attempt) events in which some span of `window`
    holds at least `threshold` distinct participants; overlapping spans are merged."""
    events = sorted(events)
    runs: list[list[tuple[datetime, int, int]]] = []
    counts: dict[int, int] = defaultdict(int)
    lo = 0
    current: tuple[int, int] | None = None  # index range of the run being grown
    for hi, (t, pid, _) in enumerate(events):
        counts[pid] += 1
        while events[lo][0] < t - window:
            counts[events[lo][1]] -= 1
            if not counts[events[lo][1]]:
                del counts[events[lo][1]]
            lo += 1
        if len(counts) >= threshold:
            if current is not None and lo <= current[1]:
                current = (current[0], hi)
            else:
                if current is not None:
                    runs.append(events[current[0] : current[1] + 1])
                current = (lo, hi)
    if current is not None:
        runs.append(events[current[0] : current[1] + 1])
    return runs


def start_bursts(
    starts: Sequence[StartEvent], settings: SignalSettings = SignalSettings()
) -> list[Evidence]:
    """Many accounts starting from one device, or one address, within a few minutes. Many people
    share one address (a school, an office, a mobile operator's), and in the opening rush one
    such address brings many starts: an address's burst is raised only when it is rare against
    the address's own share of the round's starts at the round's pace then."""
    found: list[Evidence] = []
    window = timedelta(minutes=settings.burst_window_minutes)
    rush = _Pace.of(starts)
    burst_floor = settings.min_burst_evidence + entries_adjustment(len(starts))
    for kind, attr, threshold, vi, en in (
        (
            SignalKind.START_BURST_DEVICE,
            "device",
            settings.burst_device_accounts,
            "trên cùng một thiết bị",
            "on one device",
        ),
        (
            SignalKind.START_BURST_ADDRESS,
            "address",
            settings.burst_address_accounts,
            "từ cùng địa chỉ",
            "from address",
        ),
    ):
        groups: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
        for s in starts:
            key = getattr(s, attr)
            if key:
                groups[key].append((s.started_at, s.participant_id, s.attempt_id))
        for key, events in sorted(groups.items()):
            for run in _windows(events, window, threshold):
                people = sorted({pid for _, pid, _ in run})
                minutes = max(1, round((run[-1][0] - run[0][0]).total_seconds() / 60))
                expected = rarity = None
                if attr == "address":
                    expected, rarity = rush.burst(run, len(events), len(people))
                    if rarity < burst_floor:
                        continue  # as many as the round's pace brings to a shared address
                where_vi = f"{vi} {key}" if attr == "address" else vi
                where_en = f"{en} {key}" if attr == "address" else en
                odds_vi = odds_en = ""
                if expected is not None:
                    odds_vi = f" (kỳ vọng {_comma(expected)} theo nhịp bắt đầu của cả đợt lúc ấy)"
                    odds_en = f" (expected {expected:.1f} at the round's pace of starts then)"
                found.append(
                    Evidence(
                        kind=kind,
                        participant_ids=tuple(people),
                        attempt_ids=tuple(sorted(a for _, _, a in run)),
                        score=float(len(people)),
                        message_vi=(
                            f"{len(people)} tài khoản bắt đầu {len(run)} bài trong {minutes} phút "
                            f"{where_vi}{odds_vi}."
                        ),
                        message_en=(
                            f"{len(people)} accounts started {len(run)} entries within {minutes} "
                            f"minutes {where_en}{odds_en}."
                        ),
                        detail={
                            attr: key,
                            "first": run[0][0].isoformat(),
                            "last": run[-1][0].isoformat(),
                            **(
                                {"expected": round(expected, 2), "rarity_log10": rarity}
                                if expected is not None
                                else {}
                            ),
                        },
                    )
                )
    return found


@dataclass(frozen=True)
class _Pace:
    """The round's starts in time order, to say how many starts a span of time brings."""

    times: np.ndarray

    @classmethod
    def of(cls, starts: Sequence[StartEvent]) -> _Pace:
        return cls(np.sort(np.array([s.started_at.timestamp() for s in starts], dtype=float)))

    def burst(
        self, run: Sequence[tuple[datetime, int, int]], address_starts: int, accounts: int
    ) -> tuple[float, float]:
        """Accounts expected from one address in the run's span (its share of the round's
        starts times the round's starts then), and the rarity of `accounts` or more."""
        first, last = run[0][0].timestamp(), run[-1][0].timestamp()
        then = int(
            np.searchsorted(self.times, last, "right") - np.searchsorted(self.times, first, "left")
        )
        expected = then * address_starts / max(len(self.times), 1)
        return expected, round(poisson_tail_log10(accounts, expected), 2)


# --- account links -------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalise_email(email: str | None) -> str:
    text = (email or "").strip().lower()
    if "@" not in text:
        return ""
    local, domain = text.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def surname(full_name: str) -> str:
    words = unicodedata.normalize("NFC", full_name or "").split()
    return words[0].casefold() if words else ""


def account_links(
    accounts: Sequence[AccountFacts], settings: SignalSettings = SignalSettings()
) -> list[Evidence]:
    """Accounts sharing a device, a phone or an email, registered together from one address,
    or family-looking CCCDs registered on one device."""
    found: list[Evidence] = []

    def grouped(key_of, minimum: int) -> list[tuple[str, list[AccountFacts]]]:
        groups: dict[str, list[AccountFacts]] = defaultdict(list)
        for a in accounts:
            for key in key_of(a):
                if key:
                    groups[key].append(a)
        return [
            (k, sorted(g, key=lambda a: a.participant_id))
            for k, g in sorted(groups.items())
            if len({a.participant_id for a in g}) >= minimum
        ]

    for device, group in grouped(
        lambda a: a.devices | {a.registered_device}, settings.device_accounts
    ):
        ids = tuple(a.participant_id for a in group)
        found.append(
            Evidence(
                SignalKind.SHARED_DEVICE,
                ids,
                (),
                float(len(ids)),
                f"{len(ids)} tài khoản dùng cùng một thiết bị (mã {device[:8]}).",
                f"{len(ids)} accounts used one device (id {device[:8]}).",
                {"device": device},
            )
        )
        family: dict[tuple[str, str], list[AccountFacts]] = defaultdict(list)
        for a in group:
            if a.registered_device == device and len(a.citizen_id or "") == 12:
                family[(a.citizen_id[:3], surname(a.full_name))].append(a)
        for (province, name), members in sorted(family.items()):
            if len(members) < settings.family_device_accounts or not name:
                continue
            mids = tuple(m.participant_id for m in members)
            shown = members[0].full_name.split()[0]
            found.append(
                Evidence(
                    SignalKind.FAMILY_DEVICE,
                    mids,
                    (),
                    float(len(mids)) + 1,
                    f"{len(mids)} tài khoản họ {shown}, CCCD cùng mã tỉnh {province}, đăng ký trên "
                    "cùng một thiết bị.",
                    f"{len(mids)} accounts with surname {shown} and CCCD province code {province} "
                    "registered on one device.",
                    {"device": device, "province": province, "surname": shown},
                )
            )
    for phone, group in grouped(lambda a: {normalise_phone(a.phone)}, 2):
        ids = tuple(a.participant_id for a in group)
        found.append(
            Evidence(
                SignalKind.SHARED_PHONE,
                ids,
                (),
                float(len(ids)) + 1,
                f"{len(ids)} tài khoản cùng số điện thoại ****{phone[-4:]}.",
                f"{len(ids)} accounts share phone ****{phone[-4:]}.",
                {"phone_end": phone[-4:]},
            )
        )
    for email, group in grouped(lambda a: {normalise_email(a.email)}, 2):
        ids = tuple(a.participant_id for a in group)
        found.append(
            Evidence(
                SignalKind.SHARED_EMAIL,
                ids,
                (),
                float(len(ids)) + 1,
                f"{len(ids)} tài khoản cùng một hộp thư ({email[:2]}…@{email.split('@')[1]}).",
                f"{len(ids)} accounts share one mailbox ({email[:2]}…@{email.split('@')[1]}).",
                {"email_domain": email.split("@")[1]},
            )
        )
    by_address: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
    for a in accounts:
        if a.registered_address:
            by_address[a.registered_address].append((a.registered_at, a.participant_id, 0))
    window = timedelta(minutes=settings.registration_window_minutes)
    for address, events in sorted(by_address.items()):
        for run in _windows(events, window, settings.registration_address_accounts):
            ids = tuple(sorted({pid for _, pid, _ in run}))
            minutes = max(1, round((run[-1][0] - run[0][0]).total_seconds() / 60))
            found.append(
                Evidence(
                    SignalKind.REGISTRATION_ADDRESS,
                    ids,
                    (),
                    float(len(ids)),
                    f"{len(ids)} tài khoản đăng ký trong {minutes} phút từ địa chỉ {address}.",
                    f"{len(ids)} accounts registered within {minutes} minutes from {address}.",
                    {"address": address},
                )
            )
    return found


# --- clusters ------------------------------------------------------------------------------


def _phrase(kind: SignalKind, items: list[Evidence], lang: int) -> str:
    words = KIND_WORDS[kind][lang]
    if kind is SignalKind.SHARED_SHEET:
        best = max(items, key=lambda e: len(e.participant_ids))
        members: list = best.detail["members"]  # type: ignore[assignment]
        weakest = min(m["rarity_log10"] for m in members)
        timed = [m for m in members if m.get("timing_counted")]
        if lang == 0:
            when = (
                f"; thời điểm bắt đầu và tốc độ góp phần ở {len(timed)} bài, bắt đầu cách "
                f"giữa nhóm tối đa {_comma(max(m['start_gap_seconds'] for m in timed) / 60)} phút"
                if timed
                else ""
            )
            return f"{words} (xác suất ngẫu nhiên < 1/10^{_comma(weakest)} mỗi bài{when})"
        when = (
            f"; start time and pace counted for {len(timed)} entries, started at most "
            f"{max(m['start_gap_seconds'] for m in timed) / 60:.1f} minutes from the group's middle"
            if timed
            else ""
        )
        return f"{words} (chance < 1 in 10^{weakest:.1f} each{when})"
    if kind is SignalKind.SHARED_ANSWERS:
        best = max(items, key=lambda e: e.score)
        shared = best.detail["shared_wrong"]
        gap = best.detail.get("start_gap_seconds", 0) / 60  # type: ignore[operator]
        if lang == 0:
            odds = f"{best.score:.1f}".replace(".", ",")
            when = f", bắt đầu cách {_comma(gap)} phút" if best.detail.get("timing_counted") else ""
            return f"{words} ({shared} câu{when}, xác suất ngẫu nhiên < 1/10^{odds})"
        when = f", started {gap:.1f} minutes apart" if best.detail.get("timing_counted") else ""
        return f"{words} ({shared} questions{when}, chance < 1 in 10^{best.score:.1f})"
    if kind is SignalKind.FAST_SAVES:
        value = _seconds(float(min(e.detail["median_seconds"] for e in items)))  # type: ignore[arg-type,type-var]
        if lang == 0:
            return f"{words} ({value.replace('.', ',')} giây mỗi câu)"
        return f"{words} ({value} s per question)"
    return words


def clusters_of(evidence: Iterable[Evidence]) -> list[Cluster]:
    """Accounts joined by any evidence form one cluster; strongest clusters first."""
    evidence = list(evidence)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in evidence:
        first = find(e.participant_ids[0])
        for pid in e.participant_ids[1:]:
            other = find(pid)
            if other != first:
                parent[other] = first
    grouped: dict[int, list[Evidence]] = defaultdict(list)
    for e in evidence:
        grouped[find(e.participant_ids[0])].append(e)
    out: list[Cluster] = []
    for items in grouped.values():
        people = sorted({p for e in items for p in e.participant_ids})
        attempts = sorted({a for e in items for a in e.attempt_ids})
        by_kind: dict[SignalKind, list[Evidence]] = defaultdict(list)
        for e in items:
            by_kind[e.kind].append(e)
        kinds = sorted(by_kind, key=lambda k: list(SignalKind).index(k))
        head_vi = f"{len(people)} tài khoản: " if len(people) > 1 else "1 tài khoản: "
        head_en = f"{len(people)} accounts: " if len(people) > 1 else "1 account: "
        reason_vi = head_vi + "; ".join(_phrase(k, by_kind[k], 0) for k in kinds) + "."
        reason_en = head_en + "; ".join(_phrase(k, by_kind[k], 1) for k in kinds) + "."
        score = sum(max(e.score for e in by_kind[k]) for k in kinds)
        items.sort(key=lambda e: (list(SignalKind).index(e.kind), -e.score))
        out.append(
            Cluster(
                tuple(people),
                tuple(attempts),
                tuple(items),
                round(score, 2),
                reason_vi[0].upper() + reason_vi[1:],
                reason_en[0].upper() + reason_en[1:],
            )
        )
    out.sort(key=lambda c: (-c.score, c.participant_ids))
    return out


@dataclass(frozen=True)
class RoundSignals:
    clusters: tuple[Cluster, ...]
    similarity: SimilarityStats


def round_signals(
    sheets: Sequence[AnswerSheet],
    traces: Sequence[SaveTrace],
    starts: Sequence[StartEvent],
    accounts: Sequence[AccountFacts],
    settings: SignalSettings = SignalSettings(),
) -> RoundSignals:
    """Every signal of a round, joined into clusters of accounts."""
    pairs, stats = answer_similarity(sheets, settings, traces)
    evidence = [
        *pairs,
        *timing_signals(traces, settings),
        *start_bursts(starts, settings),
        *account_links(accounts, settings),
    ]
    return RoundSignals(tuple(clusters_of(evidence)), stats)
