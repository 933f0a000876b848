"""Excel (.xlsx) exports of results: Vietnamese headers, frozen header row, sensible column widths."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.prizes import LINE_RULE_WORDS, LineRule
from contest.models import Contest, Participant, PrizeList, PrizeListEntry, Round, Unit
from contest.repositories import participation
from contest.repositories import units as unit_rows
from contest.services import prizes, results, screening

RANKING_HEADERS = (
    "Hạng",
    "Mã thí sinh",
    "Họ và tên",
    "Đơn vị",
    "Số câu đúng",
    "Dự đoán",
    "Độ lệch dự đoán",
    "Thời gian (giây)",
    "Nộp bài lúc",
    "Hợp lệ",
    "Lý do",
    "Giải",
)
PRIZE_HEADERS = ("STT", "Họ và tên", "Ngày sinh", "Đơn vị", "Giải", "Ghi chú")
COLLECTIVE_HEADERS = (
    "Hạng",
    "Đơn vị",
    "Khối",
    "Số người dự thi hợp lệ",
    "Số cán bộ",
    "Tỷ lệ tham gia (%)",
    "Điểm xếp hạng",
    "Đủ điều kiện",
    "Giải",
)
PARTICIPATION_HEADERS = (
    "Mã đơn vị",
    "Đơn vị",
    "Số cán bộ",
    "Số người dự thi",
    "Số bài thi",
    "Tỷ lệ tham gia (%)",
)
DECISION_HEADERS = (
    "STT",
    "Đối tượng",
    "Mã",
    "Họ và tên",
    "Kết luận",
    "Lý do",
    "Người quyết định",
    "Thời điểm",
)


def _book(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for row in rows:
        ws.append(list(row))
        # openpyxl turns any text starting with "=" into a formula; names and titles come from
        # participants, so every text cell is written as an explicit string.
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(60, w + 2)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _local(moment) -> str:
    return clock.to_local(moment).strftime("%d/%m/%Y %H:%M:%S") if moment else ""


@dataclass(frozen=True)
class RankingLine:
    """One line of a round's ranking as the committee exports it (workbook and staff API)."""

    rank: int | None
    participant_id: int
    full_name: str
    unit: str
    correct: int | None
    prediction: int | None
    prediction_error: float | None
    seconds: float
    submitted_at: datetime | None
    eligible: bool
    reason_vi: str
    prize_vi: str


def ranking_lines(db: Session, round_: Round) -> list[RankingLine]:
    return [
        RankingLine(
            rank=r.rank,
            participant_id=r.participant.id,
            full_name=r.participant.full_name,
            unit=r.unit.name if r.unit else "",
            correct=r.attempt.correct,
            prediction=r.attempt.prediction,
            prediction_error=r.entry.prediction_error,
            seconds=(r.attempt.duration_ms or 0) / 1000,
            submitted_at=results.finished_at(r.attempt),
            eligible=r.verdict.eligible,
            reason_vi=r.verdict.reason_vi,
            prize_vi=r.prize_vi,
        )
        for r in results.individual_ranking(db, round_)
    ]


def ranking_xlsx(db: Session, round_: Round) -> bytes:
    rows = [
        (
            line.rank,
            line.participant_id,
            line.full_name,
            line.unit,
            line.correct,
            line.prediction,
            line.prediction_error,
            line.seconds,
            _local(line.submitted_at),
            "Có" if line.eligible else "Không",
            line.reason_vi,
            line.prize_vi,
        )
        for line in ranking_lines(db, round_)
    ]
    return _book("Xếp hạng", RANKING_HEADERS, rows)


@dataclass(frozen=True)
class PrizeLine:
    """One line of an approved prize list with full details, as in a decision's annex."""

    position: int
    recipient_kind: str  # individual | collective
    name: str
    date_of_birth: date | None
    unit: str
    tier_code: str
    tier_label_vi: str
    tier_label_en: str


