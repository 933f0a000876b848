"""A contest's plans as the organiser sets them: prize plans (contest-wide and per round), the
collective plan, screening thresholds and the excluded list; their locks, previews and the
TOML file that carries them from one year to the next.

Each public function that writes is one transaction. A plan a prize list was built from is
locked once that list is approved: a change then needs a correction reason, and the way
forward is a correction version of the list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction, transactional
from contest.domain.collectives import CollectiveResult
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.plans import (
    ScreeningThresholds,
    check_collective_plan,
    check_prize_plan,
    check_screening,
)
from contest.domain.prizes import LINE_RULE_WORDS, Allocation, Outcome, PrizePlan
from contest.importers.excluded import ExcludedIssue, parse_excluded
from contest.models import Contest, ExcludedPerson, PrizeList, PrizePlanRecord, Round
from contest.repositories import excluded
from contest.repositories import units as unit_rows
from contest.services import audit, prize_lists, prize_plans, prizes
from contest.services.context import Actor

# A list in one of these states was signed: what it was built from may no longer move.
SIGNED_STATES = prize_lists.FINAL_LIST_STATES
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- reading


_record = prize_plans.plan_record


def unit_codes(db: Session, contest_id: int) -> list[str]:
    return [u.code for u in unit_rows.units_of(db, contest_id)]


def thresholds_of(contest: Contest) -> ScreeningThresholds:
    return ScreeningThresholds(contest.min_seconds_per_question, contest.require_all_answered)


def excluded_people(db: Session, contest_id: int) -> list[ExcludedPerson]:
    return excluded.excluded_people(db, contest_id)


def excluded_citizen_ids(db: Session, contest_id: int) -> frozenset[str]:
    """The CCCDs screening flags as excluded staff (results reads them for every round)."""
    return excluded.excluded_citizen_ids(db, contest_id)


def missing_plan(db: Session, contest: Contest, round_number: int | None) -> tuple[str, str] | None:
    """Why prizes cannot be allocated yet for a round (None: the collective prizes), or None."""
    if round_number is None:
        if _record(db, contest.id, None, "collective") is None:
            return (
                "Chưa có cơ cấu giải tập thể. Ban Tổ chức cần khai báo tiêu chí, các khối và đơn vị "
                "của từng khối trên trang cơ cấu giải trước khi phân bổ.",
                "There is no collective prize plan yet. The organisers set its criterion, pools "
                "and the units of each pool on the plans page before prizes can be allocated.",
            )
        return None
    round_ = _round(contest, round_number)
    if prize_plans.plan_for(db, contest.id, round_.id, required=False) is None:  # type: ignore[union-attr]
        return (
            f"Chưa có cơ cấu giải cá nhân cho đợt {round_number}. Ban Tổ chức cần khai báo các giải "
            "và số lượng trên trang cơ cấu giải trước khi phân bổ.",
            f"There is no individual prize plan for round {round_number} yet. The organisers set "
            "its tiers and quotas on the plans page before prizes can be allocated.",
        )
    return None


@dataclass(frozen=True)
class Lock:
    """Why a plan may no longer change freely: the signed list built from it."""

    list_id: int
    version: int
    status: str
    round_number: int | None

    @property
    def message_vi(self) -> str:
        where = f"đợt {self.round_number}" if self.round_number else "tập thể"
        return (
            f"Danh sách giải {where} phiên bản {self.version} đã được phê duyệt dựa trên thiết lập "
            "này. "
            "Muốn thay đổi, hãy ghi lý do đính chính; sau khi lưu, phân bổ lại để tạo phiên bản "
            "đính chính của danh sách cho Trưởng ban phê duyệt."
        )

    @property
    def message_en(self) -> str:
        where = f"round {self.round_number}" if self.round_number else "the collective prizes"
        return (
            f"Prize list version {self.version} for {where} was approved on these settings. "
            "To change them, give a correction reason; after saving, allocate again to make "
            "a correction version of the list for the chair to approve."
        )


def _signed(db: Session, contest_id: int, kind: str, round_ids: list[int | None]) -> Lock | None:
    if not round_ids:
        return None
    numbers = {
        r.id: r.number
        for r in db.execute(select(Round).where(Round.contest_id == contest_id)).scalars()
    }
    q = select(PrizeList).where(
        PrizeList.contest_id == contest_id,
        PrizeList.kind == kind,
        PrizeList.status.in_(SIGNED_STATES),
    )
    ids = [r for r in round_ids if r is not None]
    if None in round_ids:
        q = q.where(PrizeList.round_id.is_(None))
    else:
        q = q.where(PrizeList.round_id.in_(ids))
    pl = db.execute(q.order_by(PrizeList.version.desc()).limit(1)).scalar_one_or_none()
    if pl is None:
        return None
    return Lock(pl.id, pl.version, pl.status, numbers.get(pl.round_id) if pl.round_id else None)


def _rounds_using(db: Session, contest: Contest, round_id: int | None) -> list[int | None]:
    """The rounds whose lists are built from this individual plan."""
    if round_id is not None:
        return [round_id]
    own = set(
        db.execute(
            select(PrizePlanRecord.round_id).where(
                PrizePlanRecord.contest_id == contest.id,
                PrizePlanRecord.kind == "individual",
                PrizePlanRecord.round_id.is_not(None),
            )
        ).scalars()
    )
    return [r.id for r in contest.rounds if r.id not in own]


def prize_plan_lock(db: Session, contest: Contest, round_id: int | None) -> Lock | None:
    return _signed(db, contest.id, "individual", _rounds_using(db, contest, round_id))


def collective_plan_lock(db: Session, contest: Contest) -> Lock | None:
    return _signed(db, contest.id, "collective", [None])


def screening_lock(db: Session, contest: Contest) -> Lock | None:
    """Thresholds decide which entries count, so they lock with the first signed list."""
    return _signed(db, contest.id, "individual", [r.id for r in contest.rounds])


@dataclass
class PlansView:
    contest: Contest
    prize_spec: dict | None
    round_specs: dict[int, dict]  # round number -> its own plan
    collective_spec: dict | None
    thresholds: ScreeningThresholds
    excluded: list[ExcludedPerson]
    prize_lock: Lock | None
    round_locks: dict[int, Lock | None]
    collective_lock: Lock | None
    screening_lock: Lock | None
    unit_codes: list[str] = field(default_factory=list)


def view(db: Session, contest: Contest) -> PlansView:
    contest_plan = _record(db, contest.id, None, "individual")
    collective = _record(db, contest.id, None, "collective")
    round_specs: dict[int, dict] = {}
    round_locks: dict[int, Lock | None] = {}
    for r in contest.rounds:
        own = _record(db, contest.id, r.id, "individual")
        if own is not None:
            round_specs[r.number] = own.spec
        round_locks[r.number] = prize_plan_lock(db, contest, r.id)
    return PlansView(
        contest=contest,
        prize_spec=contest_plan.spec if contest_plan else None,
        round_specs=round_specs,
        collective_spec=collective.spec if collective else None,
        thresholds=thresholds_of(contest),
        excluded=excluded_people(db, contest.id),
        prize_lock=prize_plan_lock(db, contest, None),
        round_locks=round_locks,
        collective_lock=collective_plan_lock(db, contest),
        screening_lock=screening_lock(db, contest),
        unit_codes=unit_codes(db, contest.id),
    )


# --------------------------------------------------------------------------- writing


def _guard(
    lock: Lock | None, correction_reason: str | None, field: str = "correction_reason"
) -> str:
    reason = (correction_reason or "").strip()
    if lock is not None and not reason:
        raise ContestError(lock.message_vi, lock.message_en, field=field)
    return reason


def _round(contest: Contest, number: int | None) -> Round | None:
    if number is None:
        return None
    for r in contest.rounds:
        if r.number == number:
            return r
    raise ContestError(
        f"Cuộc thi không có đợt {number}.", f"The contest has no round {number}.", field="round"
    )


def _store(
    db: Session, actor: Actor, contest: Contest, round_id: int | None, kind: str, spec: dict
) -> PrizePlanRecord:
    record = _record(db, contest.id, round_id, kind)
    if record is None:
        record = PrizePlanRecord(contest_id=contest.id, round_id=round_id, kind=kind, spec=spec)
        db.add(record)
    record.spec = spec
    record.updated_at = clock.now()
    record.updated_by = actor.audit_name[:120]
    db.flush()
    return record


def _put_prize_plan(
    db: Session,
    actor: Actor,
    contest: Contest,
    raw: Mapping,
    round_number: int | None,
    correction_reason: str | None,
) -> tuple[PrizePlan, dict]:
    round_ = _round(contest, round_number)
    round_id = round_.id if round_ else None
    plan, spec = check_prize_plan(raw)
    old = _record(db, contest.id, round_id, "individual")
    if old is not None and old.spec == spec:
        return plan, spec
    reason = _guard(prize_plan_lock(db, contest, round_id), correction_reason)
    record = _store(db, actor, contest, round_id, "individual", spec)
    audit.record(
        db,
        actor,
        "plans.save_prize_plan",
        "prize_plan",
        record.id,
        {"contest_id": contest.id, "round": round_number, "spec": spec, "correction": reason},
    )
    return plan, spec


@transactional
def save_prize_plan(
    db: Session,
    actor: Actor,
    contest: Contest,
    raw: Mapping,
    *,
    round_number: int | None = None,
    correction_reason: str | None = None,
) -> PrizePlan:
    """The contest-wide individual plan, or with a round number that round's own plan."""
    plan, _ = _put_prize_plan(db, actor, contest, raw, round_number, correction_reason)
    return plan


