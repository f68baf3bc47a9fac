"""Waiting for something in a test: poll with a deadline, never sleep a fixed time.

A fixed sleep is either too short (a flaky test on a busy machine) or too long (a slow suite);
polling returns as soon as the condition holds and fails with what was awaited and what was
last seen once the deadline passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05,
    what: str | Callable[[], str] = "", diagnostics: Callable[[], str] | None = None,
) -> T:
    """The first truthy value of `check()`, called every `interval` seconds.

    Raises AssertionError naming `what` and the last value once `timeout` seconds have passed,
    followed by what `diagnostics()` returns (a worker's log tail, say). `what` may be a callable,
    evaluated then. `check` runs once more after the deadline, so a slow last call is not held
    against it.
    """
    deadline = time.monotonic() + timeout
    while True:
        last_pass = time.monotonic() >= deadline
        value = check()
        if value:
            return value
        if last_pass:
            label = (what() if callable(what) else what) or getattr(check, "__name__", "a condition")
            extra = f"\n{diagnostics()}" if diagnostics is not None else ""
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {label}; last value: {value!r}{extra}")
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
