"""Real server processes for the test suite and the benchmarks: a free port, waiting until the
server answers, and stopping it with everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stderr_tail(proc: subprocess.Popen) -> str:
    """The end of what `proc` wrote to its piped standard error, once it has exited."""
    return proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""


def wait_until_up(
    proc: subprocess.Popen,
    base: str,
    seconds: float = 30,
    interval: float = 0.2,
    output: Callable[[], str] | None = None,
) -> None:
    """Return once GET `base`/healthz answers 200.

    Raises RuntimeError, with what `output` tells (by default the end of the process's piped
    standard error), if the process exits first or `seconds` pass without an answer.
    """
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            said = output() if output else stderr_tail(proc)
            raise RuntimeError(f"{base} exited with code {proc.returncode}: {said}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            said = output() if output else ""
            raise RuntimeError(f"{base} did not answer within {seconds:g} s {said}".rstrip())
        time.sleep(interval)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 10) -> None:
    """Send `sig` to the process group `proc` leads (started with start_new_session=True) and
    wait for it; a group still running after `seconds` is killed."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
