"""Run every bench/bench_*.py, print a table, and record it in bench/RESULTS.md (history kept)."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import Figure

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
MARKER = "<!-- runs: newest first -->"


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    try:
        kib = int(
            next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1]
        )
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{platform.machine()}, {cpus} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def table(figures: list[Figure]) -> str:
    lines = ["| figure | value | bar | ok | note |", "|---|---|---|---|---|"]
    for f in figures:
        ok = "" if f.ok is None else ("yes" if f.ok else "**NO**")
        value = f"{f.value:,.3g}" if abs(f.value) < 100 else f"{f.value:,.0f}"
        lines.append(f"| {f.name} | {value} {f.unit} | {f.bar} | {ok} | {f.note} |")
    return "\n".join(lines)


def record(figures: list[Figure], command: str) -> None:
    run = (
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\nCommand: `{command}`  \nMachine: {machine()}\n\n"
        f"{table(figures)}\n"
    )
    if RESULTS.exists() and MARKER in RESULTS.read_text():
        head, tail = RESULTS.read_text().split(MARKER, 1)
        RESULTS.write_text(f"{head}{MARKER}\n\n{run}{tail}")
    else:
        RESULTS.write_text(
            "# Benchmark results\n\nProduced by `make bench` (`python -m bench`). Each figure is a median of "
            "several runs. Older runs stay below, so a regression is visible.\n\n"
            f"{MARKER}\n\n{run}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="names of bench modules to run (default: all)")
    parser.add_argument(
        "--no-record", action="store_true", help="print only; leave RESULTS.md alone"
    )
    args = parser.parse_args()
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"… {name}", file=sys.stderr, flush=True)
        figures.extend(module.run())
    print(table(figures))
    if not args.no_record:
        settings = " ".join(
            f"{k}={v}"
            for k, v in sorted(os.environ.items())
            if k.startswith(("BENCH_", "CONTEST_BENCH_"))
        )
        command = "make bench" if not args.only else f"python -m bench {' '.join(args.only)}"
        record(figures, f"{settings} {command}".strip())
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
