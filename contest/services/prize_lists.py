"""Prize lists: their states and the one transition function, versions, lines and queries.

Every other module reads and changes prize lists through this one: allocation (quiz rounds,
collectives, works) opens a draft here and writes lines with ``line``; the committee's pages
and the CLI move a list through ``transition``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError, NotFound, PermissionDenied
from contest.domain.permissions import CHAIR, COMMITTEE
from contest.domain.prizes import EntryResult, LineRule, Outcome, PrizeTier
from contest.models import Contest, PrizeList, PrizeListEntry, StaffUser
from contest.services import audit
from contest.services.context import Actor

UNDECIDED = "undecided"


class ListStatus(StrEnum):
    """draft → proposed → approved (frozen) → published. A correction of an approved list is
    a new version; the approved one stays as it was signed."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    PUBLISHED = "published"

    @property
    def label_vi(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    @property
    def editable(self) -> bool:
        return self in EDITABLE

    @property
    def final(self) -> bool:
        return self in FINAL


_LABELS = {
    ListStatus.DRAFT: ("Bản nháp", "Draft"),
    ListStatus.PROPOSED: ("Đã đề xuất", "Proposed"),
    ListStatus.APPROVED: ("Đã phê duyệt", "Approved"),
    ListStatus.PUBLISHED: ("Đã công bố", "Published"),
}
EDITABLE = frozenset({ListStatus.DRAFT, ListStatus.PROPOSED})
FINAL = frozenset({ListStatus.APPROVED, ListStatus.PUBLISHED})
# For SQL filters: the states of a signed decision.
FINAL_LIST_STATES: tuple[str, ...] = (ListStatus.APPROVED.value, ListStatus.PUBLISHED.value)


@dataclass(frozen=True)
class Transition:
    """One allowed move of a list, who may make it and what the audit log calls it."""

    source: ListStatus
    target: ListStatus
    roles: tuple[str, ...]
    action: str


TRANSITIONS: dict[tuple[ListStatus, ListStatus], Transition] = {
    (t.source, t.target): t
    for t in (
        Transition(ListStatus.DRAFT, ListStatus.PROPOSED, COMMITTEE, "prizes.propose"),
        Transition(ListStatus.PROPOSED, ListStatus.APPROVED, CHAIR, "prizes.approve"),
        Transition(ListStatus.APPROVED, ListStatus.PUBLISHED, COMMITTEE, "prizes.publish"),
    )
}

_REFUSALS = {
    ListStatus.PROPOSED: (
        "Chỉ đề xuất được danh sách đang là bản nháp.",
        "Only a draft can be proposed.",
    ),
    ListStatus.APPROVED: (
        "Chỉ phê duyệt được danh sách đã được đề xuất.",
        "Only a proposed list can be approved.",
    ),
    ListStatus.PUBLISHED: (
        "Chỉ công bố được danh sách đã phê duyệt.",
        "Only an approved list can be published.",
    ),
}


def roles_for(target: ListStatus | str) -> tuple[str, ...]:
    """Who may move a list into ``target``."""
    target = ListStatus(target)
    return next((t.roles for t in TRANSITIONS.values() if t.target == target), ())


def status_of(pl: PrizeList) -> ListStatus:
    return ListStatus(pl.status)


def allowed_next(pl: PrizeList) -> tuple[ListStatus, ...]:
    """The states this list may move to next, for pages that offer only what would succeed."""
    return tuple(target for source, target in TRANSITIONS if source == pl.status)


# --- queries -----------------------------------------------------------------------------------


def get_list(db: Session, list_id: int) -> PrizeList:
    pl = db.get(PrizeList, list_id)
    if pl is None:
        raise NotFound("Không tìm thấy danh sách giải.", "Prize list not found.")
    return pl


def list_in_contest(
    db: Session, contest: Contest, list_id: int, kind: str | None = None
) -> PrizeList:
    """A list addressed inside a contest (and of a kind, when given); anything else is not found."""
    pl = db.get(PrizeList, list_id)
    if pl is None or pl.contest_id != contest.id or (kind is not None and pl.kind != kind):
        raise NotFound("Không tìm thấy danh sách giải.", "Prize list not found.")
    return pl


def lists_of(db: Session, contest_id: int, kind: str | None = None) -> list[PrizeList]:
    q = select(PrizeList).where(PrizeList.contest_id == contest_id)
    if kind is not None:
        q = q.where(PrizeList.kind == kind)
    return list(
        db.execute(q.order_by(PrizeList.kind, PrizeList.round_id, PrizeList.version)).scalars()
    )


def versions_of(db: Session, pl: PrizeList) -> list[PrizeList]:
    """Every version of the same list (same contest, kind and round), oldest first."""
    return [x for x in lists_of(db, pl.contest_id, pl.kind) if x.round_id == pl.round_id]


def latest_list(
    db: Session,
    contest_id: int,
    round_id: int | None,
    kind: str,
    states: Sequence[str] | None = None,
) -> PrizeList | None:
    """The highest version of a list, optionally only among the given states."""
    q = select(PrizeList).where(PrizeList.contest_id == contest_id, PrizeList.kind == kind)
    q = q.where(
        PrizeList.round_id.is_(None) if round_id is None else PrizeList.round_id == round_id
    )
    if states:
        q = q.where(PrizeList.status.in_(states))
    return db.execute(q.order_by(PrizeList.version.desc()).limit(1)).scalar_one_or_none()


def latest_final(db: Session, contest_id: int, round_id: int | None, kind: str) -> PrizeList | None:
    """The version that is the signed decision now: the highest approved or published one."""
    return latest_list(db, contest_id, round_id, kind, FINAL_LIST_STATES)


def has_final(db: Session, *, round_id: int) -> bool:
    """Whether a list of the round has been approved: its inputs are then part of a decision."""
    return (
        db.execute(
            select(PrizeList.id).where(
                PrizeList.round_id == round_id, PrizeList.status.in_(FINAL_LIST_STATES)
            )
        ).first()
        is not None
    )


def final_lists(
    db: Session, contest_id: int, round_id: int | None = None, *, published_only: bool = False
) -> dict[tuple[int | None, str], PrizeList]:
    """The current signed version of every list of a contest, keyed by (round id, kind)."""
    states = (ListStatus.PUBLISHED.value,) if published_only else FINAL_LIST_STATES
    q = select(PrizeList).where(PrizeList.contest_id == contest_id, PrizeList.status.in_(states))
    if round_id is not None:
        q = q.where(PrizeList.round_id == round_id)
    latest: dict[tuple[int | None, str], PrizeList] = {}
    for pl in db.execute(q.order_by(PrizeList.version)).scalars():
        latest[(pl.round_id, pl.kind)] = pl
    return latest


def undecided_lines(pl: PrizeList) -> list[PrizeListEntry]:
    return [e for e in pl.entries if e.tier_code == UNDECIDED]


# --- drafts and lines --------------------------------------------------------------------------


def open_draft(
    db: Session,
    actor: Actor,
    contest_id: int,
    round_id: int | None,
    kind: str,
    correction_note: str | None,
) -> PrizeList:
    """A draft to fill: the current draft or proposal is emptied and refilled; after approval
    only a correction (a new version, keeping the old one, with a reason) may change the list."""
    current = latest_list(db, contest_id, round_id, kind)
    now = clock.now()
    if current is not None and status_of(current).editable:
        current.entries.clear()
        _back_to_draft(current)
        _allocated(current, actor)
        db.flush()
        return current
    supersedes = None
    note = ""
    if current is not None:
        if not (correction_note or "").strip():
            raise ContestError(
                f"Danh sách giải phiên bản {current.version} đã được phê duyệt và không thể sửa; "
                "muốn đính chính phải tạo phiên bản mới kèm lý do.",
                f"Prize list version {current.version} is approved and frozen; a correction "
                "needs a new version with a reason.",
                field="status",
            )
        supersedes, note = current.id, (correction_note or "").strip()
    version = (
        db.execute(
            select(func.max(PrizeList.version)).where(
                PrizeList.contest_id == contest_id,
                PrizeList.kind == kind,
                PrizeList.round_id.is_(None)
                if round_id is None
                else PrizeList.round_id == round_id,
            )
        ).scalar()
        or 0
    ) + 1
    pl = PrizeList(
        contest_id=contest_id,
        round_id=round_id,
        kind=kind,
        version=version,
        status=ListStatus.DRAFT,
        supersedes_id=supersedes,
        note=note,
        created_at=now,
        created_by=actor.audit_name[:120],
    )
    _allocated(pl, actor)
    db.add(pl)
    db.flush()
    return pl


def _staff_id(actor: Actor) -> int | None:
    return actor.id if actor.kind == "staff" else None


def _allocated(pl: PrizeList, actor: Actor) -> None:
    pl.allocated_by, pl.allocated_by_id = actor.audit_name[:120], _staff_id(actor)


def _back_to_draft(pl: PrizeList) -> None:
    pl.status = ListStatus.DRAFT
    pl.proposed_at, pl.proposed_by, pl.proposed_by_id = None, None, None


def line(
    result: EntryResult,
    tiers: Iterable[PrizeTier],
    position: int,
    *,
    reason: tuple[str, str] | None = None,
    rule: str | None = None,
    **ids: int | None,
) -> PrizeListEntry:
    """One line of a list from an allocation result: an awarded tier or an undecided tie.

    ``ids`` say who the line is for (participant_id, attempt_id, unit_id, work_id)."""
    if result.outcome is Outcome.AWARDED:
        tier = next(t for t in tiers if t.code == result.tier_code)
        code, vi, en = tier.code, tier.label_vi, tier.label_en
    elif result.outcome is Outcome.UNDECIDED:
        code, vi, en = UNDECIDED, "Chờ quyết định", "Undecided"
    else:
        raise ValueError(f"no line for outcome {result.outcome}")
    reason_vi, reason_en = reason or (result.reason_vi, result.reason_en)
    return PrizeListEntry(
        position=position,
        tier_code=code,
        tier_label_vi=vi,
        tier_label_en=en,
        rank=result.rank,
        score=result.entry.score,
        reason_vi=reason_vi,
        reason_en=reason_en,
        rule=rule,
        **ids,
    )


def require_editable(pl: PrizeList) -> None:
    if not status_of(pl).editable:
        raise ContestError(
            f"Danh sách giải phiên bản {pl.version} đã được phê duyệt và không thể sửa; "
            "hãy tạo bản đính chính.",
            f"Prize list version {pl.version} is approved and frozen; make a correction instead.",
            field="status",
        )


def set_line_tier(
    db: Session,
    actor: Actor,
    pl: PrizeList,
    entry_id: int,
    tier: PrizeTier | None,
    reason: str,
) -> PrizeList:
    """The committee changes one line of a draft (settles a tie, withdraws a prize) with a
    reason; refused once approved. A proposal goes back to draft."""
    entry = next((e for e in pl.entries if e.id == entry_id), None)
    if entry is None:
        raise NotFound("Không tìm thấy dòng danh sách giải.", "Prize list line not found.")
    _require_role(db, actor, *COMMITTEE)
    require_editable(pl)
    if not (reason or "").strip():
        raise ContestError("Cần nêu lý do.", "A reason is needed.", field="reason")
    before = entry.tier_code
    if tier is None:
        pl.entries.remove(entry)
    else:
        entry.tier_code = tier.code
        entry.tier_label_vi, entry.tier_label_en = tier.label_vi, tier.label_en
        entry.reason_vi, entry.reason_en = reason.strip(), reason.strip()
    _back_to_draft(pl)
    db.flush()
    audit.record(
        db,
        actor,
        "prizes.edit_line",
        "prize_list",
        pl.id,
        {
            "entry_id": entry_id,
            "before": before,
            "after": tier.code if tier else None,
            "reason": reason.strip(),
        },
    )
    db.commit()
    return pl


# --- transitions -------------------------------------------------------------------------------


def _require_role(db: Session, actor: Actor, *roles: str) -> StaffUser:
    staff = db.get(StaffUser, actor.id) if actor.kind == "staff" and actor.id else None
    if staff is None or not staff.is_active or not (staff.roles & set(roles)):
        raise PermissionDenied(
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account does not have the role needed for this.",
        )
    return staff


def require_role(db: Session, actor: Actor, *roles: str) -> StaffUser:
    """The acting staff member, refused (bilingual) unless active with one of ``roles``."""
    return _require_role(db, actor, *roles)


def hands_of(pl: PrizeList) -> set[int]:
    """Staff who allocated or proposed this version: under four eyes none of them approves it."""
    return {i for i in (pl.allocated_by_id, pl.proposed_by_id) if i is not None}


def four_eyes_applies(db: Session, pl: PrizeList) -> bool:
    contest = db.get(Contest, pl.contest_id)
    return contest is None or contest.four_eyes


def may_approve(db: Session, staff_id: int | None, pl: PrizeList) -> bool:
    """Whether this staff member is not barred by four eyes from approving this version."""
    return not (four_eyes_applies(db, pl) and staff_id in hands_of(pl))


def _check_one_prize(db: Session, pl: PrizeList) -> None:
    """Under "one prize in the whole contest" nobody holds two approved prizes: a list that
    gives one to someone another round's approved list also rewards waits for that round's
    correction to be approved first."""
    mine = {
        e.participant_id
        for e in pl.entries
        if e.participant_id and e.rule == LineRule.CONTEST_HIGHEST and e.tier_code != UNDECIDED
    }
    if not mine or pl.kind != "individual":
        return
    for (round_id, kind), other in final_lists(db, pl.contest_id).items():
        if kind != "individual" or round_id == pl.round_id:
            continue
        both = [
            e
            for e in other.entries
            if e.participant_id in mine and e.rule == LineRule.CONTEST_HIGHEST
        ]
        if both:
            raise ContestError(
                f"{len(both)} người trong danh sách này đang giữ giải trong danh sách đã phê "
                f"duyệt của đợt khác (phiên bản {other.version}); theo quy tắc mỗi người một "
                "giải, hãy phê duyệt bản đính chính của đợt đó trước.",
                f"{len(both)} people on this list hold a prize on another round's approved list "
                f"(version {other.version}); under one prize per person, approve that round's "
                "correction first.",
                field="status",
            )


def _check(db: Session, actor: Actor, pl: PrizeList, target: ListStatus) -> None:
    if target is ListStatus.PROPOSED and undecided_lines(pl):
        raise ContestError(
            "Còn trường hợp đồng hạng chờ Ban Tổ chức quyết định.",
            "Ties still wait for a committee decision.",
            field="status",
        )
    if target is ListStatus.APPROVED:
        _check_one_prize(db, pl)
    if target is ListStatus.APPROVED and not may_approve(db, _staff_id(actor), pl):
        raise PermissionDenied(
            "Người đã phân bổ hoặc đề xuất danh sách giải này không được tự phê duyệt "
            "(nguyên tắc bốn mắt); cần một thành viên khác có quyền phê duyệt.",
            "Whoever allocated or proposed this prize list may not approve it (four eyes); "
            "another member with the right to approve must do it.",
        )


def transition(
    db: Session, actor: Actor, pl: PrizeList, target: ListStatus | str, *, commit: bool = True
) -> PrizeList:
    """Move a list to ``target`` if the move is allowed, by someone allowed to make it; audited.

    ``commit=False`` leaves the commit to a caller whose one transaction includes the move."""
    target = ListStatus(target)
    move = TRANSITIONS.get((status_of(pl), target))
    # The role is checked first: someone without it learns nothing about the list's state.
    _require_role(db, actor, *(move.roles if move else roles_for(target)))
    if move is None:
        vi, en = _REFUSALS.get(target, ("Không thể chuyển trạng thái.", "Not an allowed move."))
        raise ContestError(vi, en, field="status")
    _check(db, actor, pl, target)
    now, who = clock.now(), actor.audit_name[:120]
    details: dict = {"version": pl.version}
    if target is ListStatus.PROPOSED:
        pl.proposed_at, pl.proposed_by, pl.proposed_by_id = now, who, _staff_id(actor)
        details["lines"] = len(pl.entries)
    elif target is ListStatus.APPROVED:
        pl.approved_at, pl.approved_by = now, who
        details["lines"] = [[e.participant_id or e.unit_id, e.tier_code] for e in pl.entries]
        details["allocated_by"], details["proposed_by"] = pl.allocated_by, pl.proposed_by
    elif target is ListStatus.PUBLISHED:
        pl.published_at, pl.published_by = now, who
    pl.status = target
    audit.record(db, actor, move.action, "prize_list", pl.id, details)
    if not commit:
        return pl
    db.commit()
    if target is ListStatus.PUBLISHED:
        from contest.services import results_cache

        results_cache.invalidate(pl.contest_id)
    return pl


def propose(db: Session, actor: Actor, pl: PrizeList, *, commit: bool = True) -> PrizeList:
    return transition(db, actor, pl, ListStatus.PROPOSED, commit=commit)


def approve(db: Session, actor: Actor, pl: PrizeList) -> PrizeList:
    """The chair approves; from now on the list is frozen."""
    return transition(db, actor, pl, ListStatus.APPROVED)


def publish(db: Session, actor: Actor, pl: PrizeList) -> PrizeList:
    return transition(db, actor, pl, ListStatus.PUBLISHED)
