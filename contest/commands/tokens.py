"""`contest tokens …`: results export tokens for the staff API (create, list, revoke)."""

from __future__ import annotations

from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail

tokens_app = typer.Typer(
    help="Mã truy cập API kết quả / results export tokens (staff API)", no_args_is_help=True
)


def _row(view) -> dict:
    t = view.token
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": list(t.scopes),
        "contests": list(view.contests),
        "state": view.state,
        "created_at": t.created_at.isoformat(),
        "created_by": t.created_by,
        "expires_at": t.expires_at.isoformat(),
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        "last_used_ip": t.last_used_ip,
        "uses": t.use_count,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }


@tokens_app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="Which system uses it.")],
    contest: Annotated[
        list[str], typer.Option("--contest", help="Contest slug (repeat for several).")
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="prizes:read and/or rankings:read (default: prizes:read)."),
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Lifetime in days.")] = 90,
    as_json: JsonFlag = False,
) -> None:
    """Create a token; the secret is printed once and never stored."""
    from contest.db import session_scope
    from contest.domain.errors import ContestError, InvalidInput
    from contest.services import api_tokens
    from contest.services.context import SYSTEM

    try:
        with session_scope() as db:
            created = api_tokens.create(
                db,
                SYSTEM,
                name=name,
                contest_slugs=contest,
                scopes=scope or ["prizes:read"],
                days=days,
            )
            view = next(v for v in api_tokens.list_tokens(db) if v.token.id == created.token.id)
            row = _row(view)
    except InvalidInput as exc:
        fail(
            as_json,
            [error_dict(e) for e in exc.errors],
            "\n".join(f"{e.message_vi}\n{e.message_en}" for e in exc.errors),
        )
    except ContestError as exc:
        fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    emit(
        as_json,
        {"ok": True, **row, "token": created.secret},
        f"Mã truy cập / token #{row['id']} ({row['name']}), hết hạn / expires {row['expires_at']}:\n"
        f"{created.secret}\n"
        "Chỉ hiện một lần; hãy lưu lại ngay. / Shown only once; store it now.",
    )


@tokens_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """Every token, newest first, with its state and last use (never the secret)."""
    from contest.db import session_scope
    from contest.services import api_tokens

    with session_scope() as db:
        rows = [_row(v) for v in api_tokens.list_tokens(db)]
    lines = [
        f"#{r['id']:<4} {r['prefix']}…  {r['state']:<8} {r['name']}  [{', '.join(r['scopes'])}]  "
        f"{', '.join(r['contests'])}  hết hạn / expires {r['expires_at']}  "
        f"dùng lần cuối / last used {r['last_used_at'] or '—'}"
        for r in rows
    ]
    emit(as_json, {"ok": True, "tokens": rows}, "\n".join(lines) or "Chưa có / none")


@tokens_app.command("revoke")
def revoke_command(
    token_id: Annotated[
        int, typer.Argument(help="The token's number (from `contest tokens list`).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token at once: its next request is refused (401)."""
    from contest.db import session_scope
    from contest.domain.errors import ContestError
    from contest.services import api_tokens
    from contest.services.context import SYSTEM

    try:
        with session_scope() as db:
            token = api_tokens.revoke(db, SYSTEM, token_id, reason)
            row = {"id": token.id, "name": token.name, "revoked_at": str(token.revoked_at)}
    except ContestError as exc:
        fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")
    emit(
        as_json,
        {"ok": True, **row},
        f"Đã thu hồi / revoked #{row['id']} ({row['name']})",
    )
