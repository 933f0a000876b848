"""Works contests, the authors' side: settings, author groups, drafts, uploads, submission, screening."""

from __future__ import annotations

import hashlib
import io
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock, storage
from contest.db import transaction, transactional
from contest.domain.awards import AwardRecord
from contest.domain.eligibility import Decision, Verdict, verdicts_for
from contest.domain.errors import ContestError, InvalidInput, NotFound, PermissionDenied
from contest.domain.masking import mask_citizen_id
from contest.domain.works import (
    CATEGORIES,
    FILE_TYPES,
    Rubric,
    WorkFacts,
    WorkRules,
    duplicate_file_flags,
    is_docx,
    screen_work,
    sniff_head,
)
from contest.models import (
    AuthorGroup,
    AuthorGroupMember,
    Contest,
    EligibilityDecision,
    Participant,
    PrizeList,
    Work,
    WorkFile,
    WorksSettings,
)
from contest.repositories import units as unit_rows
from contest.services import audit
from contest.services.context import Actor

CHUNK = 64 * 1024
MB = 1024 * 1024
DEFAULT_MAX_BYTES = {
    "pdf": 20 * MB,
    "docx": 20 * MB,
    "png": 10 * MB,
    "jpeg": 10 * MB,
    "mp4": 20 * MB,
}  # the request body limit (CONTEST_UPLOAD_MAX_BYTES) caps them all
DEFAULT_RUBRIC = (
    {
        "code": "content",
        "label_vi": "Nội dung, tính chính xác",
        "label_en": "Content and accuracy",
        "max_points": 40,
        "weight": 40,
    },
    {
        "code": "creativity",
        "label_vi": "Tính sáng tạo",
        "label_en": "Creativity",
        "max_points": 30,
        "weight": 30,
    },
    {
        "code": "impact",
        "label_vi": "Khả năng lan tỏa, ứng dụng",
        "label_en": "Reach and use",
        "max_points": 20,
        "weight": 20,
    },
    {
        "code": "form",
        "label_vi": "Hình thức thể hiện",
        "label_en": "Presentation",
        "max_points": 10,
        "weight": 10,
    },
)


def _nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


# --- settings ------------------------------------------------------------------------------------


@transactional
def save_settings(
    db: Session,
    actor: Actor,
    contest: Contest,
    *,
    deadline: datetime,
    opens_at: datetime | None = None,
    allowed_types: Sequence[str] = tuple(FILE_TYPES),
    max_bytes: dict | None = None,
    trim: int = 0,
    rubric: Sequence[dict] = DEFAULT_RUBRIC,
    theme_vi: str = "",
    max_files: int = 5,
    round_id: int | None = None,
    excluded_citizen_ids: Sequence[str] = (),
) -> WorksSettings:
    """Make the contest a works contest and fix its deadline, file limits, rubric and scoring rule."""
    unknown = [t for t in allowed_types if t not in FILE_TYPES]
    if unknown or not allowed_types:
        raise ContestError(
            f"Loại tệp không hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported file types: {', '.join(unknown)}.",
            field="allowed_types",
        )
    if trim < 0:
        raise ContestError(
            "Số điểm loại bỏ không được âm.", "Trim cannot be negative.", field="trim"
        )
    Rubric.from_spec(rubric)
    limits = {t: int((max_bytes or {}).get(t, DEFAULT_MAX_BYTES[t])) for t in allowed_types}
    row = db.get(WorksSettings, contest.id)
    values = dict(
        round_id=round_id,
        opens_at=opens_at,
        deadline=deadline,
        allowed_types=list(allowed_types),
        max_bytes=limits,
        max_files=max_files,
        trim=trim,
        theme_vi=_nfc(theme_vi),
        rubric=list(rubric),
        excluded_citizen_ids=sorted({c.strip() for c in excluded_citizen_ids if c.strip()}),
        updated_at=clock.now(),
    )
    if row is None:
        row = WorksSettings(contest_id=contest.id, **values)
        db.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    contest.kind = "works"
    db.flush()
    audit.record(
        db,
        actor,
        "works.settings",
        "contest",
        contest.id,
        {
            "deadline": deadline.isoformat(),
            "allowed_types": list(allowed_types),
            "max_bytes": limits,
            "trim": trim,
            "rubric": [c["code"] for c in rubric],
        },
    )
    return row


LOCAL_FORMAT = "%d/%m/%Y %H:%M"


@dataclass
class CriterionInput:
    code: str = ""
    label_vi: str = ""
    label_en: str = ""
    max_points: str = ""
    weight: str = ""

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in self.__dict__.values())


