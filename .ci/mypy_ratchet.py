"""mypy with a ratchet: fail when the error count rises above .ci/mypy-baseline.txt.

The baseline records the total and, to point at the culprit, the count per file. The total is
what is enforced (code moves between files while several people refactor at once):
- more errors than the baseline: fail and show the files that gained errors;
- fewer: fail too, asking to lower the baseline with `make mypy-baseline`, so it only goes down;
- `--update` rewrites the baseline, and refuses when the total went up.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


def run_mypy() -> tuple[Counter[str], list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [line for line in proc.stdout.splitlines() if ERROR.match(line)]
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not lines):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mypy did not run (exit {proc.returncode})")
    return Counter(ERROR.match(line)["path"] for line in lines), lines  # type: ignore[index]


def read_baseline() -> tuple[int, dict[str, int]]:
    total, per_file = 0, {}
    for line in BASELINE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        count, name = line.split(maxsplit=1)
        if name == "total":
            total = int(count)
        else:
            per_file[name] = int(count)
    return total, per_file


def write_baseline(counts: Counter[str]) -> None:
    body = [
        "# mypy errors allowed (see .ci/mypy_ratchet.py); lower with `make mypy-baseline`.",
        f"{sum(counts.values())} total",
        *(f"{counts[name]} {name}" for name in sorted(counts)),
    ]
    BASELINE.write_text("\n".join(body) + "\n")


def main(argv: list[str]) -> int:
    counts, lines = run_mypy()
    total = sum(counts.values())
    allowed, per_file = read_baseline() if BASELINE.exists() else (0, {})
    if "--update" in argv:
        if BASELINE.exists() and total > allowed:
            print(f"mypy: {total} errors, more than the {allowed} allowed; fix them first.")
            return 1
        write_baseline(counts)
        print(f"mypy: baseline set to {total} errors.")
        return 0
    if total > allowed:
        print(f"mypy: {total} errors, more than the {allowed} allowed by {BASELINE.name}.")
        grown = {name for name, n in counts.items() if n > per_file.get(name, 0)}
        for line in lines:
            if ERROR.match(line)["path"] in grown:  # type: ignore[index]
                print(line)
        return 1
    if total < allowed:
        print(
            f"mypy: {total} errors, fewer than the {allowed} allowed: "
            "run `make mypy-baseline` and commit .ci/mypy-baseline.txt so the count stays down."
        )
        return 1
    print(f"mypy: {total} errors, as the baseline allows (the aim is 0).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
