"""`contest contests …`: list, publish and copy contests (a rehearsal, or next year's edition)."""

from __future__ import annotations

from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError

contests_app = typer.Typer(help="Cuộc thi / contests", no_args_is_help=True)

ByOpt = Annotated[
    str | None, typer.Option("--by", help="Username of the organiser acting (default: system).")
]


def _actor(db, username: str | None):
    from contest.commands.results import _staff_actor
    from contest.services.context import SYSTEM

    return _staff_actor(db, username) if username else SYSTEM


def _failed(as_json: bool, exc: ContestError) -> None:
    fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")


@contests_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """Every contest with its state (draft or published)."""
    from contest.db import session_scope
    from contest.services import contests

    with session_scope() as db:
        rows = [
            {"slug": c.slug, "title_vi": c.title_vi, "kind": c.kind, "status": c.status}
            for c in contests.list_contests(db)
        ]
    emit(
        as_json,
        {"ok": True, "contests": rows},
        "\n".join(f"{r['slug']}\t{r['status']}\t{r['kind']}\t{r['title_vi']}" for r in rows)
        or "(không có cuộc thi nào / no contest)",
    )


@contests_app.command("publish")
def publish_command(slug: str, by: ByOpt = None, as_json: JsonFlag = False) -> None:
    """Make a draft contest public."""
    from contest.db import session_scope
    from contest.services import contests

    try:
        with session_scope() as db:
            contest = contests.publish(db, _actor(db, by), contests.get_by_slug(db, slug))
            payload = {"ok": True, "slug": contest.slug, "status": contest.status}
    except ContestError as exc:
        _failed(as_json, exc)
    emit(as_json, payload, f"Đã công bố / published: {slug}")


@contests_app.command("copy")
def copy_command(
    slug: str,
    to: Annotated[str, typer.Option("--to", help="Slug of the new (draft) contest.")],
    shift_days: Annotated[
        int, typer.Option("--shift-days", help="Move every date by N days (365: next year).")
    ] = 0,
    title_vi: Annotated[str | None, typer.Option("--title-vi")] = None,
    title_en: Annotated[str | None, typer.Option("--title-en")] = None,
    by: ByOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Copy a contest (settings, units, rounds, banks, plans, excluded list) into a new draft."""
    from contest.db import session_scope
    from contest.services import contests

    try:
        with session_scope() as db:
            _, report = contests.copy_contest(
                db,
                _actor(db, by),
                contests.get_by_slug(db, slug),
                to,
                shift_days=shift_days,
                title_vi=title_vi,
                title_en=title_en,
            )
    except ContestError as exc:
        _failed(as_json, exc)
    emit(
        as_json,
        {"ok": True, **report.as_dict()},
        f"Đã sao chép / copied {slug} -> {report.slug} (bản nháp / draft): "
        f"{report.rounds} đợt / rounds, {report.units} đơn vị / units, "
        f"{report.plans} cơ cấu / plans, {report.excluded} người không được dự thi / excluded; "
        f"lịch dời / dates moved {shift_days} ngày / days",
    )
