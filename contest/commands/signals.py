"""`contest signals …`: compute and list a round's cheating signals (evidence, never verdicts)."""

from __future__ import annotations

from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError

signals_app = typer.Typer(help="Dấu hiệu gian lận / cheating signals", no_args_is_help=True)

ContestOpt = Annotated[str, typer.Option("--contest", help="Contest slug.")]
RoundOpt = Annotated[
    int | None, typer.Option("--round", help="Round number (default: every round).")
]


def _rounds(db, slug: str, number: int | None):
    from contest.services import contests

    if number is not None:
        return [contests.get_round(db, slug, number)]
    return list(contests.get_by_slug(db, slug).rounds)


def _run(as_json: bool, work):
    from contest.db import session_scope

    try:
        with session_scope() as db:
            return work(db)
    except ContestError as exc:
        fail(as_json, [error_dict(exc)], f"{exc.message_vi}\n{exc.message_en}")


@signals_app.command("compute")
def compute(contest: ContestOpt, round_number: RoundOpt = None, as_json: JsonFlag = False) -> None:
    """Compute the signals of a round (minutes for 300,000 attempts) and store its clusters."""
    from contest.services import signals
    from contest.services.context import SYSTEM

    def work(db):
        out = []
        for r in _rounds(db, contest, round_number):
            run = signals.compute(db, SYSTEM, r)
            out.append({"round": r.number, "run": run.id, "seconds": run.seconds, **run.stats})
        return out

    runs = _run(as_json, work)
    emit(
        as_json,
        {"ok": True, "runs": runs},
        "\n".join(
            f"Đợt / round {r['round']}: {r['clusters']} cụm / clusters, {r['accounts']} tài khoản / "
            f"accounts, {r['entries']} bài / entries, {r['seconds']} s"
            for r in runs
        ),
    )


@signals_app.command("list")
def list_(contest: ContestOpt, round_number: RoundOpt = None, as_json: JsonFlag = False) -> None:
    """The clusters of the latest computation of each round, strongest first."""
    from contest.services import signals

    def work(db):
        out = []
        for r in _rounds(db, contest, round_number):
            run = signals.latest_run(db, r)
            clusters = signals.clusters_of(db, run) if run else []
            out.append(
                {
                    "round": r.number,
                    "computed_at": run.computed_at.isoformat() if run else None,
                    "clusters": [
                        {
                            "id": c.id,
                            "position": c.position,
                            "score": c.score,
                            "kinds": c.kinds,
                            "participant_ids": c.participant_ids,
                            "attempt_ids": c.attempt_ids,
                            "reason_vi": c.reason_vi,
                            "reason_en": c.reason_en,
                            "evidence": c.evidence,
                        }
                        for c in clusters
                    ],
                }
            )
        return out

    rounds = _run(as_json, work)
    lines = []
    for r in rounds:
        if r["computed_at"] is None:
            lines.append(f"Đợt / round {r['round']}: chưa tính / not computed")
            continue
        lines.append(f"Đợt / round {r['round']} ({r['computed_at']}): {len(r['clusters'])} cụm")
        for c in r["clusters"]:
            lines.append(f"  #{c['position']:<3} {c['score']:>6.1f}  {c['reason_vi']}")
            lines.append(f"  {'':<11}{c['reason_en']}")
    emit(as_json, {"ok": True, "rounds": rounds}, "\n".join(lines))
