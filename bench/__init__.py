"""Benchmarks: each bench/bench_*.py module has run() -> list[Figure]; `make bench` runs them all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # what was measured, e.g. "import 10,000-question workbook"
    value: float
    unit: str  # "s", "ms", "KB", "saves/s"
    bar: str = ""  # the target as text, e.g. "≤ 5 s"
    ok: bool | None = None  # None when there is no bar
    note: str = ""


def median_seconds(fn: Callable[[], object], runs: int = 3) -> float:
    """Median wall time of `runs` calls (the figures in RESULTS.md are medians)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
