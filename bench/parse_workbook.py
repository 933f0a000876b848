"""Time parsing a generated question workbook (parse only, no database): ``python -m bench.parse_workbook [count] [runs]``."""

from __future__ import annotations

import statistics
import sys
import time

from contest.exporters.xlsx import write_sample_workbook
from contest.importers import parse_file


def measure(count: int = 10_000, runs: int = 5) -> dict:
    data = write_sample_workbook(count)
    times = []
    cpu = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = parse_file(data, "benchmark.xlsx")
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if len(result.questions) != count or result.errors:
            raise SystemExit(
                f"expected {count} questions, got {len(result.questions)} and {len(result.errors)} errors"
            )
    return {
        "questions": count,
        "bytes": len(data),
        "runs": runs,
        "best_s": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
        # CPU time is what the parse costs; wall time also counts whatever else the machine runs.
        "best_cpu_s": round(min(cpu), 3),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 10_000
    runs = int(args[1]) if len(args) > 1 else 5
    figures = measure(count, runs)
    print(
        f"parsed {figures['questions']} questions ({figures['bytes'] / 1e6:.1f} MB .xlsx): "
        f"best {figures['best_s']} s, median {figures['median_s']} s over {figures['runs']} runs "
        f"(best CPU time {figures['best_cpu_s']} s)"
    )


if __name__ == "__main__":
    main()