def prize_lines(db: Session, pl: PrizeList) -> list[PrizeLine]:
    units = unit_rows.units_by_id(db, pl.contest_id)
    people = prizes.participant_names(
        db, {e.participant_id for e in pl.entries if e.participant_id}
    )
    lines = []
    for i, e in enumerate(pl.entries, start=1):
        if e.participant_id:
            p = people[e.participant_id]
            unit = units.get(p.unit_id) if p.unit_id else None
            kind, name, born = "individual", p.full_name, p.date_of_birth
        else:
            unit = units.get(e.unit_id) if e.unit_id else None
            kind, name, born = "collective", unit.name if unit else "", None
        lines.append(
            PrizeLine(
                i,
                kind,
                name,
                born,
                unit.name if unit else "",
                e.tier_code,
                e.tier_label_vi,
                e.tier_label_en,
            )
        )
    return lines


def _line_note(e: PrizeListEntry) -> str:
    rule = LINE_RULE_WORDS[LineRule(e.rule)][0] if e.rule in set(LineRule) else ""
    return "; ".join(x for x in (e.reason_vi, rule) if x)


def prize_list_xlsx(db: Session, pl: PrizeList) -> bytes:
    """The shape of a decision's annex: STT, Họ và tên, Ngày sinh, Đơn vị, Giải, and a note
    with the rule that placed the line (one prize per person, a committee's tie decision)."""
    rows = [
        (
            line.position,
            line.name,
            line.date_of_birth.strftime("%d/%m/%Y") if line.date_of_birth else "",
            line.unit,
            line.tier_label_vi,
            _line_note(e),
        )
        for line, e in zip(prize_lines(db, pl), pl.entries, strict=True)
    ]
    return _book(f"Danh sách giải v{pl.version}", PRIZE_HEADERS, rows)


POOL_NAMES = {"agencies": "Khối cơ quan", "districts": "Khối huyện, thành phố"}


def collectives_xlsx(db: Session, contest: Contest) -> bytes:
    result = prizes.collective_ranking(db, contest)
    tiers = {t.code: t.label_vi for t in result.allocation.plan.tiers}
    rows = [
        (
            s.rank,
            s.unit.name,
            POOL_NAMES.get(s.unit.pool, s.unit.pool),
            s.participants,
            s.unit.headcount,
            round(s.participation_rate * 100, 2) if s.participation_rate is not None else None,
            round(s.value, 4),
            "Có" if s.qualifies else s.reason_vi,
            tiers.get(s.tier_code, "") if s.tier_code else "",
        )
        for s in result.standings
    ]
    return _book("Tập thể", COLLECTIVE_HEADERS, rows)


def participation_xlsx(db: Session, contest: Contest) -> bytes:
    rows = [
        (
            u.code,
            u.name,
            u.headcount,
            people,
            attempts,
            round(people * 100 / u.headcount, 2) if u.headcount else None,
        )
        for u, people, attempts in participation_by_unit(db, contest)
    ]
    return _book("Tham gia theo đơn vị", PARTICIPATION_HEADERS, rows)


def participation_by_unit(db: Session, contest: Contest) -> list[tuple[Unit, int, int]]:
    """Participants and attempts per unit (the participant's own unit, not rolled up)."""
    people = participation.registered_by_unit(db, contest.id)
    attempts = participation.attempts_by_unit(db, contest.id)
    units = unit_rows.units_of(db, contest.id)
    return [
        (u, people.get(u.id, 0), attempts.get(u.id, (0, 0))[1]) for u in units if people.get(u.id)
    ]


def local_day(db: Session, column):
    """SQL for the Vietnamese calendar day of a naive-UTC column, on either backend."""
    from sqlalchemy import Date, cast, func

    if db.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Ho_Chi_Minh", func.timezone("UTC", column)), Date)
    # Viet Nam keeps UTC+7 all year, so a fixed shift is exact.
    return func.date(column, "+7 hours")


