"""Eligibility screening: rule flags with reasons, committee decisions over them, and the trail."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from contest.domain.errors import ContestError


class FlagCode(StrEnum):
    PROFILE_INCOMPLETE = "profile_incomplete"
    PROFILE_INVALID = "profile_invalid"
    EXCLUDED_STAFF = "excluded_staff"
    DUPLICATE_CITIZEN_ID = "duplicate_citizen_id"
    UNANSWERED_QUESTIONS = "unanswered_questions"
    OUTSIDE_WINDOW = "outside_window"
    IMPLAUSIBLY_FAST = "implausibly_fast"
    UNDER_AGE = "under_age"
    WORK_INCOMPLETE = "work_incomplete"
    WORK_FILES = "work_files"
    NO_DECLARATION = "no_declaration"
    DUPLICATE_WORK = "duplicate_work"
    SECOND_ACCOUNT = "second_account"
    CAUGHT_ELSEWHERE = "caught_elsewhere"


# What each flag means, as the committee reads it (the code stays in data and exports).
FLAG_WORDS: dict[FlagCode, tuple[str, str]] = {
    FlagCode.PROFILE_INCOMPLETE: ("Thiếu thông tin đăng ký", "Registration details missing"),
    FlagCode.PROFILE_INVALID: ("Thông tin đăng ký không hợp lệ", "Registration details not valid"),
    FlagCode.EXCLUDED_STAFF: ("Thuộc danh sách không được dự thi", "On the excluded list"),
    FlagCode.DUPLICATE_CITIZEN_ID: ("Trùng số CCCD", "Citizen ID used twice"),
    FlagCode.UNANSWERED_QUESTIONS: ("Chưa trả lời hết câu hỏi", "Questions left unanswered"),
    FlagCode.OUTSIDE_WINDOW: ("Ngoài thời gian đợt thi", "Outside the round's window"),
    FlagCode.IMPLAUSIBLY_FAST: ("Làm bài nhanh bất thường", "Implausibly fast"),
    FlagCode.UNDER_AGE: ("Chưa đủ tuổi", "Under age"),
    FlagCode.WORK_INCOMPLETE: ("Tác phẩm thiếu thông tin", "Work details missing"),
    FlagCode.WORK_FILES: ("Tệp tác phẩm có vấn đề", "Problem with the work's files"),
    FlagCode.NO_DECLARATION: ("Thiếu cam kết tác giả", "No authorship declaration"),
    FlagCode.DUPLICATE_WORK: ("Tác phẩm trùng lặp", "Duplicate work"),
    FlagCode.SECOND_ACCOUNT: ("Có thể là tài khoản thứ hai", "Likely a second account"),
    FlagCode.CAUGHT_ELSEWHERE: (
        "Bị loại vì gian lận ở bài khác",
        "Caught cheating in another attempt",
    ),
}

WORKS_FLAGS = frozenset(
    {
        FlagCode.WORK_INCOMPLETE,
        FlagCode.WORK_FILES,
        FlagCode.NO_DECLARATION,
        FlagCode.DUPLICATE_WORK,
    }
)
QUIZ_ONLY_FLAGS = frozenset(
    {
        FlagCode.UNANSWERED_QUESTIONS,
        FlagCode.OUTSIDE_WINDOW,
        FlagCode.IMPLAUSIBLY_FAST,
        FlagCode.CAUGHT_ELSEWHERE,
    }
)
# Flags that say the person cheated, not merely that an entry falls short: under the contest's
# "caught cheater loses every attempt" rule, one such attempt ruled out rules out the others.
CHEATING_FLAGS = frozenset({FlagCode.IMPLAUSIBLY_FAST})


def flag_codes_for(kind: str) -> tuple[FlagCode, ...]:
    """The flags that can arise in a contest of this kind (quiz or works), in a stable order."""
    hidden = QUIZ_ONLY_FLAGS if kind == "works" else WORKS_FLAGS
    return tuple(c for c in FlagCode if c not in hidden)


def flag_words(code: FlagCode | str, lang: str = "vi") -> str:
    vi, en = FLAG_WORDS[FlagCode(code)]
    return en if lang == "en" else vi


@dataclass(frozen=True)
class Flag:
    """A rule that an entry seems to break; only the committee turns it into a verdict
    against the flag, so a flag alone makes the subject ineligible until decided."""

    subject_id: str
    code: FlagCode
    message_vi: str
    message_en: str


@dataclass(frozen=True)
class Profile:
    participant_id: str
    full_name: str | None
    date_of_birth: date | None
    gender: str | None  # "male" | "female"
    citizen_id: str | None
    phone: str | None
    email: str | None = None
    unit_id: str | None = None
    registered_at: datetime | None = None
    devices: frozenset[str] = frozenset()  # long-lived browser cookies seen at sign-in


@dataclass(frozen=True)
class AttemptFacts:
    attempt_id: str
    participant_id: str
    question_count: int
    answered_count: int
    started_at: datetime
    submitted_at: datetime


@dataclass(frozen=True)
class ScreeningRules:
    """Every threshold is a setting of the contest.

    ``min_seconds_per_question`` flags attempts faster than that per question: with 1.0
    a 20-question attempt in 9 seconds is flagged, one in 20 seconds is not.
    """

    min_age: int | None = 12
    age_cutoff: date | None = None
    excluded_citizen_ids: frozenset[str] = frozenset()
    excluded_participant_ids: frozenset[str] = frozenset()
    required_fields: tuple[str, ...] = (
        "full_name",
        "date_of_birth",
        "gender",
        "citizen_id",
        "phone",
        "unit_id",
    )
    min_seconds_per_question: float | None = 1.0
    require_all_answered: bool = True
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    allow_old_id: bool = False
    known_unit_ids: frozenset[str] | None = None
    # A participant with one attempt ruled out for cheating loses all of them in the contest.
    cheating_voids_all: bool = False


_FIELD_LABELS = {
    "full_name": ("họ và tên", "full name"),
    "date_of_birth": ("ngày sinh", "date of birth"),
    "gender": ("giới tính", "gender"),
    "citizen_id": ("số CCCD", "citizen id"),
    "phone": ("số điện thoại", "phone"),
    "email": ("thư điện tử", "email"),
    "unit_id": ("đơn vị", "unit"),
}

# Province codes of birth registration (Circular 07/2016/TT-BCA), the 63 pre-2025 provinces.
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)

_PHONE = re.compile(r"^(?:0|\+84)[1-9]\d{8}$")


def _flag(subject_id: str, code: FlagCode, vi: str, en: str) -> Flag:
    return Flag(subject_id, code, vi, en)


def citizen_id_problems(
    citizen_id: str, date_of_birth: date | None, gender: str | None, *, allow_old_id: bool = False
) -> list[tuple[str, str]]:
    """Why a CCCD number does not fit its holder, in Vietnamese and English (empty if it fits).

    The century-and-gender digit and the two year digits must agree with the date of birth
    and gender declared, which catches most mistyped or borrowed numbers."""
    number = citizen_id.strip()
    if allow_old_id and len(number) == 9 and number.isdigit():
        return []
    if len(number) != 12 or not number.isdigit():
        return [("Số CCCD phải gồm 12 chữ số.", "The citizen id must have 12 digits.")]
    problems = []
    if number[:3] not in PROVINCE_CODES:
        problems.append(
            (
                f"Mã tỉnh {number[:3]} trong số CCCD không tồn tại.",
                f"Province code {number[:3]} does not exist.",
            )
        )
    g = int(number[3])
    century = 1900 + 100 * (g // 2)
    female = g % 2 == 1
    if date_of_birth is not None and century + int(number[4:6]) != date_of_birth.year:
        problems.append(
            ("Số CCCD không khớp với năm sinh.", "The citizen id does not match the year of birth.")
        )
    if gender in ("male", "female") and female != (gender == "female"):
        problems.append(
            ("Số CCCD không khớp với giới tính.", "The citizen id does not match the gender.")
        )
    return problems


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def screen_profile(profile: Profile, rules: ScreeningRules) -> tuple[Flag, ...]:
    """Flags on a registration: incomplete, invalid, excluded staff, under age."""
    pid = profile.participant_id
    flags: list[Flag] = []
    missing = [name for name in rules.required_fields if _blank(getattr(profile, name))]
    if missing:
        vi = ", ".join(_FIELD_LABELS.get(m, (m, m))[0] for m in missing)
        en = ", ".join(_FIELD_LABELS.get(m, (m, m))[1] for m in missing)
        flags.append(
            _flag(pid, FlagCode.PROFILE_INCOMPLETE, f"Thiếu thông tin: {vi}.", f"Missing: {en}.")
        )

    invalid: list[tuple[str, str]] = []
    if profile.citizen_id:
        invalid += citizen_id_problems(
            profile.citizen_id,
            profile.date_of_birth,
            profile.gender,
            allow_old_id=rules.allow_old_id,
        )
    if profile.phone and not _PHONE.match(re.sub(r"[\s.\-]", "", profile.phone)):
        invalid.append(("Số điện thoại không hợp lệ.", "The phone number is not valid."))
    if profile.gender is not None and profile.gender not in ("male", "female"):
        invalid.append(("Giới tính không hợp lệ.", "The gender is not valid."))
    if profile.full_name and not unicodedata.is_normalized("NFC", profile.full_name):
        invalid.append(("Họ tên chưa chuẩn hoá Unicode (NFC).", "The name is not NFC-normalised."))
    if (
        profile.unit_id
        and rules.known_unit_ids is not None
        and profile.unit_id not in rules.known_unit_ids
    ):
        invalid.append(
            ("Đơn vị không thuộc cuộc thi.", "The unit is not one of the contest's units.")
        )
    if profile.date_of_birth and rules.age_cutoff and profile.date_of_birth > rules.age_cutoff:
        invalid.append(
            ("Ngày sinh sau ngày chốt tính tuổi.", "The date of birth is after the age cut-off.")
        )
    for vi, en in invalid:
        flags.append(_flag(pid, FlagCode.PROFILE_INVALID, vi, en))

    if pid in rules.excluded_participant_ids or (
        profile.citizen_id and profile.citizen_id.strip() in rules.excluded_citizen_ids
    ):
        flags.append(
            _flag(
                pid,
                FlagCode.EXCLUDED_STAFF,
                "Thành viên Ban Tổ chức, Ban Giám khảo hoặc Tổ Thư ký không được dự thi.",
                "Members of the organising committee, jury or secretariat may not enter.",
            )
        )

    if (
        rules.min_age is not None
        and rules.age_cutoff is not None
        and profile.date_of_birth is not None
        and profile.date_of_birth <= rules.age_cutoff
        and _age_on(profile.date_of_birth, rules.age_cutoff) < rules.min_age
    ):
        cutoff = rules.age_cutoff.strftime("%d/%m/%Y")
        flags.append(
            _flag(
                pid,
                FlagCode.UNDER_AGE,
                f"Chưa đủ {rules.min_age} tuổi tính đến ngày {cutoff}.",
                f"Under {rules.min_age} on {rules.age_cutoff.isoformat()}.",
            )
        )
    return tuple(flags)


def duplicate_citizen_id_flags(profiles: Iterable[Profile]) -> dict[str, Flag]:
    """One account per CCCD: the earliest registration keeps it, later ones are flagged.

    When registration times cannot tell the accounts apart every one of them is flagged,
    because picking one by storage order would be arbitrary; the committee decides."""
    by_number: dict[str, list[Profile]] = {}
    for p in profiles:
        if p.citizen_id and p.citizen_id.strip():
            by_number.setdefault(p.citizen_id.strip(), []).append(p)
    flags: dict[str, Flag] = {}
    for group in by_number.values():
        if len(group) < 2:
            continue
        times = [p.registered_at for p in group]
        keeper: Profile | None = None
        if None not in times:
            earliest = min(times)  # type: ignore[type-var]
            first = [p for p in group if p.registered_at == earliest]
            keeper = first[0] if len(first) == 1 else None
        others = sorted(p.participant_id for p in group)
        for p in group:
            if p is keeper:
                continue
            rest = ", ".join(o for o in others if o != p.participant_id)
            flags[p.participant_id] = _flag(
                p.participant_id,
                FlagCode.DUPLICATE_CITIZEN_ID,
                f"Số CCCD đã được dùng cho tài khoản khác ({rest}).",
                f"The citizen id is already used by another account ({rest}).",
            )
    return flags


def _fold(text: str) -> str:
    """Name comparison that ignores case, spacing and how the diacritics were typed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _who(p: Profile) -> str:
    cid = (p.citizen_id or "").strip()
    tail = f" (CCCD ****{cid[-4:]})" if len(cid) >= 4 else ""
    return f"{p.full_name or p.participant_id}{tail}"


