"""Time importing a 10,000-question workbook into a fresh, migrated SQLite database (bar: ≤ 5 s)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import Figure, median_seconds

QUESTIONS = 10_000
BAR_SECONDS = 5.0


def run() -> list[Figure]:
    from sqlalchemy.orm import Session

    from contest.db import make_engine
    from contest.exporters import export_xlsx
    from contest.exporters.xlsx import sample_bank
    from contest.migrate import upgrade
    from contest.services import banks
    from contest.services.context import SYSTEM

    workbook = export_xlsx(sample_bank(QUESTIONS))
    with tempfile.TemporaryDirectory() as folder:
        urls = []
        for n in range(3):
            url = f"sqlite:///{Path(folder) / f'bench{n}.db'}"
            upgrade(url)
            urls.append(url)
        reports = []

        def one() -> None:
            engine = make_engine(urls[len(reports)])
            with Session(engine) as db:
                reports.append(
                    banks.import_questions(db, SYSTEM, "bench", [("bench.xlsx", workbook)])
                )
            engine.dispose()

        seconds = median_seconds(one, 3)
    assert all(r.ok and r.imported == QUESTIONS for r in reports), reports[0].errors[:3]
    return [
        Figure(
            f"import {QUESTIONS:,}-question workbook (parse + checks + insert, SQLite)",
            round(seconds, 2),
            "s",
            f"≤ {BAR_SECONDS:g} s",
            seconds <= BAR_SECONDS,
            f"{len(workbook) // 1024} KB .xlsx, median of 3",
        )
    ]


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
