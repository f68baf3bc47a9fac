"""One clock seam: the engine, the simulated exchange's feed and tests read time through it.

``SystemClock`` is the wall clock; ``ManualClock`` is set and advanced by hand (tests,
lock-step parity runs). Times are epoch milliseconds (int) or aware UTC datetimes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock", "from_ms", "to_ms"]


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@runtime_checkable
class Clock(Protocol):
    def now_ms(self) -> int: ...

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start_ms: int = 0) -> None:
        self._ms = int(start_ms)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._ms

    def now(self) -> datetime:
        return from_ms(self.now_ms())

    def monotonic(self) -> float:
        return self.now_ms() / 1000.0

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._ms += int(ms)
            return self._ms

    def set(self, ms: int) -> None:
        with self._lock:
            if ms < self._ms:
                raise ValueError("a clock does not go back")
            self._ms = int(ms)