def second_account_flags(profiles: Iterable[Profile]) -> dict[str, Flag]:
    """Accounts that are likely one person under two CCCDs: the same name and date of birth,
    the same phone, the same email, or the same browser (device cookie).

    Every account of such a group is flagged, not only the later one: which account is the
    person's real one is for the committee to decide."""
    profiles = list(profiles)
    groups: dict[tuple[str, str], list[Profile]] = {}
    for p in profiles:
        keys: list[tuple[str, str]] = []
        if p.full_name and p.full_name.strip() and p.date_of_birth is not None:
            keys.append(("name_dob", f"{_fold(p.full_name)}|{p.date_of_birth.isoformat()}"))
        if p.phone and p.phone.strip():
            keys.append(("phone", re.sub(r"\D", "", p.phone)))
        if p.email and p.email.strip():
            keys.append(("email", p.email.strip().casefold()))
        keys += [("device", d) for d in sorted(p.devices) if d]
        for key in keys:
            groups.setdefault(key, []).append(p)
    reasons: dict[str, dict[str, list[Profile]]] = {}
    for (kind, _), group in sorted(groups.items(), key=lambda item: item[0]):
        for p in group:
            # Two accounts with one CCCD are the duplicate-CCCD flag's business.
            found = [
                o for o in group if (o.citizen_id or "").strip() != (p.citizen_id or "").strip()
            ]
            if not found:
                continue
            others = reasons.setdefault(p.participant_id, {}).setdefault(kind, [])
            others += [o for o in found if o not in others]
    words = {
        "name_dob": ("cùng họ tên và ngày sinh với", "same name and date of birth as"),
        "phone": ("cùng số điện thoại với", "same phone as"),
        "email": ("cùng thư điện tử với", "same email as"),
        "device": ("cùng trình duyệt với", "same browser as"),
    }
    flags: dict[str, Flag] = {}
    for pid, by_kind in reasons.items():
        vi, en = [], []
        for kind in ("name_dob", "phone", "email", "device"):
            if kind in by_kind:
                names = ", ".join(
                    _who(o) for o in sorted(by_kind[kind], key=lambda o: o.participant_id)
                )
                vi.append(f"{words[kind][0]} {names}")
                en.append(f"{words[kind][1]} {names}")
        flags[pid] = _flag(
            pid,
            FlagCode.SECOND_ACCOUNT,
            "Có thể là tài khoản thứ hai: " + "; ".join(vi) + ".",
            "Likely a second account: " + "; ".join(en) + ".",
        )
    return flags