@dataclass
class SettingsInput:
    """The works settings as typed on the page or in a file: strings until checked, so a form
    with mistakes can be shown again as it was typed."""

    opens: str = ""
    deadline: str = ""
    allowed_types: list[str] = field(default_factory=lambda: list(FILE_TYPES))
    max_mb: dict[str, str] = field(default_factory=dict)
    max_files: str = "5"
    trim: str = "0"
    theme_vi: str = ""
    excluded: str = ""
    rubric: list[CriterionInput] = field(default_factory=list)

    @classmethod
    def of(cls, row: WorksSettings | None) -> SettingsInput:
        if row is None:
            return cls(
                max_mb={t: str(DEFAULT_MAX_BYTES[t] // MB) for t in FILE_TYPES},
                rubric=[CriterionInput(**_criterion_strings(c)) for c in DEFAULT_RUBRIC],
            )
        return cls(
            opens=_local(row.opens_at),
            deadline=_local(row.deadline),
            allowed_types=list(row.allowed_types),
            max_mb={
                t: f"{(row.max_bytes or {}).get(t, DEFAULT_MAX_BYTES[t]) / MB:g}"
                for t in FILE_TYPES
            },
            max_files=str(row.max_files),
            trim=str(row.trim),
            theme_vi=row.theme_vi or "",
            excluded="\n".join(row.excluded_citizen_ids or []),
            rubric=[CriterionInput(**_criterion_strings(c)) for c in row.rubric],
        )


def _criterion_strings(c: dict) -> dict:
    return {
        "code": str(c.get("code", "")),
        "label_vi": str(c.get("label_vi", "")),
        "label_en": str(c.get("label_en", "")),
        "max_points": f"{float(c.get('max_points', 0)):g}",
        "weight": f"{float(c.get('weight', 1)):g}",
    }


def _local(moment: datetime | None) -> str:
    return clock.to_local(moment).strftime(LOCAL_FORMAT) if moment else ""


def _parse_local(value: str, name: str, vi: str, en: str) -> datetime:
    try:
        naive = datetime.strptime(" ".join((value or "").split()), LOCAL_FORMAT)
    except ValueError:
        raise ContestError(
            f"{vi}: '{value}' không đúng dạng dd/mm/yyyy HH:MM (giờ Việt Nam).",
            f"{en}: '{value}' is not a date and time as dd/mm/yyyy HH:MM (Vietnam time).",
            field=name,
        ) from None
    return naive.replace(tzinfo=clock.VIETNAM).astimezone(UTC)


def _number(value: str, name: str, vi: str, en: str, *, low: float, whole: bool = False) -> float:
    text = (value or "").strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or number < low or (whole and not number.is_integer()):
        kind_vi, kind_en = ("số nguyên", "a whole number") if whole else ("số", "a number")
        raise ContestError(
            f"{vi}: '{value}' phải là {kind_vi} từ {low:g} trở lên.",
            f"{en}: '{value}' must be {kind_en} of {low:g} or more.",
            field=name,
        )
    return number


def check_settings(data: SettingsInput) -> dict:
    """Every problem of a settings form at once (InvalidInput), or the values to save."""
    problems: list[ContestError] = []
    values: dict = {}

    def attempt(key: str, step) -> None:
        try:
            values[key] = step()
        except ContestError as exc:
            problems.append(exc)

    attempt("deadline", lambda: _parse_local(data.deadline, "deadline", "Hạn nộp", "Deadline"))
    values["opens_at"] = None
    if (data.opens or "").strip():
        attempt("opens_at", lambda: _parse_local(data.opens, "opens", "Bắt đầu nhận", "Opening"))
    if (
        values.get("opens_at")
        and values.get("deadline")
        and values["opens_at"] >= values["deadline"]
    ):
        problems.append(
            ContestError(
                "Hạn nộp phải sau thời điểm bắt đầu nhận tác phẩm.",
                "The deadline must come after the opening.",
                field="deadline",
            )
        )
    types = [t for t in data.allowed_types if t]
    unknown = [t for t in types if t not in FILE_TYPES]
    if unknown or not types:
        problems.append(
            ContestError(
                "Chọn ít nhất một loại tệp được nhận"
                + (f" (không hỗ trợ: {', '.join(unknown)})." if unknown else "."),
                "Choose at least one accepted file type"
                + (f" (unsupported: {', '.join(unknown)})." if unknown else "."),
                field="allowed_types",
            )
        )
    values["allowed_types"] = types
    limits: dict[str, int] = {}
    for t in types:
        if t in FILE_TYPES and (data.max_mb.get(t) or "").strip():
            try:
                mb = _number(
                    data.max_mb[t],
                    f"max_mb_{t}",
                    f"Dung lượng tối đa {t}",
                    f"Largest {t}",
                    low=0.01,
                )
                limits[t] = int(mb * MB)
            except ContestError as exc:
                problems.append(exc)
    values["max_bytes"] = limits
    attempt(
        "max_files",
        lambda: int(
            _number(data.max_files, "max_files", "Số tệp tối đa", "Most files", low=1, whole=True)
        ),
    )
    attempt(
        "trim",
        lambda: int(
            _number(
                data.trim,
                "trim",
                "Số điểm cao/thấp nhất bỏ đi",
                "Totals trimmed",
                low=0,
                whole=True,
            )
        ),
    )
    values["theme_vi"] = data.theme_vi or ""
    excluded = [c.strip() for c in (data.excluded or "").replace(",", "\n").splitlines()]
    bad = [c for c in excluded if c and not (c.isdigit() and len(c) in (9, 12))]
    if bad:
        problems.append(
            ContestError(
                f"Số CCCD không hợp lệ trong danh sách không được dự thi: {', '.join(bad)}.",
                f"Not a citizen ID in the excluded list: {', '.join(bad)}.",
                field="excluded",
            )
        )
    values["excluded_citizen_ids"] = [c for c in excluded if c]
    rubric = []
    for n, c in enumerate((c for c in data.rubric if not c.blank), start=1):
        where_vi, where_en = f"Tiêu chí {n}", f"Criterion {n}"
        try:
            if not c.code.strip() or not c.label_vi.strip():
                raise ContestError(
                    f"{where_vi}: cần mã và tên tiếng Việt.",
                    f"{where_en}: a code and a Vietnamese label are needed.",
                    field="rubric",
                )
            rubric.append(
                {
                    "code": c.code.strip(),
                    "label_vi": _nfc(c.label_vi),
                    "label_en": _nfc(c.label_en) or _nfc(c.label_vi),
                    "max_points": _number(
                        c.max_points,
                        "rubric",
                        f"{where_vi}, điểm tối đa",
                        f"{where_en}, maximum",
                        low=0.5,
                    ),
                    "weight": _number(
                        c.weight or "1",
                        "rubric",
                        f"{where_vi}, trọng số",
                        f"{where_en}, weight",
                        low=0.01,
                    ),
                }
            )
        except ContestError as exc:
            problems.append(exc)
    if not rubric and not any(p.field == "rubric" for p in problems):
        problems.append(
            ContestError(
                "Thang điểm cần ít nhất một tiêu chí.",
                "A rubric needs at least one criterion.",
                field="rubric",
            )
        )
    if rubric and not any(p.field == "rubric" for p in problems):
        try:
            Rubric.from_spec(rubric)
        except ContestError as exc:
            problems.append(exc)
    values["rubric"] = rubric
    if problems:
        raise InvalidInput(problems)
    return values


def rubric_in_use(db: Session, contest: Contest) -> bool:
    """Whether a judge has scored a work of the contest: the rubric is then fixed."""
    from contest.models import WorkScore

    return (
        db.execute(
            select(WorkScore.id)
            .join(Work, Work.id == WorkScore.work_id)
            .where(Work.contest_id == contest.id)
            .limit(1)
        ).first()
        is not None
    )


@transactional
def save_settings_input(
    db: Session, actor: Actor, contest: Contest, data: SettingsInput
) -> WorksSettings:
    """The settings page and file: check everything, then save through ``save_settings``. Once
    a judge has scored, the rubric can no longer change (every sheet is on that scale)."""
    values = check_settings(data)
    current = db.get(WorksSettings, contest.id)
    if (
        current is not None
        and list(current.rubric) != values["rubric"]
        and rubric_in_use(db, contest)
    ):
        raise InvalidInput(
            [
                ContestError(
                    "Giám khảo đã chấm điểm theo thang điểm này; không thể thay đổi thang điểm.",
                    "Judges have scored on this rubric; it can no longer change.",
                    field="rubric",
                )
            ]
        )
    return save_settings(
        db,
        actor,
        contest,
        deadline=values["deadline"],
        opens_at=values["opens_at"],
        allowed_types=values["allowed_types"],
        max_bytes=values["max_bytes"],
        trim=values["trim"],
        rubric=values["rubric"],
        theme_vi=values["theme_vi"],
        max_files=values["max_files"],
        round_id=current.round_id if current else None,
        excluded_citizen_ids=values["excluded_citizen_ids"],
    )


def find_settings(db: Session, contest: Contest) -> WorksSettings | None:
    return db.get(WorksSettings, contest.id)


def settings_for(db: Session, contest: Contest) -> WorksSettings:
    row = db.get(WorksSettings, contest.id)
    if row is None:
        raise NotFound("Cuộc thi này không nhận tác phẩm.", "This contest does not take works.")
    return row


def rubric_for(db: Session, contest: Contest) -> Rubric:
    return Rubric.from_spec(settings_for(db, contest).rubric)


def is_open(settings: WorksSettings, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return (settings.opens_at is None or settings.opens_at <= now) and now < settings.deadline


def _require_open(settings: WorksSettings) -> None:
    now = clock.now()
    if settings.opens_at is not None and now < settings.opens_at:
        raise ContestError(
            "Chưa đến thời gian nhận tác phẩm.", "Entries are not open yet.", field="deadline"
        )
    if now >= settings.deadline:
        raise ContestError(
            "Đã hết hạn nhận tác phẩm; không thể thay đổi nữa.",
            "The deadline has passed; nothing can be changed any more.",
            field="deadline",
        )


# --- author groups -------------------------------------------------------------------------------


# An author group is a handful of people. A cap per request keeps the form from being used to
# test thousands of CCCDs at once (3,007 in one request showed which were registered).
MAX_INVITATIONS = 10


def _participant_by_cid(db: Session, contest: Contest, citizen_id: str) -> Participant | None:
    digits = "".join(ch for ch in citizen_id if ch.isdigit())
    return db.execute(
        select(Participant).where(
            Participant.contest_id == contest.id, Participant.citizen_id == digits
        )
    ).scalar_one_or_none()


@transactional
def create_group(
    db: Session,
    actor: Actor,
    contest: Contest,
    contact: Participant,
    name: str,
    member_citizen_ids: Iterable[str],
) -> AuthorGroup:
    """An author group; the participant creating it is its contact and its first member. Every
    other registered CCCD given is invited and stays "pending" until that person accepts on their
    own page. Unknown numbers are dropped without a word, so the form tells nobody whether a
    CCCD is registered."""
    if contact.contest_id != contest.id:
        raise PermissionDenied(
            "Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest."
        )
    name = _nfc(name)
    entered = [raw.strip() for raw in member_citizen_ids if raw.strip()]
    errors: list[ContestError] = []
    if not name:
        errors.append(
            ContestError("Nhóm tác giả cần có tên.", "The author group needs a name.", field="name")
        )
    if not entered:
        errors.append(
            ContestError(
                "Hãy nhập số CCCD của ít nhất một thành viên khác.",
                "Enter the CCCD number of at least one other member.",
                field="members",
            )
        )
    if len(entered) > MAX_INVITATIONS:
        errors.append(
            ContestError(
                f"Mỗi lần chỉ mời được tối đa {MAX_INVITATIONS} thành viên "
                f"(bạn đã nhập {len(entered)} số CCCD).",
                f"At most {MAX_INVITATIONS} members can be invited at a time "
                f"({len(entered)} CCCD numbers were entered).",
                field="members",
            )
        )
    if errors:
        raise InvalidInput(errors) if len(errors) > 1 else errors[0]
    invited: list[Participant] = []
    for raw in entered:
        p = _participant_by_cid(db, contest, raw)
        if p is not None and p.id != contact.id and p.id not in {m.id for m in invited}:
            invited.append(p)
    now = clock.now()
    group = AuthorGroup(
        contest_id=contest.id, name=name, contact_participant_id=contact.id, created_at=now
    )
    group.members = [
        AuthorGroupMember(participant_id=contact.id, position=0, status="accepted", accepted_at=now)
    ] + [
        AuthorGroupMember(participant_id=p.id, position=i, status="pending")
        for i, p in enumerate(invited, start=1)
    ]
    db.add(group)
    db.flush()
    audit.record(
        db,
        actor,
        "works.create_group",
        "author_group",
        group.id,
        {
            "name": name,
            "contact": contact.id,
            "invited": [p.id for p in invited],
            "entered": len(entered),
        },
    )
    return group


def _membership(
    db: Session, contest: Contest, participant: Participant, group_id: int
) -> AuthorGroupMember:
    row = db.execute(
        select(AuthorGroupMember)
        .join(AuthorGroup)
        .where(
            AuthorGroupMember.group_id == group_id,
            AuthorGroupMember.participant_id == participant.id,
            AuthorGroupMember.status == "pending",
            AuthorGroup.contest_id == contest.id,
        )
    ).scalar_one_or_none()
    if row is None or participant.contest_id != contest.id:
        raise NotFound("Không tìm thấy lời mời.", "Invitation not found.")
    return row


def accept_invitation(
    db: Session, actor: Actor, contest: Contest, participant: Participant, group_id: int
) -> AuthorGroup:
    """The invitee joins the group: from now on they are a co-author of its works."""
    row = _membership(db, contest, participant, group_id)
    row.status, row.accepted_at = "accepted", clock.now()
    audit.record(
        db,
        actor,
        "works.accept_group",
        "author_group",
        group_id,
        {"participant_id": participant.id},
    )
    db.commit()
    return db.get(AuthorGroup, group_id)


def decline_invitation(
    db: Session, actor: Actor, contest: Contest, participant: Participant, group_id: int
) -> None:
    """The invitee refuses: their membership is removed, the audit row keeps the refusal."""
    row = _membership(db, contest, participant, group_id)
    db.delete(row)
    audit.record(
        db,
        actor,
        "works.decline_group",
        "author_group",
        group_id,
        {"participant_id": participant.id},
    )
    db.commit()


def invitations_of(db: Session, participant: Participant) -> list[AuthorGroup]:
    return list(
        db.execute(
            select(AuthorGroup)
            .join(AuthorGroupMember)
            .where(
                AuthorGroupMember.participant_id == participant.id,
                AuthorGroupMember.status == "pending",
            )
            .order_by(AuthorGroup.id)
        ).scalars()
    )


def groups_of(db: Session, participant: Participant) -> list[AuthorGroup]:
    """The groups the participant belongs to, invitations they accepted included."""
    return list(
        db.execute(
            select(AuthorGroup)
            .join(AuthorGroupMember)
            .where(
                AuthorGroupMember.participant_id == participant.id,
                AuthorGroupMember.status == "accepted",
            )
            .order_by(AuthorGroup.id)
        ).scalars()
    )


def pending_invitees(db: Session, group: AuthorGroup) -> list[str]:
    """Masked CCCDs of the members who have not accepted yet: their names stay hidden from the group."""
    ids = [m.participant_id for m in group.members if m.status != "accepted"]
    if not ids:
        return []
    cids = dict(
        db.execute(
            select(Participant.id, Participant.citizen_id).where(Participant.id.in_(ids))
        ).all()
    )
    return [mask_citizen_id(cids[i]) for i in ids if i in cids]


def author_ids(work: Work) -> list[int]:
    if work.group is not None:
        return [m.participant_id for m in work.group.members if m.status == "accepted"]
    return [work.author_participant_id] if work.author_participant_id else []


def is_author(work: Work, participant: Participant) -> bool:
    return participant.id in author_ids(work)


# --- drafts, files, submission ---------------------------------------------------------------


@dataclass(frozen=True)
class WorkInput:
    title: str = ""
    category: str = "article"
    description: str = ""
    links: str = ""  # one per line
    note: str = ""
    group_id: int | None = None


def _links(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith(("https://", "http://")):
            raise ContestError(
                f"Đường dẫn phải bắt đầu bằng https:// — {line}",
                f"Links must start with https:// — {line}",
                field="links",
            )
        out.append(line[:500])
    return out


def get_work(db: Session, work_id: int, contest: Contest | None = None) -> Work:
    work = db.get(Work, work_id)
    if work is None or (contest is not None and work.contest_id != contest.id):
        raise NotFound("Không tìm thấy tác phẩm.", "Work not found.")
    return work


def get_file(db: Session, file_id: int) -> tuple[WorkFile, Work]:
    """An uploaded file and the work it belongs to (who may have it is the caller's check)."""
    row = db.get(WorkFile, file_id)
    work = db.get(Work, row.work_id) if row else None
    if row is None or work is None:
        raise NotFound("Không tìm thấy tệp.", "File not found.")
    return row, work


def _editable(work: Work, participant: Participant, settings: WorksSettings) -> None:
    if not is_author(work, participant):
        raise NotFound("Không tìm thấy tác phẩm.", "Work not found.")
    if work.status == "submitted":
        raise ContestError(
            "Tác phẩm đã nộp; bài nộp là chính thức và không sửa được.",
            "The work has been submitted; a submission is final.",
            field="status",
        )
    _require_open(settings)


@transactional
def save_draft(
    db: Session,
    actor: Actor,
    contest: Contest,
    participant: Participant,
    data: WorkInput,
    work: Work | None = None,
) -> Work:
    """Create or update a draft; drafts may be incomplete, only submission checks more."""
    settings = settings_for(db, contest)
    if participant.contest_id != contest.id:
        raise PermissionDenied(
            "Bạn chưa đăng ký cuộc thi này.", "You are not registered for this contest."
        )
    if data.category not in CATEGORIES:
        raise ContestError("Thể loại không hợp lệ.", "Unknown category.", field="category")
    links = _links(data.links)
    now = clock.now()
    if work is None:
        _require_open(settings)
        group = None
        if data.group_id:
            group = db.get(AuthorGroup, data.group_id)
            if (
                group is None
                or group.contest_id != contest.id
                or participant.id
                not in {m.participant_id for m in group.members if m.status == "accepted"}
            ):
                raise ContestError(
                    "Bạn không thuộc nhóm tác giả này.",
                    "You are not in this author group.",
                    field="group_id",
                )
        work = Work(
            contest_id=contest.id,
            round_id=settings.round_id,
            author_participant_id=None if group else participant.id,
            group_id=group.id if group else None,
            created_at=now,
            status="draft",
        )
        db.add(work)
    else:
        _editable(work, participant, settings)
    work.title, work.category, work.description = (
        _nfc(data.title)[:300],
        data.category,
        _nfc(data.description),
    )
    work.links, work.note, work.updated_at = links, _nfc(data.note), now
    db.flush()
    audit.record(
        db,
        actor,
        "works.save_draft",
        "work",
        work.id,
        {"title": work.title, "group_id": work.group_id},
    )
    return work


def _reject(vi: str, en: str) -> ContestError:
    return ContestError(vi, en, field="file")


def _store(
    db: Session, settings: WorksSettings, contest: Contest, stream: BinaryIO
) -> tuple[str, int, str, str]:
    """Check type and size as the bytes arrive (an oversized upload is cut off, not kept
    whole), then put the file in the file store under a random key, in the caller's
    transaction: the file and its row commit together, on every host at once."""
    import tempfile

    digest = hashlib.sha256()
    size = 0
    kind: str | None = None
    limit = max(settings.max_bytes.values())
    with tempfile.SpooledTemporaryFile(max_size=4 * MB) as spool:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            if kind is None:
                kind = sniff_head(chunk[:16])
                allowed = set(settings.allowed_types) | (
                    {"zip"} if "docx" in settings.allowed_types else set()
                )
                if kind not in allowed:
                    raise _reject(
                        "Loại tệp không được chấp nhận (chỉ nhận "
                        + ", ".join(t.upper() for t in settings.allowed_types)
                        + ").",
                        "File type not accepted (only "
                        + ", ".join(t.upper() for t in settings.allowed_types)
                        + ").",
                    )
                limit = settings.max_bytes["docx" if kind == "zip" else kind]
            size += len(chunk)
            if size > limit:
                raise _reject(
                    f"Tệp vượt quá dung lượng cho phép ({limit / MB:g} MB).".replace(".", ","),
                    f"The file is larger than allowed ({limit / MB:g} MB).",
                )
            digest.update(chunk)
            spool.write(chunk)
        if kind is None:
            raise _reject("Tệp rỗng.", "The file is empty.")
        spool.seek(0)
        if kind == "zip":
            if not is_docx(cast(io.BufferedIOBase, spool)):
                raise _reject(
                    "Tệp nén không phải văn bản Word (.docx).",
                    "The zip file is not a Word document (.docx).",
                )
            kind = "docx"
            spool.seek(0)
        key = f"works/{contest.id}/{secrets.token_hex(16)}"
        storage.get_store().put(db, key, iter(lambda: spool.read(storage.CHUNK_BYTES), b""))
    return key, size, digest.hexdigest(), kind


def upload_file(
    db: Session,
    actor: Actor,
    contest: Contest,
    participant: Participant,
    work: Work,
    filename: str,
    stream: BinaryIO,
) -> WorkFile:
    settings = settings_for(db, contest)
    _editable(work, participant, settings)
    if len(work.files) >= settings.max_files:
        raise ContestError(
            f"Mỗi tác phẩm tối đa {settings.max_files} tệp.",
            f"At most {settings.max_files} files per work.",
            field="file",
        )
    key, size, sha, kind = _store(db, settings, contest, stream)
    name = _nfc(Path(filename or "tep").name)[:255] or "tep"
    # The stored file is part of this transaction: a failure below rolls it back too.
    with transaction(db):
        row = WorkFile(
            work_id=work.id,
            original_name=name,
            stored_path=key,
            size=size,
            sha256=sha,
            sniffed_type=kind,
            uploaded_at=clock.now(),
        )
        work.files.append(row)
        work.updated_at = clock.now()
        db.flush()
        audit.record(
            db,
            actor,
            "works.upload",
            "work",
            work.id,
            {"file_id": row.id, "name": name, "size": size, "sha256": sha, "type": kind},
        )
    return row


def remove_file(
    db: Session, actor: Actor, contest: Contest, participant: Participant, work: Work, file_id: int
) -> None:
    _editable(work, participant, settings_for(db, contest))
    row = next((f for f in work.files if f.id == file_id), None)
    if row is None:
        raise NotFound("Không tìm thấy tệp.", "File not found.")
    with transaction(db):
        work.files.remove(row)
        db.flush()
        storage.get_store().delete(db, row.stored_path)  # with the row, in one transaction
        audit.record(
            db,
            actor,
            "works.remove_file",
            "work",
            work.id,
            {"file_id": file_id, "sha256": row.sha256},
        )


@transactional
def submit(
    db: Session,
    actor: Actor,
    contest: Contest,
    participant: Participant,
    work: Work,
    *,
    declaration: bool,
) -> Work:
    """Final submission before the server's deadline, with the declaration of originality."""
    _editable(work, participant, settings_for(db, contest))
    errors = []
    if not declaration:
        errors.append(
            ContestError(
                "Cần cam kết tác phẩm là của mình và chưa công bố.",
                "You must declare the work original and unpublished.",
                field="declaration",
            )
        )
    if not work.title:
        errors.append(
            ContestError("Tác phẩm cần có tên.", "The work needs a title.", field="title")
        )
    if not work.files and not work.links:
        errors.append(
            ContestError(
                "Cần tải lên ít nhất một tệp hoặc ghi một đường dẫn.",
                "Upload at least one file or give a link.",
                field="file",
            )
        )
    if work.group is not None:
        if any(m.status != "accepted" for m in work.group.members):
            errors.append(
                ContestError(
                    "Nhóm tác giả còn người được mời chưa xác nhận; chỉ nộp được khi mọi thành viên đã chấp nhận lời mời.",
                    "Someone invited to the author group has not accepted yet; the work can be submitted once every "
                    "member has accepted.",
                    field="group_id",
                )
            )
        elif len(work.group.members) < 2:
            errors.append(
                ContestError(
                    "Nhóm tác giả cần ít nhất hai thành viên đã xác nhận.",
                    "An author group needs at least two members who have accepted.",
                    field="group_id",
                )
            )
    if errors:
        raise InvalidInput(errors) if len(errors) > 1 else errors[0]
    now = clock.now()
    work.declaration, work.status, work.submitted_at, work.updated_at = True, "submitted", now, now
    audit.record(
        db,
        actor,
        "works.submit",
        "work",
        work.id,
        {"files": [f.sha256 for f in work.files], "links": work.links},
    )
    return work


@dataclass(frozen=True)
class ReceivedWork:
    """A work the secretariat received outside the platform (by post or e-mail), to be entered
    as submitted: by one author (``author_id``) or by a group (``group_name`` with ``member_ids``,
    the first member being the contact)."""

    title: str
    category: str
    description: str
    files: tuple[tuple[str, bytes], ...] = ()
    links: tuple[str, ...] = ()
    author_id: int | None = None
    group_name: str = ""
    member_ids: tuple[int, ...] = ()
    declaration: bool = True


def register_received(
    db: Session, actor: Actor, contest: Contest, items: Sequence[ReceivedWork]
) -> list[Work]:
    """Enter a batch of received works in one transaction, with the same file checks as uploads.

    Only before the deadline: a work that arrived late is not an entry."""
    import io

    settings = settings_for(db, contest)
    _require_open(settings)
    member_ids = {
        i for item in items for i in ((item.author_id,) if item.author_id else item.member_ids)
    }
    known = (
        set(
            db.execute(
                select(Participant.id).where(
                    Participant.contest_id == contest.id, Participant.id.in_(member_ids)
                )
            ).scalars()
        )
        if member_ids
        else set()
    )
    if member_ids - known:
        raise NotFound(
            "Có tác giả chưa đăng ký dự thi.", "An author is not registered for the contest."
        )
    now = clock.now()
    out: list[Work] = []
    try:
        for item in items:
            if item.category not in CATEGORIES:
                raise ContestError("Thể loại không hợp lệ.", "Unknown category.", field="category")
            group = None
            if not item.author_id:
                if len(item.member_ids) < 2 or not _nfc(item.group_name):
                    raise ContestError(
                        "Nhóm tác giả cần tên và ít nhất hai thành viên.",
                        "An author group needs a name and at least two members.",
                        field="members",
                    )
                group = AuthorGroup(
                    contest_id=contest.id,
                    name=_nfc(item.group_name),
                    contact_participant_id=item.member_ids[0],
                    created_at=now,
                )
                # The secretariat enters groups from signed entry forms: their members consented on paper.
                group.members = [
                    AuthorGroupMember(
                        participant_id=m, position=i, status="accepted", accepted_at=now
                    )
                    for i, m in enumerate(item.member_ids)
                ]
                db.add(group)
            work = Work(
                contest_id=contest.id,
                round_id=settings.round_id,
                author_participant_id=item.author_id,
                group=group,
                title=_nfc(item.title)[:300],
                category=item.category,
                description=_nfc(item.description),
                links=list(item.links),
                note="",
                declaration=item.declaration,
                status="submitted",
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
            for name, data in item.files:
                key, size, sha, kind = _store(db, settings, contest, io.BytesIO(data))
                work.files.append(
                    WorkFile(
                        original_name=_nfc(Path(name).name)[:255] or "tep",
                        stored_path=key,
                        size=size,
                        sha256=sha,
                        sniffed_type=kind,
                        uploaded_at=now,
                    )
                )
            db.add(work)
            out.append(work)
        db.flush()
        audit.record(
            db,
            actor,
            "works.register_received",
            "contest",
            contest.id,
            {"works": [w.id for w in out], "files": sum(len(w.files) for w in out)},
        )
        db.commit()
    except Exception:
        db.rollback()
        raise
    return out


def works_of(db: Session, participant: Participant) -> list[Work]:
    group_ids = [g.id for g in groups_of(db, participant)]
    q = select(Work).where(Work.contest_id == participant.contest_id)
    q = q.where(
        (Work.author_participant_id == participant.id)
        | (
            Work.group_id.in_(group_ids)
            if group_ids
            else Work.author_participant_id == participant.id
        )
    )
    return list(db.execute(q.order_by(Work.id)).scalars())


def file_info(db: Session, row: WorkFile) -> storage.FileInfo | None:
    return storage.get_store().info(db, row.stored_path)


def file_chunks(db: Session, row: WorkFile) -> Iterator[bytes]:
    """The file's bytes from the file store, a chunk at a time (for a streamed download)."""
    return storage.get_store().read(db, row.stored_path)


# --- screening -------------------------------------------------------------------------------


def submitted_works(db: Session, contest: Contest) -> list[Work]:
    return list(
        db.execute(
            select(Work)
            .where(Work.contest_id == contest.id, Work.status == "submitted")
            .order_by(Work.id)
        ).scalars()
    )


def _readable(db: Session, row: WorkFile) -> bool:
    info = file_info(db, row)
    return info is not None and info.size == row.size


def people_of(db: Session, works: Sequence[Work]) -> dict[int, Participant]:
    return people_of_ids(db, {pid for w in works for pid in author_ids(w)})


def people_of_ids(db: Session, ids: set[int]) -> dict[int, Participant]:
    if not ids:
        return {}
    return {
        p.id: p for p in db.execute(select(Participant).where(Participant.id.in_(ids))).scalars()
    }


def work_verdicts(
    db: Session,
    contest: Contest,
    works: Sequence[Work] | None = None,
    rules: WorkRules | None = None,
    check_files: bool = True,
) -> dict[int, Verdict]:
    """A verdict for every submitted work: its flags and the committee's decisions (subject "work")."""
    works = submitted_works(db, contest) if works is None else works
    people = people_of(db, works)
    rules = rules or excluded_rules(db, contest)
    facts = []
    for w in works:
        authors = author_ids(w)
        facts.append(
            WorkFacts(
                work_id=str(w.id),
                title=w.title,
                category=w.category,
                description=w.description,
                declaration=w.declaration,
                file_hashes=tuple(f.sha256 for f in w.files),
                links=tuple(w.links or ()),
                unreadable_files=tuple(
                    f.original_name for f in w.files if check_files and not _readable(db, f)
                ),
                author_ids=tuple(str(a) for a in authors),
                author_citizen_ids=tuple(people[a].citizen_id for a in authors if a in people),
            )
        )
    duplicates = duplicate_file_flags(facts)
    flags = {
        f.work_id: screen_work(f, rules)
        + ((duplicates[f.work_id],) if f.work_id in duplicates else ())
        for f in facts
    }
    rows = db.execute(
        select(EligibilityDecision)
        .where(
            EligibilityDecision.contest_id == contest.id, EligibilityDecision.subject_kind == "work"
        )
        .order_by(EligibilityDecision.decided_at, EligibilityDecision.id)
    ).scalars()
    decisions = [
        Decision(str(r.subject_id), r.eligible, r.reason, r.reason, r.decided_by, r.decided_at)
        for r in rows
    ]
    known = {str(w.id) for w in works}
    verdicts = verdicts_for(flags, [d for d in decisions if d.subject_id in known])
    return {int(k): v for k, v in verdicts.items()}


def excluded_rules(db: Session, contest: Contest) -> WorkRules:
    row = db.get(WorksSettings, contest.id)
    return WorkRules(
        excluded_citizen_ids=frozenset(row.excluded_citizen_ids or ()) if row else frozenset()
    )


# --- awards for certificates -------------------------------------------------------------------


def work_awards(db: Session, contest: Contest, pl: PrizeList) -> list[AwardRecord]:
    """An approved works list as certificates see it: one award for an individual author; for
    a group one per member (``group_member``) and one for the group itself."""
    works = {
        w.id: w
        for w in db.execute(
            select(Work).where(Work.id.in_([e.work_id for e in pl.entries if e.work_id]))
        ).scalars()
    }
    people = people_of(db, list(works.values()))
    units = unit_rows.units_by_id(db, contest.id)

    def unit_name(p: Participant) -> str:
        return units[p.unit_id].name if p.unit_id in units else ""

    out: list[AwardRecord] = []
    for e in pl.entries:
        w = works.get(e.work_id)
        if w is None:
            continue
        achievement = f"Đã đạt {e.tier_label_vi} {contest.title_vi} với tác phẩm “{w.title}”"
        common = dict(
            contest_id=contest.id,
            round_id=pl.round_id,
            kind="prize",
            tier_code=e.tier_code,
            tier_label_vi=e.tier_label_vi,
            achievement_vi=achievement,
            prize_list_version=pl.version,
        )
        if w.group is None:
            p = people[w.author_participant_id]
            out.append(
                AwardRecord(
                    award_key=f"prize:{e.id}",
                    recipient_kind="individual",
                    participant_id=p.id,
                    unit_id=p.unit_id,
                    recipient_name=p.full_name,
                    recipient_unit=unit_name(p),
                    **common,
                )
            )
            continue
        out.append(
            AwardRecord(
                award_key=f"prize:{e.id}",
                recipient_kind="group",
                participant_id=None,
                unit_id=None,
                recipient_name=w.group.name,
                recipient_unit="",
                **common,
            )
        )
        for m in w.group.members:
            p = people[m.participant_id]
            out.append(
                AwardRecord(
                    award_key=f"prize:{e.id}:member:{p.id}",
                    recipient_kind="group_member",
                    participant_id=p.id,
                    unit_id=p.unit_id,
                    recipient_name=p.full_name,
                    recipient_unit=unit_name(p),
                    **common,
                )
            )
    return out
