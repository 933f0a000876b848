"""Public results: published winners with masked identity, collectives, participation charts (server-side SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from contest.models import Contest
from contest.services import contests, exports, open_data, results_cache
from contest.web.deps import get_db, get_principal
from contest.web.routers.public import visible_contest
from contest.web.templating import format_number, render

router = APIRouter()


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # percent of the longest bar
    y: int


def bars(items: list[tuple[str, int]], row: int = 28) -> list[Bar]:
    top = max((v for _, v in items), default=0) or 1
    return [
        Bar(label, value, round(value * 100 / top, 1), i * row)
        for i, (label, value) in enumerate(items)
    ]


@dataclass(frozen=True)
class Winner:
    name: str
    cid: str
    unit: str
    tier: str


@dataclass(frozen=True)
class Titled:
    """What the page needs of a round or a prize list, kept apart from the database session."""

    title_vi: str = ""
    title_en: str = ""
    approved_at: datetime | None = None
    version: int = 1


def _public_data(db: Session, contest: Contest) -> dict:
    sections = [
        {
            "kind": pl.kind,
            "round": Titled(pl.round_title_vi, pl.round_title_en),
            "list": Titled(approved_at=pl.approved_at, version=pl.version),
            "rows": [Winner(w.name, w.citizen_id, w.unit, w.tier_label_vi) for w in pl.winners],
        }
        for pl in open_data.published_lists(db, contest)
    ]
    by_unit = [(u.name, n) for u, n, _ in exports.participation_by_unit(db, contest)]
    by_unit.sort(key=lambda item: -item[1])
    by_day = [(d.strftime("%d/%m"), n) for d, n in exports.participation_by_day(db, contest)]
    registered = contests.participant_count(db, contest)
    return {
        "sections": sections,
        "unit_bars": bars(by_unit[:12]),
        "day_bars": bars(by_day, 24),
        "by_unit": by_unit,
        "by_day": by_day,
        "total_people": sum(n for _, n in by_unit),
        "registered": registered,
        "attempts": sum(n for _, n in by_day),
    }


@router.get("/c/{slug}/results")
def results_page(
    request: Request, slug: str, db: Session = Depends(get_db), principal=Depends(get_principal)
):
    contest = visible_contest(db, slug, principal)
    # Anyone can reload this page; the figures are computed at most once a minute per contest
    # (and afresh when a list is published). created_at tells apart contests that reuse an id.
    key = (str(db.get_bind().engine.url), contest.id, contest.created_at)
    data = results_cache.get_or_build(key, contest.id, lambda: _public_data(db, contest))
    return render(
        request, "results_public.html", {"contest": contest, "fmt": format_number, **data}
    )
