"""The decision annex of a contest (or of one list version), built from its prize lists.

Ranks are the ranking page's (individuals) and the collectives page's (units), so what the
committee signs matches what it looked at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from contest.domain.annex import (
    COLLECTIVE_HEADERS,
    INDIVIDUAL_HEADERS,
    Annex,
    Section,
    Table,
    part_heading,
    tier_heading,
    vn_number,
)
from contest.domain.errors import ContestError
from contest.domain.prizes import (
    LINE_RULE_SHORT,
    LINE_RULE_WORDS,
    TIE_CRITERION_WORDS,
    LineRule,
)
from contest.exporters.annex import annex_pdf, annex_xlsx
from contest.models import Contest, PrizeList, Round
from contest.repositories import units as unit_rows
from contest.services import prize_lists, prizes, results, ties
from contest.services.prize_plans import collective_plan_spec, tiers_for

POOL_NAMES = {"agencies": "Khối cơ quan", "districts": "Khối huyện, thành phố"}


def _grouped(db: Session, pl: PrizeList) -> list[tuple[str, list]]:
    """The lines of a list by tier, best tier first; undecided lines last."""
    tiers = tiers_for(db, pl.contest_id, pl.round_id, pl.kind)
    labels = {t.code: t.label_vi for t in tiers}
    order = [t.code for t in tiers]
    groups: dict[str, list] = {}
    for e in pl.entries:
        groups.setdefault(e.tier_code, []).append(e)
        labels.setdefault(e.tier_code, e.tier_label_vi)
    codes = [c for c in order if c in groups] + [c for c in groups if c not in order]
    return [(labels[c], groups[c]) for c in codes]


def _round_section(db: Session, number: int, round_: Round, pl: PrizeList) -> Section:
    ranking = {r.participant.id: r for r in results.individual_ranking(db, round_)}
    people = prizes.participant_names(
        db, {e.participant_id for e in pl.entries if e.participant_id}
    )
    units = unit_rows.units_by_id(db, pl.contest_id)
    decided = ties.behind_lines(db, pl)
    tables = []
    for i, (label, lines) in enumerate(_grouped(db, pl)):
        rows = []
        for n, e in enumerate(lines, start=1):
            p = people[e.participant_id]
            unit = units.get(p.unit_id) if p.unit_id else None
            row = ranking.get(p.id)
            a = row.attempt if row else None
            rule = LINE_RULE_SHORT[LineRule(e.rule)] if e.rule else ""
            if e.tie_decision_id in decided:
                criterion = TIE_CRITERION_WORDS[decided[e.tie_decision_id].criterion][0]
                rule = f"{rule}; đồng hạng: {criterion.lower()}" if rule else criterion
            rows.append(
                (
                    str(n),
                    p.full_name,
                    p.date_of_birth.strftime("%d/%m/%Y"),
                    unit.name if unit else "",
                    str(a.correct) if a and a.correct is not None else vn_number(e.score),
                    vn_number((a.duration_ms or 0) / 1000, 1) if a else "",
                    str(row.rank) if row and row.rank else "",
                    rule,
                )
            )
        tables.append(Table(tier_heading(i, label, len(lines)), INDIVIDUAL_HEADERS, tuple(rows)))
    rules = sorted({LineRule(e.rule) for e in pl.entries if e.rule})
    note = f"Phiên bản {pl.version}" + (f"; đính chính: {pl.note}" if pl.note else "")
    if rules:
        note += ". Ghi chú: " + "; ".join(
            f"“{LINE_RULE_SHORT[r]}”: {LINE_RULE_WORDS[r][0].lower()}" for r in rules
        )
    if decided:
        note += ". " + ties.annex_note(
            db,
            pl,
            lambda e: people[e.participant_id].full_name if e.participant_id in people else "",
        )
    return Section(f"{number}. {round_.title_vi}", tuple(tables), note)


def _collective_section(db: Session, contest: Contest, pl: PrizeList) -> Section:
    standings = {int(s.unit.unit_id): s for s in prizes.collective_ranking(db, contest).standings}
    try:
        pools: dict = collective_plan_spec(db, contest.id).get("pool_names") or {}
    except ContestError:  # without a collective plan the pool codes stay as they are
        pools = {}
    units = unit_rows.units_by_id(db, contest.id)
    by_pool: dict[str, list] = {}
    for e in pl.entries:
        s = standings.get(e.unit_id or 0)
        by_pool.setdefault(s.unit.pool if s and s.unit.pool else "", []).append((e, s))
    tables = []
    for i, (pool, lines) in enumerate(by_pool.items()):
        rows = []
        for n, (e, s) in enumerate(lines, start=1):
            unit = units.get(e.unit_id or 0)
            rate = s.participation_rate if s else None
            rows.append(
                (
                    str(n),
                    unit.name if unit else "",
                    str(s.participants) if s else "",
                    vn_number(unit.headcount) if unit and unit.headcount else "",
                    vn_number(rate * 100, 2) if rate is not None else "",
                    str(e.rank or (s.rank if s else "") or ""),
                    e.tier_label_vi,
                )
            )
        name = pools.get(pool) or POOL_NAMES.get(pool, pool) or "Các đơn vị"
        tables.append(Table(tier_heading(i, name, len(lines)), COLLECTIVE_HEADERS, tuple(rows)))
    note = f"Phiên bản {pl.version}" + (f"; đính chính: {pl.note}" if pl.note else "")
    settled = ties.annex_note(
        db, pl, lambda e: units[e.unit_id].name if e.unit_id in units else str(e.unit_id)
    )
    if settled:
        note += ". " + settled
    return Section("Giải tập thể", tuple(tables), note)


def _annex(
    db: Session,
    contest: Contest,
    rounds: Sequence[tuple[Round, PrizeList]],
    collective: PrizeList | None,
    number: str,
    on: date | None,
    draft: bool,
) -> Annex:
    parts: list[tuple[str, tuple[Section, ...]]] = []
    if rounds:
        sections = tuple(_round_section(db, i, r, pl) for i, (r, pl) in enumerate(rounds, start=1))
        parts.append((part_heading(len(parts), "GIẢI CÁ NHÂN"), sections))
    if collective is not None:
        parts.append(
            (
                part_heading(len(parts), "GIẢI TẬP THỂ"),
                (_collective_section(db, contest, collective),),
            )
        )
    return Annex(
        issuer=contest.organiser_vi or "BAN TỔ CHỨC",
        place=contest.place_vi,
        contest_title=contest.title_vi,
        decision_number=number,
        decision_date=on,
        parts=tuple(parts),
        draft=draft,
    )


def contest_annex(
    db: Session, contest: Contest, *, number: str = "", on: date | None = None
) -> Annex:
    """Every round's approved individual list, then the approved collective list."""
    finals = prize_lists.final_lists(db, contest.id)
    rounds = [
        (r, finals[(r.id, "individual")]) for r in contest.rounds if (r.id, "individual") in finals
    ]
    return _annex(db, contest, rounds, finals.get((None, "collective")), number, on, False)