def participation_by_day(db: Session, contest: Contest) -> list[tuple[date, int]]:
    """Attempts started per local day, counted by the database rather than row by row."""
    from sqlalchemy import func

    from contest.models import Attempt

    day = local_day(db, Attempt.started_at)
    rows = db.execute(
        select(day, func.count())
        .select_from(Attempt)
        .join(Round, Round.id == Attempt.round_id)
        .where(Round.contest_id == contest.id)
        .group_by(day)
        .order_by(day)
    ).all()
    return [(d if isinstance(d, date) else date.fromisoformat(str(d)), n) for d, n in rows]


def decisions_xlsx(db: Session, contest: Contest, round_: Round | None = None) -> bytes:
    from contest.models import Attempt

    rows = []
    for i, d in enumerate(
        screening.decisions(db, contest.id, round_.id if round_ else None), start=1
    ):
        if d.subject_kind == "participant":
            p = db.get(Participant, d.subject_id)
            subject = "Thí sinh"
        else:
            a = db.get(Attempt, d.subject_id)
            p = db.get(Participant, a.participant_id) if a else None
            subject = "Bài thi"
        rows.append(
            (
                i,
                subject,
                d.subject_id,
                p.full_name if p else "",
                "Hợp lệ" if d.eligible else "Không hợp lệ",
                d.reason,
                d.decided_by,
                _local(d.decided_at),
            )
        )
    return _book("Quyết định xét hợp lệ", DECISION_HEADERS, rows)


# --- exports built by a worker ---------------------------------------------------------------

EXPORT_JOB = "exports.xlsx"
EXPORT_KINDS = {
    "ranking": "xep-hang-dot",
    "collectives": "tap-the",
    "participation": "tham-gia-theo-don-vi",
    "decisions": "quyet-dinh-xet-hop-le",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def start_export_job(db: Session, actor, contest: Contest, kind: str, round_: Round | None = None):
    """Queue an export too large to build inside a request (a ranking of 300,000 attempts)."""
    from contest.db import transaction
    from contest.domain.errors import ContestError
    from contest.services import audit, jobs

    if kind not in EXPORT_KINDS or (kind == "ranking" and round_ is None):
        raise ContestError("Không có tệp xuất này.", "No such export.", field="kind")
    with transaction(db):
        job = jobs.create(
            db,
            actor,
            EXPORT_JOB,
            contest_id=contest.id,
            params={"kind": kind, "round_id": round_.id if round_ else None},
        )
        audit.record(db, actor, "exports.job", "job", job.id, {"kind": kind})
    jobs.dispatch(job.id)
    return job


def run_export(db: Session, job, progress):
    """The export job: the same workbook as the download, kept in the file store."""
    from contest import storage
    from contest.services import jobs

    kind = job.params["kind"]
    contest = db.get_one(Contest, job.contest_id)
    round_ = db.get(Round, job.params["round_id"]) if job.params.get("round_id") else None
    progress.commit(total=1, done=0)
    if kind == "ranking" and round_ is not None:
        data = ranking_xlsx(db, round_)
    elif kind == "collectives":
        data = collectives_xlsx(db, contest)
    elif kind == "participation":
        data = participation_xlsx(db, contest)
    else:
        data = decisions_xlsx(db, contest, round_)
    suffix = f"-{round_.number}" if kind == "ranking" and round_ else ""
    name = f"{contest.slug}-{EXPORT_KINDS[kind]}{suffix}.xlsx"
    key = f"jobs/{job.id}/{name}"
    info = storage.get_store().put(db, key, [data], XLSX_TYPE)
    progress.report(done=1)
    return jobs.Outcome(
        f"Đã tạo tệp {name}.",
        f"Built {name}.",
        result_key=key,
        result_name=name,
        result_type=XLSX_TYPE,
        result_size=info.size,
    )
