"""`contest certificates …`: bulk issue from the approved list, verify and revoke by code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail

certificates_app = typer.Typer(help="Giấy chứng nhận / certificates", no_args_is_help=True)

BATCH = 500


def _progress():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # On stderr, so `--json` output on stdout stays parseable.
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


@certificates_app.command("issue")
def issue_command(
    contest: Annotated[str, typer.Option("--contest", help="Contest slug.")],
    round_number: Annotated[
        int | None, typer.Option("--round", help="Round number (default: every round).")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="prize | participation")] = "prize",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one PDF per certificate here.")
    ] = None,
    processes: Annotated[int, typer.Option("--processes", help="Processes drawing PDFs.")] = 2,
    as_json: JsonFlag = False,
) -> None:
    """Issue certificates for the approved list (idempotent) and optionally write the PDFs."""
    from sqlalchemy import select

    from contest.db import session_scope
    from contest.domain.errors import ContestError
    from contest.models import Round
    from contest.services import certificates as service
    from contest.services import contests
    from contest.services.context import SYSTEM

    if kind not in ("prize", "participation"):
        fail(
            as_json,
            [
                {
                    "field": "kind",
                    "message_vi": "Loại phải là prize hoặc participation.",
                    "message_en": "Kind must be prize or participation.",
                }
            ],
            "Loại phải là prize hoặc participation.\nKind must be prize or participation.",
        )
    with session_scope() as db:
        try:
            target = contests.get_by_slug(db, contest)
            round_id = None
            if round_number is not None:
                round_id = db.execute(
                    select(Round.id).where(
                        Round.contest_id == target.id, Round.number == round_number
                    )
                ).scalar_one_or_none()
                if round_id is None:
                    raise ContestError(
                        f"Cuộc thi không có đợt {round_number}.",
                        f"The contest has no round {round_number}.",
                        field="round",
                    )
            awards = service.awards_for(db, target.id, round_id, kind)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        issued_codes: set[str] = set()
        certificates = []
        with _progress() as progress:
            task = progress.add_task("Cấp / issuing", total=len(awards))
            for start in range(0, len(awards), BATCH):
                report = service.issue_certificates(db, SYSTEM, awards[start : start + BATCH])
                issued_codes.update(c.code for c in report.issued)
                certificates.extend(report.certificates)
                progress.advance(task, len(report.certificates))
            files: list[Path | None] = [None] * len(certificates)
            if out is not None and certificates:
                task = progress.add_task("PDF", total=len(certificates))
                files = list(
                    service.render_files(
                        db,
                        certificates,
                        out,
                        processes=processes,
                        progress=lambda n: progress.advance(task, n),
                    )
                )
        rows = [
            {
                "code": service.format_code(c.code),
                "number": c.number,
                "recipient": c.recipient_name,
                "unit": c.recipient_unit,
                "prize": c.tier_label_vi,
                "status": c.status,
                "new": c.code in issued_codes,
                "file": str(path) if path else None,
                "verification_url": c.verification_url,
            }
            for c, path in zip(certificates, files)
        ]
    lines = [
        f"{r['number']:>12}  {r['code']}  {r['recipient']} — {r['prize']}"
        + (f"  {r['file']}" if r["file"] else "")
        for r in rows
    ]
    lines.append(
        f"Cấp mới / issued: {len(issued_codes)}; đã có / already issued: {len(rows) - len(issued_codes)}"
    )
    emit(
        as_json,
        {
            "ok": True,
            "contest": contest,
            "issued": len(issued_codes),
            "existing": len(rows) - len(issued_codes),
            "certificates": rows,
        },
        "\n".join(lines),
    )


@certificates_app.command("verify")
def verify_command(code: str, as_json: JsonFlag = False) -> None:
    """What the verification page says about CODE; exit 1 unless it is a valid certificate."""
    from contest.db import session_scope
    from contest.services import certificates as service

    with session_scope() as db:
        result = service.verify(db, code)
        c = result.certificate
        payload = {
            "ok": result.status == "valid",
            "status": result.status,
            "code": result.code,
            "message_vi": result.message_vi,
            "message_en": result.message_en,
        }
        if c is not None:
            payload.update(
                number=c.number,
                recipient=c.recipient_name,
                prize=c.tier_label_vi,
                contest=result.contest_title,
                issued_on=c.issued_on.isoformat(),
                revoked_at=c.revoked_at,
                revoked_reason=c.revoked_reason,
                replaced_by=result.replaced_by_code or None,
            )
    text = [f"{result.status.upper()}: {result.message_vi} / {result.message_en}"]
    if c is not None:
        text.append(f"{c.number} · {c.recipient_name} · {c.tier_label_vi} · {c.issued_on:%d/%m/%Y}")
        if c.revoked_reason:
            text.append(f"Lý do thu hồi / reason: {c.revoked_reason}")
        if result.replaced_by_code:
            text.append(f"Thay bằng / replaced by: {result.replaced_by_code}")
    if as_json:
        import json

        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo("\n".join(text))
    if result.status != "valid":
        raise typer.Exit(1)


@certificates_app.command("revoke")
def revoke_command(
    code: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (shown on the verification page).")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke the certificate with CODE (audited)."""
    from contest.db import session_scope
    from contest.domain.errors import ContestError
    from contest.services import certificates as service
    from contest.services.context import SYSTEM

    with session_scope() as db:
        try:
            certificate = service.revoke(db, SYSTEM, service.find_by_code(db, code).id, reason)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        emit(
            as_json,
            {
                "ok": True,
                "code": service.format_code(certificate.code),
                "number": certificate.number,
                "revoked_at": certificate.revoked_at,
                "reason": certificate.revoked_reason,
            },
            f"Đã thu hồi / revoked {certificate.number} ({service.format_code(certificate.code)})",
        )
