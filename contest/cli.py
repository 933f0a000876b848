"""The `contest` command: batch work for operators. Thin: parse, call a service, print."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from contest.commands.bank import bank_app
from contest.commands.certificates import certificates_app
from contest.commands.contests import contests_app
from contest.commands.jobs import jobs_app, worker
from contest.commands.messages import messages_app
from contest.commands.oidc import oidc_app
from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.commands.plans import plans_app
from contest.commands.results import prizes_app, results_app
from contest.commands.rounds import rounds_app
from contest.commands.signals import signals_app
from contest.commands.tokens import tokens_app
from contest.commands.works import works_app
from contest.config import follow_served_address, get_settings
from contest.domain.errors import ContestError

app = typer.Typer(
    help="contest — cuộc thi trắc nghiệm trực tuyến / online quiz contests",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
units_app = typer.Typer(help="Đơn vị / units", no_args_is_help=True)
audit_app = typer.Typer(help="Nhật ký kiểm toán / audit log", no_args_is_help=True)
users_app = typer.Typer(help="Tài khoản nhân sự / staff accounts", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """contest — cuộc thi trắc nghiệm trực tuyến / online quiz contests"""
    from contest import queue

    queue.connect()  # jobs started from the command line go to the workers' queue


app.add_typer(units_app, name="units")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(bank_app, name="bank")
app.add_typer(rounds_app, name="rounds")
app.add_typer(results_app, name="results")
app.add_typer(prizes_app, name="prizes")
app.add_typer(plans_app, name="plans")
app.add_typer(certificates_app, name="certificates")
app.add_typer(signals_app, name="signals")
app.add_typer(jobs_app, name="jobs")
app.command()(worker)
app.add_typer(contests_app, name="contests")
app.add_typer(works_app, name="works")
app.add_typer(oidc_app, name="oidc")
app.add_typer(messages_app, name="messages")
app.add_typer(tokens_app, name="tokens")


@app.command()
def migrate(as_json: JsonFlag = False) -> None:
    """Apply the database migrations (Alembic) to CONTEST_DATABASE_URL."""
    from contest.migrate import upgrade

    upgrade(get_settings().database_url)
    emit(
        as_json,
        {"ok": True, "database": _safe_url()},
        f"Đã cập nhật cơ sở dữ liệu / database migrated: {_safe_url()}",
    )


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@app.command()
def demo(as_json: JsonFlag = False) -> None:
    """Load the demo contest from question_banks/ (idempotent)."""
    from contest.db import session_scope
    from contest.services.demo import load_demo

    try:
        with session_scope() as db:
            result = load_demo(db, get_settings().demo_dir)
    except ContestError as exc:
        fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    lines = [
        f"Cuộc thi mẫu / demo contest: {result.contest_slug} ({'mới tạo / created' if result.created else 'đã có / already loaded'}), "
        f"{result.units} đơn vị / units",
        "Tài khoản nhân sự mẫu / demo staff accounts (username / password / roles):",
        *[f"  {u:<10} {p:<22} {', '.join(r)}" for u, p, r in result.staff],
    ]
    emit(
        as_json,
        {
            "ok": True,
            "contest": result.contest_slug,
            "created": result.created,
            "units": result.units,
            "staff": [{"username": u, "password": p, "roles": r} for u, p, r in result.staff],
        },
        "\n".join(lines),
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int, typer.Option(help="Processes; one per core in production (docs/deploy.md).")
    ] = 1,
    reload: bool = False,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (behind nginx, nginx keeps the access log).")
    ] = True,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies trusted for X-Forwarded-For.")
    ] = "127.0.0.1",
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Start a job worker beside the server (default: only with the SQLite queue).",
        ),
    ] = None,
) -> None:
    """Serve the web application with uvicorn (and, on one machine, a job worker beside it)."""
    import subprocess

    import uvicorn

    if reload:
        os.environ["CONTEST_TEMPLATE_AUTO_RELOAD"] = "true"
    made_metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker process writes its metrics here and /metrics adds them up; a fresh
        # folder per start, as prometheus-client requires.
        import tempfile

        made_metrics_dir = tempfile.mkdtemp(prefix="contest-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made_metrics_dir
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _empty_metrics_dir(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))
    follow_served_address(host, port)
    settings = get_settings()
    if worker is None:
        worker = (
            settings.serve_worker if settings.serve_worker is not None else not settings.queue_url
        )
    beside = None
    if worker:
        # One machine (`make run`): the queue is a SQLite file and this worker serves it, so no
        # second command is needed. Production runs `contest worker` under systemd instead.
        beside = subprocess.Popen(
            [sys.executable, "-m", "contest", "worker", "--workers", "1"],
            env={**os.environ, "CONTEST_WORKER_PARENT_PID": str(os.getpid())},
        )
    typer.echo(f"Đang phục vụ tại / serving at http://{host}:{port}")
    try:
        _run_uvicorn(uvicorn, host, port, workers, reload, forwarded_allow_ips, access_log)
    finally:
        if made_metrics_dir is not None:
            import shutil

            shutil.rmtree(made_metrics_dir, ignore_errors=True)
        if beside is not None:
            beside.terminate()
            try:
                beside.wait(timeout=15)
            except subprocess.TimeoutExpired:
                beside.kill()


def _empty_metrics_dir(folder: Path) -> None:
    """Values left by an earlier run would be added to this one's."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()