@transactional
def remove_round_plan(
    db: Session,
    actor: Actor,
    contest: Contest,
    round_number: int,
    correction_reason: str | None = None,
) -> None:
    """The round goes back to the contest-wide plan."""
    _drop_round_plan(db, actor, contest, round_number, correction_reason)


def _drop_round_plan(
    db: Session, actor: Actor, contest: Contest, round_number: int, correction_reason: str | None
) -> bool:
    round_ = _round(contest, round_number)
    record = _record(db, contest.id, round_.id, "individual")  # type: ignore[union-attr]
    if record is None:
        return False
    reason = _guard(prize_plan_lock(db, contest, round_.id), correction_reason)  # type: ignore[union-attr]
    audit.record(
        db,
        actor,
        "plans.remove_round_plan",
        "prize_plan",
        record.id,
        {"contest_id": contest.id, "round": round_number, "correction": reason},
    )
    db.delete(record)
    db.flush()
    return True


def _put_collective_plan(
    db: Session, actor: Actor, contest: Contest, raw: Mapping, correction_reason: str | None
) -> dict:
    _, spec = check_collective_plan(raw, unit_codes(db, contest.id))
    old = _record(db, contest.id, None, "collective")
    if old is not None and old.spec == spec:
        return spec
    reason = _guard(collective_plan_lock(db, contest), correction_reason)
    record = _store(db, actor, contest, None, "collective", spec)
    audit.record(
        db,
        actor,
        "plans.save_collective_plan",
        "prize_plan",
        record.id,
        {"contest_id": contest.id, "spec": spec, "correction": reason},
    )
    return spec


