"""`contest contests …`: create from a file, export, list, publish and copy contests (a rehearsal, or next year's edition)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError, InvalidInput

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


def _read_toml(as_json: bool, file: Path) -> dict:
    from contest.services import rounds

    try:
        return rounds.read_contest_file(file.read_bytes(), str(file))
    except ContestError as exc:
        _fail_in_file(as_json, str(file), exc)


def _fail_in_file(as_json: bool, file: str, exc: ContestError) -> NoReturn:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    fail(
        as_json,
        [{"file": file, **error_dict(e)} for e in errors],
        "\n".join(f"{file}: {e.field or '-'}: {e.message_vi}\n    {e.message_en}" for e in errors),
    )


FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@contests_app.command("create")
def create_command(
    file: FileArg,
    units: Annotated[
        Path | None,
        typer.Option(
            "--units",
            exists=True,
            dir_okay=False,
            help="Unit tree (CSV/XLSX); default: the file's 'units' entry, beside the file.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    by: ByOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a contest (a draft), its rounds and units from a TOML file; all or nothing.

    [contest] has the contest form's fields (slug, title_vi, title_en, organiser_vi, place_vi,
    rules_vi, rules_en, min_age, age_cutoff, registration_open, cheating_voids_all); each
    [[rounds]] the round form's (number, title_vi, title_en, opens, closes as dd/mm/yyyy HH:MM
    Vietnam time, banks, questions_per_attempt, quotas, time_limit_minutes, max_attempts,
    counting, prediction_vi, …). 'contest contests export' writes one."""
    from contest.db import session_scope
    from contest.services import rounds

    doc = _read_toml(as_json, file)
    units_path = units
    named = rounds.units_named(doc)
    if units_path is None and named:
        units_path = file.parent / named
        if not units_path.is_file():
            _fail_in_file(
                as_json,
                str(file),
                ContestError(
                    f"Không có tệp đơn vị '{units_path}'.",
                    f"There is no units file '{units_path}'.",
                    field="units",
                ),
            )
    units_file = (units_path.name, units_path.read_bytes()) if units_path else None
    try:
        with session_scope() as db:
            setup = rounds.create_from_document(
                db, _actor(db, by), doc, units_file=units_file, dry_run=dry_run
            )
    except ContestError as exc:
        _fail_in_file(as_json, str(file), exc)
    emit(
        as_json,
        {"ok": True, **setup.as_dict()},
        f"{'(thử / dry run) ' if dry_run else ''}Đã tạo / created {setup.slug} "
        f"(bản nháp / draft): {len(setup.rounds)} đợt / rounds, "
        f"{setup.units_created} đơn vị / units",
    )


@contests_app.command("export")
def export_command(
    slug: str,
    file: Annotated[Path, typer.Argument(dir_okay=False, help="TOML file to write ('-': print).")],
    as_json: JsonFlag = False,
) -> None:
    """Write the contest and its rounds as a file 'contest contests create' reads."""
    from contest.db import session_scope
    from contest.services import contests, rounds

    try:
        with session_scope() as db:
            contest = contests.get_by_slug(db, slug)
            text = rounds.contest_file_text(db, contest)
            doc = rounds.export_document(db, contest)
    except ContestError as exc:
        _failed(as_json, exc)
    if str(file) == "-":
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    emit(
        as_json,
        {"ok": True, "file": str(file), "rounds": len(doc["rounds"])},
        f"Đã ghi / written {file}: {len(doc['rounds'])} đợt / rounds",
    )