def screen_attempt(attempt: AttemptFacts, rules: ScreeningRules) -> tuple[Flag, ...]:
    """Flags on a submitted attempt: unanswered questions, outside the window, too fast."""
    aid = attempt.attempt_id
    flags: list[Flag] = []
    if rules.require_all_answered and attempt.answered_count < attempt.question_count:
        missing = attempt.question_count - attempt.answered_count
        flags.append(
            _flag(
                aid,
                FlagCode.UNANSWERED_QUESTIONS,
                f"Còn {missing} câu chưa trả lời.",
                f"{missing} question(s) left unanswered.",
            )
        )
    if (rules.opens_at is not None and attempt.started_at < rules.opens_at) or (
        rules.closes_at is not None and attempt.submitted_at > rules.closes_at
    ):
        flags.append(
            _flag(
                aid,
                FlagCode.OUTSIDE_WINDOW,
                "Bài thi nằm ngoài thời gian của đợt thi.",
                "The attempt falls outside the round's window.",
            )
        )
    if rules.min_seconds_per_question is not None and attempt.question_count > 0:
        seconds = (attempt.submitted_at - attempt.started_at).total_seconds()
        if seconds < rules.min_seconds_per_question * attempt.question_count:
            shown = f"{seconds:g}"
            flags.append(
                _flag(
                    aid,
                    FlagCode.IMPLAUSIBLY_FAST,
                    f"Làm {attempt.question_count} câu trong {shown.replace('.', ',')} giây, "
                    "nhanh bất thường.",
                    f"{attempt.question_count} questions in {shown} seconds is implausibly fast.",
                )
            )
    return tuple(flags)