@transactional
def save_collective_plan(
    db: Session,
    actor: Actor,
    contest: Contest,
    raw: Mapping,
    *,
    correction_reason: str | None = None,
) -> dict:
    spec = _put_collective_plan(db, actor, contest, raw, correction_reason)
    return spec


def _put_screening(
    db: Session, actor: Actor, contest: Contest, raw: Mapping, correction_reason: str | None
) -> ScreeningThresholds:
    thresholds, spec = check_screening(raw)
    if thresholds == thresholds_of(contest):
        return thresholds
    reason = _guard(screening_lock(db, contest), correction_reason)
    before = thresholds_of(contest)
    contest.min_seconds_per_question = thresholds.min_seconds_per_question
    contest.require_all_answered = thresholds.require_all_answered
    db.flush()
    audit.record(
        db,
        actor,
        "plans.save_screening",
        "contest",
        contest.id,
        {
            "before": {
                "min_seconds_per_question": before.min_seconds_per_question,
                "require_all_answered": before.require_all_answered,
            },
            "after": spec,
            "correction": reason,
        },
    )
    return thresholds


@transactional
def save_screening(
    db: Session,
    actor: Actor,
    contest: Contest,
    raw: Mapping,
    *,
    correction_reason: str | None = None,
) -> ScreeningThresholds:
    thresholds = _put_screening(db, actor, contest, raw, correction_reason)
    return thresholds


