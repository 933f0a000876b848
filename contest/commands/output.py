"""How every `contest` command prints: text for people, JSON with --json, exit code 1 on a user error."""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer

from contest.domain.errors import ContestError

JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def emit(as_json: bool, payload: dict, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text)


def fail(as_json: bool, errors: list[dict], text: str) -> NoReturn:
    if as_json:
        typer.echo(
            json.dumps({"ok": False, "errors": errors}, ensure_ascii=False, indent=2, default=str)
        )
    else:
        typer.echo(text, err=True)
    raise typer.Exit(1)


def error_dict(exc: ContestError) -> dict:
    return {"field": exc.field, "message_vi": exc.message_vi, "message_en": exc.message_en}