@dataclass(frozen=True)
class Decision:
    """The committee's ruling on a subject (a participant, an attempt or a work).

    Decisions are only ever added; a later one reverses an earlier one."""

    subject_id: str
    eligible: bool
    reason_vi: str
    reason_en: str
    decided_by: str
    decided_at: datetime

    def __post_init__(self) -> None:
        if not (self.reason_vi.strip() or self.reason_en.strip()):
            raise ContestError(
                "Quyết định của Ban Tổ chức phải nêu lý do.",
                "A committee decision must give a reason.",
                field="reason",
            )
        if not self.decided_by.strip():
            raise ContestError(
                "Quyết định phải ghi người quyết định.",
                "A decision must say who made it.",
                field="decided_by",
            )


@dataclass(frozen=True)
class Verdict:
    """Whether a subject is eligible, with every flag and decision that led there."""

    subject_id: str
    eligible: bool
    flags: tuple[Flag, ...]
    decisions: tuple[Decision, ...]

    @property
    def deciding(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def trail(self) -> tuple[Flag | Decision, ...]:
        """Flags first (they are raised before anyone decides), then decisions in time order."""
        return (*self.flags, *self.decisions)

    @property
    def needs_decision(self) -> bool:
        return bool(self.flags) and not self.decisions

    @property
    def reason_vi(self) -> str:
        if self.deciding is not None:
            return self.deciding.reason_vi
        return " ".join(f.message_vi for f in self.flags) or "Hợp lệ"

    @property
    def reason_en(self) -> str:
        if self.deciding is not None:
            return self.deciding.reason_en
        return " ".join(f.message_en for f in self.flags) or "Eligible"


def decide(subject_id: str, flags: Iterable[Flag], decisions: Iterable[Decision]) -> Verdict:
    """Eligible when there are no flags, unless the latest committee decision says otherwise.

    Decisions with the same time keep the order they were recorded in, the audit order."""
    flags = tuple(flags)
    ordered = tuple(
        d for _, d in sorted(enumerate(decisions), key=lambda pair: (pair[1].decided_at, pair[0]))
    )
    eligible = ordered[-1].eligible if ordered else not flags
    return Verdict(subject_id=subject_id, eligible=eligible, flags=flags, decisions=ordered)


def caught_cheating(verdicts: Mapping[str, Verdict], owners: Mapping[str, str]) -> dict[str, str]:
    """Participants with an attempt ruled out for cheating: participant id -> that attempt's id.

    An attempt counts as caught while it carries a cheating flag and stays ineligible, whether
    no one has decided yet or the committee upheld the flag; clearing it frees the others."""
    caught: dict[str, str] = {}
    for subject, v in sorted(verdicts.items()):
        if not v.eligible and any(f.code in CHEATING_FLAGS for f in v.flags):
            caught.setdefault(owners[subject], subject)
    return caught


def screen_round(
    profiles: Iterable[Profile],
    attempts: Iterable[AttemptFacts],
    rules: ScreeningRules,
    decisions: Sequence[Decision] = (),
    caught_elsewhere: Mapping[str, str] | None = None,
) -> dict[str, Verdict]:
    """A verdict for every attempt, keyed by attempt id.

    An attempt carries its participant's flags too, and a decision may name either the
    attempt or the participant (which then covers all of that person's attempts).
    ``caught_elsewhere`` names participants caught cheating in other rounds of the contest
    (participant id -> attempt id); with ``rules.cheating_voids_all`` their attempts here are
    flagged as well, like those of a participant caught in this round."""
    profiles = list(profiles)
    attempts = list(attempts)
    by_id: dict[str, Profile] = {p.participant_id: p for p in profiles}
    duplicates = duplicate_citizen_id_flags(profiles)
    seconds = second_account_flags(profiles)
    profile_flags: dict[str, tuple[Flag, ...]] = {}
    for p in profiles:
        extra = tuple(
            found[p.participant_id] for found in (duplicates, seconds) if p.participant_id in found
        )
        profile_flags[p.participant_id] = screen_profile(p, rules) + extra
    by_subject: dict[str, list[tuple[int, Decision]]] = {}
    for position, d in enumerate(decisions):
        by_subject.setdefault(d.subject_id, []).append((position, d))

    def relevant(a: AttemptFacts) -> list[Decision]:
        # Merged in recorded order so equal decision times still follow the audit order.
        pairs = sorted(by_subject.get(a.participant_id, []) + by_subject.get(a.attempt_id, []))
        return [d for _, d in pairs]

    verdicts: dict[str, Verdict] = {}
    for a in attempts:
        if a.participant_id not in by_id:
            raise ContestError(
                f"Không tìm thấy thí sinh {a.participant_id} của bài {a.attempt_id}.",
                f"Participant {a.participant_id} of attempt {a.attempt_id} is unknown.",
                field="participant_id",
            )
        flags = profile_flags[a.participant_id] + screen_attempt(a, rules)
        verdicts[a.attempt_id] = decide(a.attempt_id, flags, relevant(a))
    if not rules.cheating_voids_all:
        return verdicts
    caught = dict(caught_elsewhere or {})
    owners = {a.attempt_id: a.participant_id for a in attempts}
    for pid, subject in caught_cheating(verdicts, owners).items():
        caught.setdefault(pid, subject)
    for a in attempts:
        where = caught.get(a.participant_id)
        if where is None or where == a.attempt_id:
            continue
        v = verdicts[a.attempt_id]
        if any(f.code in CHEATING_FLAGS for f in v.flags) and not v.eligible:
            continue  # caught in this attempt itself
        flag = _flag(
            a.attempt_id,
            FlagCode.CAUGHT_ELSEWHERE,
            "Thí sinh bị loại vì gian lận ở một bài thi khác; theo thể lệ, mọi bài thi của "
            "thí sinh đều bị loại.",
            "The participant was ruled out for cheating in another attempt; under the rules "
            "every attempt of theirs is ruled out.",
        )
        verdicts[a.attempt_id] = decide(a.attempt_id, (*v.flags, flag), relevant(a))
    return verdicts


def verdicts_for(
    flags_by_subject: Mapping[str, Iterable[Flag]], decisions: Iterable[Decision]
) -> dict[str, Verdict]:
    """Verdicts for any subjects (works, units …) given their flags and decisions."""
    by_subject: dict[str, list[Decision]] = {}
    for d in decisions:
        by_subject.setdefault(d.subject_id, []).append(d)
    subjects = {*flags_by_subject, *by_subject}
    return {
        s: decide(s, flags_by_subject.get(s, ()), by_subject.get(s, ())) for s in sorted(subjects)
    }
