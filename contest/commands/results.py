"""`contest results …` and `contest prizes …`: closing rounds, rankings, prize lists and exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError

results_app = typer.Typer(help="Kết quả / results", no_args_is_help=True)
prizes_app = typer.Typer(help="Giải thưởng / prizes", no_args_is_help=True)

ContestOpt = Annotated[str, typer.Option("--contest", help="Contest slug.")]
RoundOpt = Annotated[int, typer.Option("--round", help="Round number.")]
ByOpt = Annotated[str, typer.Option("--by", help="Username of the committee member acting.")]


def _staff_actor(db, username: str):
    from sqlalchemy import select

    from contest.domain.errors import NotFound
    from contest.models import StaffUser
    from contest.services.context import Actor

    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"Không có tài khoản '{username}'.", f"There is no account '{username}'.")
    return Actor("staff", user.id, user.username, "cli")


def _run(as_json: bool, work):
    from contest.db import session_scope

    try:
        with session_scope() as db:
            return work(db)
    except ContestError as exc:
        fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")


@results_app.command("close")
def close(contest: ContestOpt, round_number: RoundOpt, as_json: JsonFlag = False) -> None:
    """Close a round: score what is left, screen, fix the prediction's true figure."""
    from contest.services import contests, results
    from contest.services.context import SYSTEM

    report = _run(
        as_json,
        lambda db: results.close_round(db, SYSTEM, contests.get_round(db, contest, round_number)),
    )
    emit(
        as_json,
        {"ok": True, **report.as_dict()},
        f"Đã chốt / closed: {report.entrants} thí sinh / entrants, {report.eligible_entrants} hợp lệ / eligible, "
        f"con số thực / true figure {report.true_figure}",
    )


@results_app.command("rank")
def rank(
    contest: ContestOpt,
    round_number: RoundOpt,
    as_json: JsonFlag = False,
    limit: Annotated[int, typer.Option(help="Rows shown in text mode.")] = 50,
) -> None:
    """The individual ranking of a round, with eligibility and prize per entry."""
    from contest.services import contests, results

    def work(db):
        r = contests.get_round(db, contest, round_number)
        return [row.as_dict() for row in results.individual_ranking(db, r)]

    rows = _run(as_json, work)
    text = "\n".join(
        f"{row['rank'] or '-':>4}  {row['name']:<30} {row['unit_code'] or '':<16} {row['correct']:>3} "
        f"{row['prediction_error'] if row['prediction_error'] is not None else '-':>5} "
        f"{row['duration_seconds']:>8.1f}s  {'✓' if row['eligibility']['eligible'] else '✗'}  {row['prize_vi']}"
        for row in rows[:limit]
    )
    emit(as_json, {"ok": True, "contest": contest, "round": round_number, "entries": rows}, text)


@results_app.command("collectives")
def collectives(contest: ContestOpt, as_json: JsonFlag = False) -> None:
    """The collective ranking of units under the contest's collective plan."""
    from contest.services import contests, prizes

    def work(db):
        result = prizes.collective_ranking(db, contests.get_by_slug(db, contest))
        return [
            {
                "rank": s.rank,
                "unit_id": int(s.unit.unit_id),
                "unit": s.unit.name,
                "pool": s.unit.pool,
                "participants": s.participants,
                "headcount": s.unit.headcount,
                "participation_rate": s.participation_rate,
                "mean_score": s.mean_score,
                "value": s.value,
                "qualifies": s.qualifies,
                "reason_vi": s.reason_vi,
                "reason_en": s.reason_en,
                "prize": s.tier_code,
                "outcome": s.outcome.value if s.outcome else None,
            }
            for s in result.standings
        ]

    rows = _run(as_json, work)
    text = "\n".join(
        f"{r['rank'] or '-':>3} {r['unit']:<40} {r['participants']:>5} {r['value']:>8.3f} {r['prize'] or ''}"
        for r in rows
    )
    emit(as_json, {"ok": True, "contest": contest, "units": rows}, text)


EXPORT_KINDS = ("ranking", "prizes", "collectives", "participation", "decisions")


