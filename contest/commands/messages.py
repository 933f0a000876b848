"""`contest messages …`: the outbox from the command line (list, send what is due, retry)."""

from __future__ import annotations

from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError

messages_app = typer.Typer(help="Tin nhắn (email, SMS) / messages", no_args_is_help=True)


def _as_dict(row) -> dict:
    n = row.notice
    return {
        "id": n.id,
        "kind": n.kind,
        "channel": n.channel,
        "address": n.address,
        "status": n.status,
        "essential": n.essential,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
        "next_attempt_at": n.next_attempt_at,
        "tries": [
            {"at": a.at, "outcome": a.outcome, "error": a.error, "detail": a.detail}
            for a in row.attempts
        ],
    }


@messages_app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="pending, sent, failed or cancelled.")] = "",
    kind: Annotated[str, typer.Option(help="e.g. password_reset_code, round_opens.")] = "",
    limit: int = 50,
    as_json: JsonFlag = False,
) -> None:
    """Messages in the outbox, newest first, with every try to send them."""
    from contest.db import session_scope
    from contest.services import messages

    with session_scope() as db:
        items = [_as_dict(r) for r in messages.outbox(db, status=status, kind=kind, limit=limit)]
        counts = messages.status_counts(db)
    text = "\n".join(
        f"#{m['id']:<7} {m['kind']:<24} {m['channel']:<5} {m['status']:<9} "
        f"lần / tries {m['attempts']}  {m['address']}  {m['last_error'][:80]}"
        for m in items
    )
    summary = "  ".join(f"{k}: {v}" for k, v in counts.items())
    emit(as_json, {"ok": True, "counts": counts, "messages": items}, f"{text}\n{summary}".strip())


@messages_app.command("send-pending")
def send_pending(limit: int = 500, as_json: JsonFlag = False) -> None:
    """Send the messages that are due now (what the workers do every few seconds)."""
    from contest.db import session_scope
    from contest.services import messages

    with session_scope() as db:
        report = messages.send_due(db, limit=limit).as_dict()
    emit(
        as_json,
        {"ok": True, **report},
        f"Đã gửi / sent {report['sent']}, thử lại sau / to retry {report['retry']}, "
        f"thất bại / failed {report['failed']}, bỏ qua / skipped {report['skipped']}",
    )


@messages_app.command("schedule")
def schedule_command(as_json: JsonFlag = False) -> None:
    """Queue the news that is due now (rounds opening or closing, results, certificates);
    what the workers do every few minutes. Never queues a message twice."""
    from contest.db import session_scope
    from contest.services import message_schedule

    with session_scope() as db:
        counts = message_schedule.queue_due_news(db).counts
    text = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "0"
    emit(as_json, {"ok": True, "queued": counts}, f"Đã xếp hàng / queued: {text}")


@messages_app.command("retry")
def retry_command(notice_id: int, as_json: JsonFlag = False) -> None:
    """Send a failed message again (after the mail server or gateway was fixed)."""
    from contest.db import session_scope
    from contest.services import messages
    from contest.services.context import SYSTEM

    with session_scope() as db:
        try:
            messages.retry(db, SYSTEM, notice_id)
        except ContestError as exc:
            fail(as_json, [error_dict(exc)], f"{exc.message_vi} / {exc.message_en}")
    emit(as_json, {"ok": True, "id": notice_id}, f"#{notice_id}: chờ gửi lại / queued again")
