"""The live page's figures as the rules define them: participation by unit against headcount
(the collective criterion, counted while the round runs) and per-interval rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contest.domain.collectives import Unit


@dataclass(frozen=True)
class UnitParticipation:
    unit_id: str
    name: str
    participants: int
    headcount: int | None

    @property
    def rate(self) -> float | None:
        """Participants over headcount (0.25 = 25%); None where the headcount is unknown."""
        return self.participants / self.headcount if self.headcount else None


def shown_units(units: Sequence[Unit], pooled: set[str]) -> list[Unit]:
    """The units the page lists: those the collective plan ranks (its pools), else the top of
    the tree (the children of a single root, or the roots)."""
    if pooled:
        return [u for u in units if u.unit_id in pooled]
    roots = [u for u in units if u.parent_id is None]
    if len(roots) == 1:
        children = [u for u in units if u.parent_id == roots[0].unit_id]
        if children:
            return children
    return roots


def participation_by_unit(
    units: Sequence[Unit],
    participants_in: Mapping[str, int],
    *,
    pooled: set[str] = frozenset(),  # type: ignore[assignment]
    roll_up: bool = True,
) -> list[UnitParticipation]:
    """Participants (people with at least one attempt) per listed unit, counting those of its
    sub-units when `roll_up` (as the collective plan does), highest rate first, then most
    participants, then the tree's order."""
    parent = {u.unit_id: u.parent_id for u in units}
    totals = dict.fromkeys(parent, 0)
    for unit_id, n in participants_in.items():
        if unit_id not in parent:
            continue
        totals[unit_id] += n
        if roll_up:
            seen = {unit_id}
            up = parent[unit_id]
            while up is not None and up not in seen:  # a cycle in bad data must not hang the page
                totals[up] += n
                seen.add(up)
                up = parent.get(up)
    listed = shown_units(units, pooled)
    rows = [UnitParticipation(u.unit_id, u.name, totals[u.unit_id], u.headcount) for u in listed]
    order = {u.unit_id: i for i, u in enumerate(listed)}
    return sorted(
        rows,
        key=lambda r: (
            -(r.rate if r.rate is not None else -1.0),
            -r.participants,
            order[r.unit_id],
        ),
    )


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def error_rate(errors: int, requests: int) -> float | None:
    return errors / requests if requests else None