def _run_uvicorn(uvicorn, host, port, workers, reload, forwarded_allow_ips, access_log) -> None:
    from contest import logs

    log_config = logs.config()
    # The access line is written by the app (with the request id, route kind and duration).
    log_config["loggers"]["contest.access"] = {"level": "INFO" if access_log else "WARNING"}
    uvicorn.run(
        "contest.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        log_config=log_config,
        # Phones on slow links keep connections idle between answers; reuse them.
        timeout_keep_alive=30,
        log_level="info",
    )


@units_app.command("import")
def units_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    contest: Annotated[str, typer.Option("--contest", help="Contest slug.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a unit tree (CSV or XLSX: code, name, parent code, headcount); all or nothing."""
    from contest.db import session_scope
    from contest.services import contests, units
    from contest.services.context import SYSTEM

    with session_scope() as db:
        try:
            target = contests.get_by_slug(db, contest)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        result = units.import_units(
            db, SYSTEM, target, file.read_bytes(), file.name, dry_run=dry_run
        )
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
        f"{'(thử / dry run) ' if dry_run else ''}tạo mới / created {result.created}, cập nhật / updated {result.updated}",
    )


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="Tệp điểm kiểm tra đã xuất trước đó / checkpoints exported earlier (JSON)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check the audit log's hash chain; name the first broken row. With --checkpoints, also
    check it against signed checkpoints exported earlier, which catches a rewritten chain."""
    import json

    from contest.db import session_scope
    from contest.services import audit, audit_checkpoints

    report = None
    with session_scope() as db:
        result = audit.verify(db)
        if checkpoints is not None:
            try:
                report = audit_checkpoints.verify_against(
                    db, json.loads(checkpoints.read_text(encoding="utf-8"))
                )
            except ValueError as exc:
                fail(
                    as_json,
                    [{"message_vi": "Tệp không phải JSON.", "message_en": f"Not JSON: {exc}"}],
                    f"Tệp điểm kiểm tra không phải JSON / the checkpoint file is not JSON: {exc}",
                )
            except ContestError as exc:
                fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    if report is not None and not report.ok:
        first = report.problems[0]
        fail(
            as_json,
            [
                {"row": p.seq, "message_vi": p.reason_vi, "message_en": p.reason_en}
                for p in report.problems
            ],
            f"Nhật ký không khớp điểm kiểm tra đã ký / the log does not match its signed "
            f"checkpoints ({len(report.problems)}):\n{first.reason_vi}\n{first.reason_en}",
        )
    if result.ok:
        waiting = (
            (
                f"\n{result.pending} dòng đang chờ đưa vào chuỗi / entries waiting to be chained "
                "(contest audit seal)"
            )
            if result.pending
            else ""
        )
        signed = (
            f"\n{report.checkpoints} điểm kiểm tra đã ký khớp / signed checkpoints match "
            f"(+{report.database_checkpoints} in the database)"
            if report is not None
            else ""
        )
        payload: dict = {"ok": True, "checked": result.checked, "pending": result.pending}
        if report is not None:
            payload["checkpoints"] = report.checkpoints
            payload["database_checkpoints"] = report.database_checkpoints
        emit(
            as_json,
            payload,
            f"Chuỗi nhật ký nguyên vẹn / audit chain intact: {result.checked} rows{waiting}{signed}",
        )
        return
    b = result.broken
    fail(
        as_json,
        [{"row": b.seq, "message_vi": b.reason_vi, "message_en": b.reason_en}],
        f"Chuỗi nhật ký bị phá vỡ tại dòng / audit chain broken at row {b.seq}\n{b.reason_vi}\n{b.reason_en}",
    )


checkpoints_app = typer.Typer(
    help="Điểm kiểm tra đã ký của nhật ký / signed audit checkpoints", no_args_is_help=True
)
audit_app.add_typer(checkpoints_app, name="checkpoints")


@checkpoints_app.command("export")
def checkpoints_export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Tệp JSON / JSON file (mặc định: stdout)")
    ] = None,
    last: Annotated[int, typer.Option("--last", help="Chỉ N điểm gần nhất / only the last N")] = 0,
) -> None:
    """Write the signed checkpoints and their public key as JSON. Keep the file where the
    database's administrators cannot write; `contest audit verify --checkpoints FILE` uses it."""
    import json

    from contest.db import session_scope
    from contest.services import audit, audit_checkpoints

    with session_scope() as db:
        audit.seal_pending(db)  # the head as it is now is signed too
        data = audit_checkpoints.export(db, limit=last or None)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    typer.echo(
        f"Đã ghi / written: {len(data['checkpoints'])} checkpoints, key {data['key_id']} → {out}"
    )


@audit_app.command("seal")
def audit_seal(as_json: JsonFlag = False) -> None:
    """Chain the queued audit entries now (every server process also does it every few seconds)."""
    from contest.db import session_scope
    from contest.services import audit

    sealed = 0
    with session_scope() as db:
        # Bounded: entries keep arriving while a contest runs; the server processes seal those.
        for _ in range(100):
            batch = audit.seal_pending(db)
            sealed += batch
            if not batch:
                break
    emit(as_json, {"ok": True, "sealed": sealed}, f"Đã đưa vào chuỗi / chained: {sealed}")


@users_app.command("set-email")
def users_set_email(username: str, email: str, as_json: JsonFlag = False) -> None:
    """Where a staff member's password reset links go ("" removes it)."""
    from contest.db import session_scope
    from contest.services import resets
    from contest.services.context import SYSTEM

    with session_scope() as db:
        try:
            user = resets.set_staff_email(db, SYSTEM, username, email)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        emit(
            as_json,
            {"ok": True, "username": user.username, "email": user.email},
            f"{user.username}: {user.email or '—'}",
        )


@users_app.command("create")
def users_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[
        list[str],
        typer.Option("--role", help="admin, organiser, committee_member, committee_chair"),
    ],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="CONTEST_NEW_PASSWORD"
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Create a staff account."""
    from contest.db import session_scope
    from contest.services import accounts
    from contest.services.context import SYSTEM

    with session_scope() as db:
        try:
            user = accounts.create_staff_user(
                db, SYSTEM, username=username, full_name=full_name, password=password, roles=role
            )
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
        emit(
            as_json,
            {"ok": True, "id": user.id, "username": user.username, "roles": sorted(user.roles)},
            f"Đã tạo / created {user.username} ({', '.join(sorted(user.roles))})",
        )


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="contest")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
