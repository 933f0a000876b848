"""Run a coroutine to completion from a test, whatever this thread is doing.

Playwright's synchronous API keeps an event loop running in the main thread for the whole
browser session, so a test that shares a process with the browser tests cannot call
`asyncio.run` there ("cannot be called from a running event loop"): the coroutine gets a fresh
loop in a thread of its own instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