def list_annex(
    db: Session, contest: Contest, pl: PrizeList, *, number: str = "", on: date | None = None
) -> Annex:
    """One list version alone; one not yet approved is marked as a draft."""
    draft = not prize_lists.status_of(pl).final
    if pl.kind == "collective":
        return _annex(db, contest, [], pl, number, on, draft)
    round_ = db.get(Round, pl.round_id) if pl.round_id else None
    if round_ is None:
        return _annex(db, contest, [], None, number, on, draft)
    return _annex(db, contest, [(round_, pl)], None, number, on, draft)


FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def parse_decision_date(text: str) -> date | None:
    """A decision date as people write it (dd/mm/yyyy); blank leaves the line to fill by hand."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day, month, year = (int(x) for x in text.split("/"))
        return date(year, month, day)
    except ValueError:
        raise ContestError(
            f"Ngày quyết định '{text}' không hợp lệ; hãy ghi theo dạng dd/mm/yyyy.",
            f"The decision date '{text}' is not valid; write it as dd/mm/yyyy.",
            field="date",
        ) from None


def document(
    db: Session,
    contest: Contest,
    fmt: str,
    *,
    pl: PrizeList | None = None,
    number: str = "",
    on: str = "",
) -> tuple[bytes, str, str]:
    """The annex as a file: its bytes, media type and a file name."""
    if fmt not in FORMATS:
        raise ContestError(
            f"Định dạng phụ lục không hợp lệ: {fmt}.", f"Unknown annex format: {fmt}.", field="fmt"
        )
    when = parse_decision_date(on)
    annex = (
        list_annex(db, contest, pl, number=number, on=when)
        if pl is not None
        else contest_annex(db, contest, number=number, on=when)
    )
    data = annex_xlsx(annex) if fmt == "xlsx" else annex_pdf(annex)
    name = f"{contest.slug}-phu-luc" + (f"-danh-sach-{pl.id}-v{pl.version}" if pl else "")
    return data, FORMATS[fmt], f"{name}.{fmt}"
