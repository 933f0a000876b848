"""argon2id login cost per core with the configured parameters (verify time, logins a second per core)."""

from __future__ import annotations

import statistics
import time

from bench import Figure

RUNS = 40


def run() -> list[Figure]:
    from contest.config import get_settings
    from contest.services import passwords

    s = get_settings()
    stored = passwords.hash_password("mat-khau-bi-mat")
    passwords.verify_password(stored, "mat-khau-bi-mat")  # warm up
    times = []
    cpu = []
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        assert passwords.verify_password(stored, "mat-khau-bi-mat")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    wall_ms = statistics.median(times) * 1000
    cpu_ms = statistics.median(cpu) * 1000
    params = (
        f"argon2id t={s.argon2_time_cost}, m={s.argon2_memory_kib / 1024:g} MiB, p={s.argon2_parallelism}; "
        f"at most {s.max_concurrent_hashes} hashes at once per process (CONTEST_MAX_CONCURRENT_HASHES)"
    )
    return [
        Figure(
            "argon2 verify (one login) with the configured parameters",
            wall_ms,
            "ms",
            "",
            None,
            f"{params}; median of {RUNS}, CPU {cpu_ms:.1f} ms",
        ),
        Figure(
            "argon2 logins per second per core",
            1000 / cpu_ms,
            "logins/s",
            "",
            None,
            f"{s.argon2_memory_kib / 1024 * s.max_concurrent_hashes:g} MiB of hashing memory per process at most",
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