@dataclass
class ExcludedImport:
    people: int = 0
    removed: int = 0
    errors: list[ExcludedIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "people": self.people,
            "removed": self.removed,
            "errors": [e.as_dict() for e in self.errors],
        }


def _replace_excluded(
    db: Session,
    actor: Actor,
    contest: Contest,
    people: list[tuple[str, str, str, int]],
    source: str,
) -> ExcludedImport:
    removed = len(excluded_people(db, contest.id))
    db.execute(delete(ExcludedPerson).where(ExcludedPerson.contest_id == contest.id))
    now = clock.now()
    for citizen_id, name, note, row in people:
        db.add(
            ExcludedPerson(
                contest_id=contest.id,
                citizen_id=citizen_id,
                full_name=name,
                note=note,
                row=row,
                added_at=now,
                added_by=actor.audit_name[:120],
            )
        )
    db.flush()
    # The audit keeps counts and masked numbers: the list itself is personal data.
    audit.record(
        db,
        actor,
        "plans.import_excluded",
        "contest",
        contest.id,
        {
            "source": source,
            "people": len(people),
            "removed": removed,
            "citizen_ids": sorted(f"********{c[-4:]}" for c, *_ in people),
        },
    )
    return ExcludedImport(people=len(people), removed=removed)


@transactional
def import_excluded(
    db: Session,
    actor: Actor,
    contest: Contest,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
) -> ExcludedImport:
    """Replace the contest's excluded list with the file's; any error and nothing changes."""
    drafts, issues = parse_excluded(data, filename)
    if issues:
        return ExcludedImport(errors=issues)
    if dry_run:
        return ExcludedImport(people=len(drafts), removed=len(excluded_people(db, contest.id)))
    result = _replace_excluded(
        db, actor, contest, [(d.citizen_id, d.full_name, d.note, d.row) for d in drafts], filename
    )
    return result


@transactional
def clear_excluded(db: Session, actor: Actor, contest: Contest) -> int:
    result = _replace_excluded(db, actor, contest, [], "clear")
    return result.removed


# --------------------------------------------------------------------------- previews


@dataclass(frozen=True)
class PrizePreview:
    """What a plan would award on a round's current entries; nothing is written."""

    round: Round
    allocation: Allocation
    names: dict[str, str]  # owner id -> the participant's name
    entries: int
    eligible: int
    rule_words: tuple[str, str] = ("", "")  # the one-prize rule the lines follow

    @property
    def held_elsewhere(self) -> tuple:
        """People passed over because they keep a higher prize in another round."""
        return tuple(r for r in self.allocation.unranked if r.outcome is Outcome.HAS_HIGHER_PRIZE)


def preview_prize_plan(
    db: Session, contest: Contest, plan: PrizePlan, round_number: int
) -> PrizePreview:
    round_ = _round(contest, round_number)
    # What allocating would do: the other closed rounds count under one prize per person in
    # the whole contest, and settled ties stay settled.
    allocation, data = prizes.what_allocation_would_do(db, round_, plan)  # type: ignore[arg-type]
    names = {str(pid): p.full_name for pid, p in data.participants.items()}
    eligible = sum(1 for e in data.entries if e.eligible)
    return PrizePreview(
        round_,  # type: ignore[arg-type]
        allocation,
        names,
        len(data.entries),
        eligible,
        LINE_RULE_WORDS[plan.line_rule],
    )


def preview_collective(db: Session, contest: Contest, spec: dict) -> CollectiveResult:
    return prizes.collective_ranking(db, contest, spec=spec)


# --------------------------------------------------------------------------- the plans file


def _canonical(spec: dict, check) -> dict:
    """A stored plan as this page would write it; one stored by older code is kept as it is
    if it no longer passes today's checks, so the file still shows what was used."""
    try:
        return check(spec)[1]
    except ContestError:
        return spec


