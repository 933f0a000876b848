"""`contest plans …`: a contest's plans (prizes, collectives, screening, excluded list) as a TOML file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError, InvalidInput

plans_app = typer.Typer(help="Cơ cấu giải và quy định xét / plans", no_args_is_help=True)

ContestOpt = Annotated[str, typer.Option("--contest", help="Contest slug.")]
HEADER = (
    "# Cơ cấu giải, giải tập thể, ngưỡng xét hợp lệ và danh sách không được dự thi của cuộc thi.\n"
    "# Prize plans, collective plan, screening thresholds and excluded list of a contest.\n"
    "# contest plans import --contest SLUG FILE\n\n"
)


def _errors(exc: ContestError) -> list[ContestError]:
    return exc.errors if isinstance(exc, InvalidInput) else [exc]


def _fail_with(as_json: bool, file: str, exc: ContestError) -> None:
    errors = _errors(exc)
    fail(
        as_json,
        [{"file": file, **error_dict(e)} for e in errors],
        "\n".join(f"{file}: {e.field or '-'}: {e.message_vi}\n    {e.message_en}" for e in errors),
    )


@plans_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="TOML file to write ('-': print).")],
    contest: ContestOpt,
    as_json: JsonFlag = False,
) -> None:
    """Write the contest's plans to a readable TOML file (to reuse them next year)."""
    import tomli_w

    from contest.db import session_scope
    from contest.services import contests, plans

    try:
        with session_scope() as db:
            doc = plans.export_document(db, contests.get_by_slug(db, contest))
    except ContestError as exc:
        _fail_with(as_json, str(file), exc)
    text = HEADER + tomli_w.dumps(doc)
    if str(file) == "-":
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    sections = [k for k in ("prize_plan", "round_plans", "collective_plan") if doc.get(k)]
    emit(
        as_json,
        {"ok": True, "file": str(file), "sections": sections, "excluded": len(doc["excluded"])},
        f"Đã ghi / written {file}: {', '.join(sections) or '—'}; "
        f"{len(doc['excluded'])} người không được dự thi / excluded",
    )


@plans_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    contest: ContestOpt,
    correction: Annotated[
        str,
        typer.Option(
            "--correction",
            help="Reason, required to change a plan a signed prize list was built from.",
        ),
    ] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Read plans from a TOML file into the contest; all or nothing, every problem named."""
    from contest.db import session_scope
    from contest.services import contests, plans
    from contest.services.context import SYSTEM

    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        fail(
            as_json,
            [
                {
                    "file": str(file),
                    "field": None,
                    "message_vi": f"Tệp TOML không đọc được: {exc}",
                    "message_en": f"The TOML file cannot be read: {exc}",
                }
            ],
            f"{file}: Tệp TOML không đọc được / the TOML file cannot be read: {exc}",
        )
    try:
        with session_scope() as db:
            report = plans.import_document(
                db,
                SYSTEM,
                contests.get_by_slug(db, contest),
                doc,
                correction_reason=correction or None,
                dry_run=dry_run,
            )
    except ContestError as exc:
        _fail_with(as_json, str(file), exc)
    emit(
        as_json,
        {"ok": True, "dry_run": dry_run, "changed": report.changed, "excluded": report.excluded},
        f"{'(thử / dry run) ' if dry_run else ''}đã cập nhật / changed: "
        f"{', '.join(report.changed) or 'không có gì / nothing'}",
    )


@plans_app.command("excluded")
def excluded_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    contest: ContestOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Replace the excluded list from CSV or XLSX (CCCD, Họ và tên, Ghi chú); all or nothing."""
    from contest.db import session_scope
    from contest.services import contests, plans
    from contest.services.context import SYSTEM

    try:
        with session_scope() as db:
            result = plans.import_excluded(
                db,
                SYSTEM,
                contests.get_by_slug(db, contest),
                file.read_bytes(),
                file.name,
                dry_run=dry_run,
            )
    except ContestError as exc:
        _fail_with(as_json, str(file), exc)
    if not result.ok:
        fail(
            as_json,
            [e.as_dict() for e in result.errors],
            "\n".join(
                f"{e.file}:{e.row or '-'}: {e.message_vi}\n    {e.message_en}"
                for e in result.errors
            ),
        )
    emit(
        as_json,
        {"ok": True, "dry_run": dry_run, **result.as_dict()},
        f"{'(thử / dry run) ' if dry_run else ''}{result.people} người không được dự thi / excluded people",
    )
