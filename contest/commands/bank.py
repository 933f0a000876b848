"""`contest bank …`: import, list and export question banks from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError

bank_app = typer.Typer(help="Ngân hàng câu hỏi / question banks", no_args_is_help=True)


def _issue_line(issue: dict) -> str:
    place = issue["file"] or "-"
    if issue.get("sheet"):
        place += f"[{issue['sheet']}]"
    where = issue.get("row") if issue.get("row") is not None else issue.get("line")
    place += f":{where if where is not None else '-'}"
    field = f" ({issue['field']})" if issue.get("field") else ""
    return f"{place}{field}: {issue['message_vi']}\n    {issue['message_en']}"


@bank_app.command("import")
def bank_import(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    bank: Annotated[
        str, typer.Option("--bank", help="Bank code; the bank is created when missing.")
    ],
    title: Annotated[str | None, typer.Option("--title", help="Title of a new bank.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import questions (xlsx, docx, csv, GIFT, Aiken, Moodle XML); any error in any file imports nothing."""
    from contest.db import session_scope
    from contest.services import banks
    from contest.services.context import SYSTEM

    payload = [(f.name, f.read_bytes()) for f in files]
    with session_scope() as db:
        try:
            report = banks.import_questions(
                db, SYSTEM, bank, payload, bank_title=title, dry_run=dry_run
            )
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    data = report.as_dict()
    if not report.ok:
        if as_json:
            emit(True, data, "")
            raise typer.Exit(1)
        fail(
            False,
            [],
            "\n".join(_issue_line(e) for e in data["errors"])
            + f"\n\nKhông nhập câu hỏi nào ({len(data['errors'])} lỗi) / nothing imported ({len(data['errors'])} errors)",
        )
    lines = [
        f"{'(thử / dry run) ' if dry_run else ''}Ngân hàng / bank {report.bank}: "
        f"nhập / imported {report.imported}, bỏ qua / skipped {report.skipped}, trùng / duplicates {report.duplicates}, "
        f"cảnh báo / warnings {len(report.warnings)}"
        + (f", hình mới lưu / new pictures stored {report.pictures}" if report.pictures else ""),
        *(_issue_line(e) for e in data["skipped_items"]),
        *(f"{_issue_line(e)}" for e in data["warnings"]),
        *(_issue_line(e) for e in data["duplicate_items"]),
    ]
    if data["near_duplicates"]:
        lines.append(f"Gần trùng / near duplicates: {len(data['near_duplicates'])}")
    emit(as_json, data, "\n".join(lines))


@bank_app.command("list")
def bank_list(as_json: JsonFlag = False) -> None:
    """List the banks with their question counts."""
    from contest.db import session_scope
    from contest.services import banks

    with session_scope() as db:
        rows = banks.list_banks(db)
        items = [
            {
                "code": s.bank.code,
                "title": s.bank.title,
                "questions": s.questions,
                "rounds": s.rounds,
                "revision": s.bank.revision,
            }
            for s in rows
        ]
    text = (
        "\n".join(f"{i['code']:<24} {i['questions']:>6}  {i['title']}" for i in items)
        or "(không có / none)"
    )
    emit(as_json, {"ok": True, "banks": items}, text)


@bank_app.command("export")
def bank_export(
    bank: Annotated[str, typer.Option("--bank", help="Bank code.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx, gift or moodle-xml.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="File to write.")],
    as_json: JsonFlag = False,
) -> None:
    """Export a bank to .xlsx, GIFT or Moodle XML (pictures included); each imports back without loss."""
    from contest.db import session_scope
    from contest.services import banks

    with session_scope() as db:
        try:
            data = banks.export_bank(db, bank, fmt)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    out.write_bytes(data)
    emit(
        as_json,
        {"ok": True, "bank": bank, "format": fmt, "out": str(out), "bytes": len(data)},
        f"Đã xuất / exported {bank} → {out} ({len(data)} bytes)",
    )