def export_document(db: Session, contest: Contest) -> dict:
    """Everything on the plans page as one document (written out as TOML)."""
    v = view(db, contest)
    doc: dict = {
        "format": FORMAT_VERSION,
        "contest": contest.slug,
        "screening": {
            "min_seconds_per_question": v.thresholds.min_seconds_per_question or 0,
            "require_all_answered": v.thresholds.require_all_answered,
        },
    }
    if v.prize_spec is not None:
        doc["prize_plan"] = _canonical(v.prize_spec, check_prize_plan)
    doc["round_plans"] = [
        {"round": number, **_canonical(spec, check_prize_plan)}
        for number, spec in sorted(v.round_specs.items())
    ]
    if v.collective_spec is not None:
        codes = v.unit_codes
        doc["collective_plan"] = _canonical(
            v.collective_spec, lambda spec: check_collective_plan(spec, codes)
        )
    doc["excluded"] = [
        {"citizen_id": p.citizen_id, "full_name": p.full_name, "note": p.note} for p in v.excluded
    ]
    return doc


def _prefixed(exc: ContestError, prefix: str, where_vi: str, where_en: str) -> list[ContestError]:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    return [
        ContestError(
            f"[{where_vi}] {e.message_vi}",
            f"[{where_en}] {e.message_en}",
            field=f"{prefix}.{e.field}" if e.field else prefix,
        )
        for e in errors
    ]


@dataclass
class PlansImport:
    changed: list[str] = field(default_factory=list)
    excluded: int | None = None


class _DryRun(Exception):
    """Leaves a checked import's transaction without committing it."""

    def __init__(self, report: PlansImport) -> None:
        self.report = report


def import_document(
    db: Session,
    actor: Actor,
    contest: Contest,
    doc: Mapping,
    *,
    correction_reason: str | None = None,
    dry_run: bool = False,
) -> PlansImport:
    """Apply a plans document in one transaction: every problem is collected and, if there is
    any, nothing is written (``InvalidInput`` whose fields are paths in the document)."""
    try:
        with transaction(db):
            return _import_document(db, actor, contest, doc, correction_reason, dry_run)
    except _DryRun as checked:
        return checked.report


