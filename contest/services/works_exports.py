"""Excel exports of a works contest: the jury ranking and the prize list annex, as for quiz contests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest.domain.works import CATEGORY_LABELS
from contest.models import Contest, PrizeList, Work
from contest.repositories import units as unit_rows
from contest.services import jury, works
from contest.services.exports import _book, _local

RANKING_HEADERS = (
    "Hạng",
    "Mã tác phẩm",
    "Tên tác phẩm",
    "Thể loại",
    "Tác giả / nhóm tác giả",
    "Thành viên",
    "Đơn vị",
    "Điểm các giám khảo",
    "Điểm",
    "Độ chênh",
    "Nộp lúc",
    "Hợp lệ",
    "Lý do",
)
PRIZE_HEADERS = (
    "STT",
    "Tên tác phẩm",
    "Tác giả / nhóm tác giả",
    "Thành viên",
    "Đơn vị",
    "Điểm",
    "Giải",
)


def _authors(work: Work, people: dict, units: dict) -> tuple[str, str, str]:
    members = [people[i] for i in works.author_ids(work) if i in people]
    names = ", ".join(p.full_name for p in members)
    unit_names = ", ".join(
        dict.fromkeys(units[p.unit_id].name for p in members if p.unit_id in units)
    )
    return (work.group.name if work.group else names), names, unit_names


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


def works_ranking_xlsx(db: Session, contest: Contest) -> bytes:
    rows = jury.jury_table(db, contest)
    people = works.people_of(db, [r.work for r in rows])
    units = unit_rows.units_by_id(db, contest.id)
    ordered = sorted(
        rows, key=lambda r: (not r.verdict.eligible, r.score is None, -(r.score or 0), r.work.id)
    )
    out = []
    rank = 0
    for r in ordered:
        shown = None
        if r.verdict.eligible and r.score is not None:
            rank += 1
            shown = rank
        who, names, unit_names = _authors(r.work, people, units)
        out.append(
            (
                shown,
                r.work.id,
                r.work.title,
                CATEGORY_LABELS.get(r.work.category, ("", ""))[0],
                who,
                names,
                unit_names,
                "; ".join(_number(s.total) for s in r.sheets),
                r.score,
                r.spread,
                _local(r.work.submitted_at),
                "Có" if r.verdict.eligible else "Không",
                r.verdict.reason_vi,
            )
        )
    return _book("Xếp hạng tác phẩm", RANKING_HEADERS, out)


def works_prize_list_xlsx(db: Session, pl: PrizeList) -> bytes:
    """The decision's annex: one line per awarded work, naming the group and its members."""
    items = {
        w.id: w
        for w in db.execute(
            select(Work).where(Work.id.in_([e.work_id for e in pl.entries]))
        ).scalars()
    }
    people = works.people_of(db, list(items.values()))
    units = unit_rows.units_by_id(db, pl.contest_id)
    out = []
    for i, e in enumerate(pl.entries, start=1):
        w = items[e.work_id]
        who, names, unit_names = _authors(w, people, units)
        out.append((i, w.title, who, names, unit_names, e.score, e.tier_label_vi))
    return _book(f"Danh sách giải v{pl.version}", PRIZE_HEADERS, out)
