"""`contest rounds …`: a round's settings (as the round page), and the sweeper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit
from contest.domain.errors import ContestError

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


_SETTINGS = {
    "title_vi": "title_vi",
    "title_en": "title_en",
    "opens": "opens",
    "closes": "closes",
    "questions": "questions_per_attempt",
    "minutes": "time_limit_minutes",
    "attempts": "max_attempts",
    "counting": "counting",
    "prediction_vi": "prediction_vi",
    "prediction_en": "prediction_en",
    "prediction_target": "prediction_target",
    "show_score": "show_score",
    "show_key": "show_key",
}


@rounds_app.command("set")
def set_command(
    contest: Annotated[str, typer.Option("--contest", help="Contest slug.")],
    number: Annotated[int, typer.Option("--round", help="Round number (created if new).")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            help="TOML with the round form's fields (as one [[rounds]] of a contest file).",
        ),
    ] = None,
    title_vi: Annotated[str | None, typer.Option("--title-vi")] = None,
    title_en: Annotated[str | None, typer.Option("--title-en")] = None,
    opens: Annotated[
        str | None, typer.Option("--opens", help="dd/mm/yyyy HH:MM, Vietnam time.")
    ] = None,
    closes: Annotated[
        str | None, typer.Option("--closes", help="dd/mm/yyyy HH:MM, Vietnam time.")
    ] = None,
    banks: Annotated[
        list[str] | None, typer.Option("--bank", help="Question bank code (repeat for several).")
    ] = None,
    questions: Annotated[
        int | None, typer.Option("--questions", help="Questions per attempt.")
    ] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", help="Time limit in minutes.")] = None,
    attempts: Annotated[
        int | None, typer.Option("--attempts", help="Attempts allowed (0: unlimited).")
    ] = None,
    counting: Annotated[str | None, typer.Option("--counting", help="best, first or last.")] = None,
    prediction_vi: Annotated[str | None, typer.Option("--prediction-vi")] = None,
    prediction_en: Annotated[str | None, typer.Option("--prediction-en")] = None,
    prediction_target: Annotated[
        str | None, typer.Option("--prediction-target", help="all_correct or participants.")
    ] = None,
    no_prediction: Annotated[
        bool, typer.Option("--no-prediction", help="The prediction question is optional.")
    ] = False,
    show_score: Annotated[str | None, typer.Option("--show-score")] = None,
    show_key: Annotated[str | None, typer.Option("--show-key")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Username of the organiser acting.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a round's window, banks, draw, timing, attempts and prediction, as the round page
    does (same checks; scoring settings are frozen once anyone has started the round)."""
    from contest.commands.contests import _actor, _fail_in_file, _read_toml
    from contest.db import session_scope
    from contest.services import contests, rounds

    changes: dict = _read_toml(as_json, file) if file else {}
    given = locals()
    for option, name in _SETTINGS.items():
        if given[option] is not None:
            changes[name] = given[option]
    if banks:
        changes["banks"] = banks
    if no_prediction:
        changes["prediction_required"] = False
    try:
        with session_scope() as db:
            rnd, created = rounds.set_round(
                db, _actor(db, by), contests.get_by_slug(db, contest), number, changes
            )
            codes = rounds.round_bank_codes(db, rnd.id)
            payload: dict = {
                "ok": True,
                "contest": contest,
                "round": rnd.number,
                "created": created,
                "opens": rounds.format_local(rnd.opens_at),
                "closes": rounds.format_local(rnd.closes_at),
                "banks": codes,
                "questions_per_attempt": rnd.questions_per_attempt,
                "time_limit_minutes": rnd.time_limit_seconds // 60,
                "max_attempts": rnd.max_attempts,
                "counting": rnd.counting,
            }
    except ContestError as exc:
        _fail_in_file(as_json, str(file) if file else f"{contest} #{number}", exc)
    emit(
        as_json,
        payload,
        f"{'Đã tạo / created' if created else 'Đã cập nhật / updated'} đợt / round {number}: "
        f"{payload['opens']} → {payload['closes']}, {payload['questions_per_attempt']} câu / "
        f"questions, {payload['time_limit_minutes']} phút / min, ngân hàng / banks "
        f"{', '.join(codes) or '—'}",
    )
