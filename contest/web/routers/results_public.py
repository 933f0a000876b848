"""Public results: published winners with masked identity, collectives, participation charts (server-side SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from contest.domain.masking import mask_citizen_id, mask_name
from contest.models import Contest
from contest.services import contests, exports, prize_lists, prizes, results_cache
from contest.services import units as unit_service
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
    latest = prize_lists.final_lists(db, contest.id, published_only=True)
    units = unit_service.units_by_id(db, contest.id)
    rounds = {r.id: r for r in contest.rounds}
    people = prizes.participant_names(
        db, {e.participant_id for pl in latest.values() for e in pl.entries if e.participant_id}
    )
    sections = []
    for (rid, kind), pl in sorted(
        latest.items(), key=lambda kv: (kv[0][1] == "collective", kv[0][0] or 0)
    ):
        rows = []
        for e in pl.entries:
            if e.participant_id:
                p = people[e.participant_id]
                unit = units.get(p.unit_id) if p.unit_id else None
                rows.append(
                    Winner(
                        mask_name(p.full_name),
                        mask_citizen_id(p.citizen_id),
                        unit.name if unit else "",
                        e.tier_label_vi,
                    )
                )
            else:
                unit = units.get(e.unit_id)
                rows.append(Winner(unit.name if unit else "", "", "", e.tier_label_vi))
        r = rounds.get(rid)
        sections.append(
            {
                "kind": kind,
                "round": Titled(r.title_vi, r.title_en or "") if r else Titled(),
                "list": Titled(approved_at=pl.approved_at, version=pl.version),
                "rows": rows,
            }
        )
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