@results_app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help=", ".join(EXPORT_KINDS))],
    contest: ContestOpt,
    out: Annotated[Path, typer.Option("--out", help="Where to write the .xlsx file.")],
    round_number: Annotated[int | None, typer.Option("--round", help="Round number.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Export to .xlsx: ranking, prizes (the decision's annex), collectives, participation, decisions."""
    from contest.services import contests, exports, prize_lists

    def work(db):
        c = contests.get_by_slug(db, contest)
        r = contests.get_round(db, contest, round_number) if round_number is not None else None
        if kind not in EXPORT_KINDS:
            raise ContestError(
                f"Loại xuất không hợp lệ: {kind}.", f"Unknown export: {kind}.", field="kind"
            )
        if kind in ("ranking",) and r is None:
            raise ContestError(
                "Cần chọn đợt thi (--round).", "A round is needed (--round).", field="round"
            )
        if kind == "ranking":
            return exports.ranking_xlsx(db, r)
        if kind == "prizes":
            pl = prize_lists.latest_list(
                db, c.id, r.id if r else None, "individual" if r else "collective"
            )
            if pl is None:
                raise ContestError(
                    "Chưa có danh sách giải.", "There is no prize list yet.", field="list"
                )
            return exports.prize_list_xlsx(db, pl)
        if kind == "collectives":
            return exports.collectives_xlsx(db, c)
        if kind == "participation":
            return exports.participation_xlsx(db, c)
        return exports.decisions_xlsx(db, c, r)

    data = _run(as_json, work)
    out.write_bytes(data)
    emit(as_json, {"ok": True, "file": str(out), "bytes": len(data)}, f"Đã ghi / written: {out}")


@results_app.command("annex")
def annex_command(
    contest: ContestOpt,
    out: Annotated[Path, typer.Option("--out", help="Where to write the .pdf or .xlsx file.")],
    number: Annotated[str, typer.Option("--number", help="Decision number, e.g. 15/QĐ-BTC.")] = "",
    on: Annotated[str, typer.Option("--date", help="Decision date, dd/mm/yyyy.")] = "",
    list_id: Annotated[
        int | None, typer.Option("--list", help="One list version instead of every approved list.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The annex of the prize decision (PDF or .xlsx, by the file's suffix)."""
    from contest.services import annex, contests, prize_lists

    def work(db):
        c = contests.get_by_slug(db, contest)
        pl = prize_lists.list_in_contest(db, c, list_id) if list_id is not None else None
        fmt = out.suffix.lstrip(".").lower()
        return annex.document(db, c, fmt, pl=pl, number=number, on=on)[0]

    data = _run(as_json, work)
    out.write_bytes(data)
    emit(as_json, {"ok": True, "file": str(out), "bytes": len(data)}, f"Đã ghi / written: {out}")


def _list_dict(pl, report=None) -> dict:
    d = {
        "id": pl.id,
        "kind": pl.kind,
        "round_id": pl.round_id,
        "version": pl.version,
        "status": pl.status,
        "lines": [
            {
                "id": e.id,
                "participant_id": e.participant_id,
                "unit_id": e.unit_id,
                "tier": e.tier_code,
                "rank": e.rank,
                "reason_vi": e.reason_vi,
                "reason_en": e.reason_en,
                "rule": e.rule,
                "tie_decision_id": e.tie_decision_id,
            }
            for e in pl.entries
        ],
    }
    if report is not None:
        d["by_tier"], d["undecided"], d["cap"] = report.by_tier, report.undecided, report.cap
        # Versions of earlier rounds' approved lists that the one-prize rule corrected.
        d["corrections"] = [
            {"id": c.id, "round_id": c.round_id, "version": c.version, "status": c.status}
            for c in report.corrections
        ]
    return d


@prizes_app.command("allocate")
def allocate(
    contest: ContestOpt,
    round_number: Annotated[int | None, typer.Option("--round", help="Round number.")] = None,
    collective: Annotated[bool, typer.Option("--collective", help="Collective prizes.")] = False,
    correction: Annotated[
        str | None, typer.Option("--correction", help="Reason for a new version.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Username acting.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Allocate prizes from the plan into a draft list (or a correction version)."""
    from contest.services import contests, prizes
    from contest.services.context import SYSTEM

    def work(db):
        actor = _staff_actor(db, by) if by else SYSTEM
        if collective:
            return _list_dict(
                prizes.allocate_collectives(
                    db, actor, contests.get_by_slug(db, contest), correction_note=correction
                )
            )
        if round_number is None:
            raise ContestError(
                "Cần chọn đợt thi (--round) hoặc --collective.",
                "Give --round or --collective.",
                field="round",
            )
        report = prizes.allocate(
            db, actor, contests.get_round(db, contest, round_number), correction_note=correction
        )
        return _list_dict(report.prize_list, report)

    d = _run(as_json, work)
    emit(
        as_json,
        {"ok": True, **d},
        f"Danh sách / list #{d['id']} v{d['version']} ({d['status']}): {len(d['lines'])} dòng / lines",
    )


@prizes_app.command("decide-tie")
def decide_tie(
    list_id: Annotated[int, typer.Option("--list", help="Prize list id.")],
    lines: Annotated[
        list[int],
        typer.Option("--line", help="A tied line's id; repeat for each, best first."),
    ],
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            help="lots, more_participants, earlier_registration, fewer_attempts, "
            "committee_judgement or share.",
        ),
    ],
    reason_vi: Annotated[str, typer.Option("--reason-vi", help="Reason, in Vietnamese.")],
    by: ByOpt,
    reason_en: Annotated[str, typer.Option("--reason-en", help="Reason, in English.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Settle a tie at a prize boundary (committee): stored, so later versions keep it."""
    from contest.services import prize_lists, prizes

    def work(db):
        pl = prizes.decide_tie(
            db,
            _staff_actor(db, by),
            prize_lists.get_list(db, list_id),
            lines,
            criterion,
            reason_vi,
            reason_en,
        )
        return _list_dict(pl)

    d = _run(as_json, work)
    emit(
        as_json,
        {"ok": True, **d},
        f"Danh sách / list #{d['id']} v{d['version']}: {len(d['lines'])} dòng / lines",
    )


def _transition(name: str):
    def command(
        list_id: Annotated[int, typer.Option("--list", help="Prize list id.")],
        by: ByOpt,
        as_json: JsonFlag = False,
    ) -> None:
        from contest.services import prize_lists

        def work(db):
            pl = prize_lists.transition(
                db, _staff_actor(db, by), prize_lists.get_list(db, list_id), TARGETS[name]
            )
            return _list_dict(pl)

        d = _run(as_json, work)
        emit(
            as_json,
            {"ok": True, **d},
            f"Danh sách / list #{d['id']} v{d['version']}: {d['status']}",
        )

    command.__doc__ = {
        "propose": "Propose a draft list (committee member).",
        "approve": "Approve a proposed list (committee chair); it is frozen from then on.",
        "publish": "Publish an approved list on the public results page.",
    }[name]
    return command


TARGETS = {"propose": "proposed", "approve": "approved", "publish": "published"}
for _name in TARGETS:
    prizes_app.command(_name)(_transition(_name))