def _import_document(
    db: Session,
    actor: Actor,
    contest: Contest,
    doc: Mapping,
    correction_reason: str | None,
    dry_run: bool,
) -> PlansImport:
    errors: list[ContestError] = []
    report = PlansImport()
    known = {
        "format",
        "contest",
        "screening",
        "prize_plan",
        "round_plans",
        "collective_plan",
        "excluded",
    }
    for key in doc:
        if key not in known:
            errors.append(
                ContestError(
                    f"Mục '{key}' không được hỗ trợ; các mục: {', '.join(sorted(known))}.",
                    f"Section '{key}' is not supported; sections: {', '.join(sorted(known))}.",
                    field=key,
                )
            )
    if doc.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        errors.append(
            ContestError(
                f"Phiên bản tệp {doc.get('format')} không được hỗ trợ (cần {FORMAT_VERSION}).",
                f"File format {doc.get('format')} is not supported ({FORMAT_VERSION} is).",
                field="format",
            )
        )

    def attempt(section: str, where: tuple[str, str], step) -> None:
        try:
            if step():
                report.changed.append(section)
        except ContestError as exc:
            errors.extend(_prefixed(exc, section, *where))

    def section(name: str) -> Mapping | None:
        value = doc.get(name)
        if value is not None and not isinstance(value, Mapping):
            errors.append(
                ContestError(
                    f"Mục '{name}' phải là một bảng.",
                    f"Section '{name}' must be a table.",
                    field=name,
                )
            )
            return None
        return value

    if (screening := section("screening")) is not None:
        before = thresholds_of(contest)
        attempt(
            "screening",
            ("ngưỡng xét hợp lệ", "screening"),
            lambda: _put_screening(db, actor, contest, screening, correction_reason) != before,
        )
    if (prize := section("prize_plan")) is not None:
        old = _record(db, contest.id, None, "individual")
        before_spec = old.spec if old else None
        attempt(
            "prize_plan",
            ("cơ cấu giải cá nhân", "individual prize plan"),
            lambda: (
                _put_prize_plan(db, actor, contest, prize, None, correction_reason)[1]
                != before_spec
            ),
        )
    round_plans = doc.get("round_plans") or []
    if not isinstance(round_plans, list):
        errors.append(
            ContestError(
                "Mục 'round_plans' phải là danh sách.",
                "Section 'round_plans' must be a list.",
                field="round_plans",
            )
        )
        round_plans = []
    if "round_plans" in doc and not errors:
        # The file lists every round that has its own plan; the others follow the contest's.
        listed = {r.get("round") for r in round_plans if isinstance(r, Mapping)}
        for stale in sorted(view(db, contest).round_specs):
            if stale not in listed:
                attempt(
                    f"round_plans.{stale}",
                    (f"cơ cấu giải đợt {stale}", f"round {stale} prize plan"),
                    lambda stale=stale: _drop_round_plan(
                        db, actor, contest, stale, correction_reason
                    ),
                )
    seen_rounds: set[int] = set()
    for i, raw in enumerate(round_plans, start=1):
        number: object = raw.get("round") if isinstance(raw, Mapping) else None
        where = (f"cơ cấu giải đợt {number}", f"round {number} prize plan")
        if not isinstance(number, int) or isinstance(number, bool) or number in seen_rounds:
            errors.append(
                ContestError(
                    f"Cơ cấu đợt thứ {i}: cần số đợt (round), mỗi đợt một lần.",
                    f"Round plan {i}: a round number (round) is needed, each round once.",
                    field=f"round_plans.{i}.round",
                )
            )
            continue
        seen_rounds.add(number)
        body = {k: v for k, v in raw.items() if k != "round"}
        own = view(db, contest).round_specs.get(number)
        attempt(
            f"round_plans.{i}",
            where,
            lambda body=body, number=number, own=own: (
                _put_prize_plan(db, actor, contest, body, number, correction_reason)[1] != own
            ),
        )
    if (collective := section("collective_plan")) is not None:
        old = _record(db, contest.id, None, "collective")
        before_spec = old.spec if old else None
        attempt(
            "collective_plan",
            ("cơ cấu giải tập thể", "collective prize plan"),
            lambda: (
                _put_collective_plan(db, actor, contest, collective, correction_reason)
                != before_spec
            ),
        )
    excluded = doc.get("excluded")
    if excluded is not None:
        people: list[tuple[str, str, str, int]] = []
        rows = excluded if isinstance(excluded, list) else []
        if not isinstance(excluded, list):
            errors.append(
                ContestError(
                    "Mục 'excluded' phải là danh sách.",
                    "Section 'excluded' must be a list.",
                    field="excluded",
                )
            )
        seen: dict[str, int] = {}
        from contest.domain.citizen_id import normalise, parse_citizen_id

        for i, person in enumerate(rows, start=1):
            cid = (
                normalise(str(person.get("citizen_id", ""))) if isinstance(person, Mapping) else ""
            )
            try:
                parse_citizen_id(cid)
            except ContestError as exc:
                errors.append(
                    ContestError(
                        f"[danh sách không được dự thi, người thứ {i}] '{cid}': {exc.message_vi}",
                        f"[excluded list, person {i}] '{cid}': {exc.message_en}",
                        field=f"excluded.{i}.citizen_id",
                    )
                )
                continue
            if cid in seen:
                errors.append(
                    ContestError(
                        f"[danh sách không được dự thi, người thứ {i}] số CCCD trùng với người thứ {seen[cid]}.",
                        f"[excluded list, person {i}] the citizen ID repeats person {seen[cid]}.",
                        field=f"excluded.{i}.citizen_id",
                    )
                )
                continue
            seen[cid] = i
            people.append(
                (cid, str(person.get("full_name", ""))[:200], str(person.get("note", ""))[:500], i)
            )
        if not errors:
            current = sorted(p.citizen_id for p in excluded_people(db, contest.id))
            if current != sorted(seen):
                _replace_excluded(db, actor, contest, people, "plans file")
                report.changed.append("excluded")
            report.excluded = len(people)
    if errors:
        raise InvalidInput(errors)
    if dry_run:
        raise _DryRun(report)
    return report
