"""Import and list a contest's unit tree; an import is all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from contest.db import transaction
from contest.domain.registration import registrable_units
from contest.importers.units import UnitIssue, parse_units
from contest.models import Contest, Unit
from contest.repositories import units as unit_rows
from contest.services import audit
from contest.services.context import Actor


@dataclass
class UnitImportResult:
    created: int = 0
    updated: int = 0
    errors: list[UnitIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "errors": [e.as_dict() for e in self.errors],
        }


def import_units(
    db: Session,
    actor: Actor,
    contest: Contest,
    data: bytes,
    filename: str,
    *,
    dry_run: bool = False,
) -> UnitImportResult:
    """Create or update units by code. Any error: nothing is written. One transaction, so it
    also runs inside another (a contest created from a file with its units)."""
    existing = {u.code: u for u in unit_rows.units_of(db, contest.id)}
    drafts, issues = parse_units(data, filename, frozenset(existing))
    result = UnitImportResult(errors=issues)
    if issues:
        return result
    if dry_run:
        result.created = sum(1 for d in drafts if d.code not in existing)
        result.updated = len(drafts) - result.created
        return result
    with transaction(db):
        by_code = dict(existing)
        for position, d in enumerate(drafts):
            unit = by_code.get(d.code)
            if unit is None:
                unit = Unit(
                    contest_id=contest.id,
                    code=d.code,
                    name=d.name,
                    headcount=d.headcount,
                    position=position,
                    selectable=bool(d.selectable),
                )
                db.add(unit)
                by_code[d.code] = unit
                result.created += 1
            else:
                unit.name, unit.headcount, unit.position = d.name, d.headcount, position
                if d.selectable is not None:
                    unit.selectable = d.selectable
                result.updated += 1
        db.flush()
        for d in drafts:
            by_code[d.code].parent_id = by_code[d.parent_code].id if d.parent_code else None
        audit.record(
            db,
            actor,
            "units.import",
            "contest",
            contest.id,
            {"file": filename, "created": result.created, "updated": result.updated},
        )
    return result


@dataclass(frozen=True)
class UnitNode:
    unit: Unit
    depth: int
    participants: int = 0
    registrable: bool = True  # a participant may choose it at registration


def unit_tree(db: Session, contest_id: int) -> list[UnitNode]:
    """Depth-first order, children by position: ready for an indented list or a <select>."""
    units = unit_rows.units_of(db, contest_id)
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    allowed = registrable_units(
        (str(u.id), str(u.parent_id) if u.parent_id else None, u.selectable) for u in units
    )
    out: list[UnitNode] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for u in children.get(parent_id, []):
            out.append(UnitNode(u, depth, registrable=str(u.id) in allowed))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


def units_by_id(db: Session, contest_id: int) -> dict[int, Unit]:
    return unit_rows.units_by_id(db, contest_id)


def get_unit(db: Session, unit_id: int | None) -> Unit | None:
    return unit_rows.unit(db, unit_id)


def registrable(db: Session, contest_id: int, unit: Unit) -> bool:
    """Whether participants may register in ``unit``: a leaf, or marked selectable."""
    return unit.selectable or not unit_rows.has_children(db, contest_id, unit.id)
