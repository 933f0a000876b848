"""`contest works …`: a works contest's settings and rubric as a readable TOML file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError, InvalidInput

works_app = typer.Typer(help="Cuộc thi tác phẩm / works contests", no_args_is_help=True)

ContestOpt = Annotated[str, typer.Option("--contest", help="Contest slug.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Username of the organiser acting (default: system).")
]
HEADER = (
    "# Thiết lập và thang điểm của cuộc thi tác phẩm (giờ Việt Nam, dd/mm/yyyy HH:MM).\n"
    "# Settings and rubric of a works contest (Vietnam time, dd/mm/yyyy HH:MM).\n"
    "# contest works import --contest SLUG FILE\n\n"
)


def _fail_with(as_json: bool, file: str, exc: ContestError) -> None:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    fail(
        as_json,
        [{"file": file, **error_dict(e)} for e in errors],
        "\n".join(f"{file}: {e.field or '-'}: {e.message_vi}\n    {e.message_en}" for e in errors),
    )


def document(data) -> dict:
    """A settings input as a TOML document: numbers as numbers where they are numbers."""

    def number(text: str):
        try:
            value = float(text)
        except ValueError:
            return text
        return int(value) if value.is_integer() else value

    doc: dict = {"deadline": data.deadline}
    if data.opens:
        doc["opens"] = data.opens
    doc.update(
        allowed_types=list(data.allowed_types),
        max_mb={t: number(v) for t, v in data.max_mb.items() if v and t in data.allowed_types},
        max_files=number(data.max_files),
        trim=number(data.trim),
        theme_vi=data.theme_vi,
        excluded=[c for c in data.excluded.splitlines() if c.strip()],
        rubric=[
            {
                "code": c.code,
                "label_vi": c.label_vi,
                "label_en": c.label_en,
                "max_points": number(c.max_points),
                "weight": number(c.weight),
            }
            for c in data.rubric
        ],
    )
    return doc


def settings_input(doc: dict):
    from contest.services.works import CriterionInput, SettingsInput

    def text(value) -> str:
        return "" if value is None else str(value)

    rubric = doc.get("rubric") or []
    if not isinstance(rubric, list) or not all(isinstance(c, dict) for c in rubric):
        raise ContestError(
            "Mục 'rubric' phải là danh sách [[rubric]].",
            "'rubric' must be a list of [[rubric]] tables.",
            field="rubric",
        )
    return SettingsInput(
        opens=text(doc.get("opens")),
        deadline=text(doc.get("deadline")),
        allowed_types=[text(t) for t in doc.get("allowed_types") or []],
        max_mb={text(k): text(v) for k, v in (doc.get("max_mb") or {}).items()},
        max_files=text(doc.get("max_files", 5)),
        trim=text(doc.get("trim", 0)),
        theme_vi=text(doc.get("theme_vi")),
        excluded="\n".join(text(c) for c in doc.get("excluded") or []),
        rubric=[
            CriterionInput(
                text(c.get("code")),
                text(c.get("label_vi")),
                text(c.get("label_en")),
                text(c.get("max_points")),
                text(c.get("weight", 1)),
            )
            for c in rubric
        ],
    )


@works_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="TOML file to write ('-': print).")],
    contest: ContestOpt,
    as_json: JsonFlag = False,
) -> None:
    """Write the works settings and rubric to a TOML file (edit it, or reuse it next year)."""
    import tomli_w

    from contest.db import session_scope
    from contest.services import contests, works

    try:
        with session_scope() as db:
            row = works.settings_for(db, contests.get_by_slug(db, contest))
            doc = document(works.SettingsInput.of(row))
    except ContestError as exc:
        _fail_with(as_json, str(file), exc)
    text = HEADER + tomli_w.dumps(doc)
    if str(file) == "-":
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    emit(
        as_json,
        {"ok": True, "file": str(file), "criteria": len(doc["rubric"])},
        f"Đã ghi / written: {file} ({len(doc['rubric'])} tiêu chí / criteria)",
    )


@works_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="TOML file.")],
    contest: ContestOpt,
    by: ByOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a contest's works settings and rubric from a TOML file (all or nothing); the
    contest becomes a works contest."""
    from contest.commands.results import _staff_actor
    from contest.db import session_scope
    from contest.services import contests, works
    from contest.services.context import SYSTEM

    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        _fail_with(
            as_json,
            str(file),
            ContestError(f"Tệp TOML không hợp lệ: {exc}", f"Not a valid TOML file: {exc}"),
        )
    try:
        with session_scope() as db:
            actor = _staff_actor(db, by) if by else SYSTEM
            row = works.save_settings_input(
                db, actor, contests.get_by_slug(db, contest), settings_input(doc)
            )
            criteria = len(row.rubric)
    except ContestError as exc:
        _fail_with(as_json, str(file), exc)
    emit(
        as_json,
        {"ok": True, "contest": contest, "criteria": criteria},
        f"Đã lưu / saved: {contest} ({criteria} tiêu chí / criteria)",
    )
