"""`contest rounds …`: batch work on rounds (the sweeper)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

rounds_app = typer.Typer(help="Đợt thi / rounds", no_args_is_help=True)


@rounds_app.command("sweep")
def sweep_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Score attempts whose time ran out without a submit (safe to run anywhere, any time)."""
    from contest.db import session_scope
    from contest.services import taking

    with session_scope() as db:
        done = taking.sweep(db, limit=100_000)
    if as_json:
        typer.echo(json.dumps({"ok": True, "finalised": done}))
    else:
        typer.echo(f"Đã chấm / finalised: {done}")
