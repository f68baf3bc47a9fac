"""Server time offset per exchange: the median of a few samples, resynced on timestamp errors."""

from __future__ import annotations

import statistics
import threading
from collections.abc import Awaitable, Callable

__all__ = ["ServerClock", "server_clock_for"]


class ServerClock:
    """Holds ``offset_ms = server - local``; ccxt wants ``timeDifference = local - server``."""

    def __init__(self) -> None:
        self.offset_ms: int = 0
        self.synced = False

    async def sync(self, fetch_server_ms: Callable[[], Awaitable[int]],
                   local_ms: Callable[[], int], samples: int = 5) -> int:
        offsets = []
        for _ in range(samples):
            before = local_ms()
            server = await fetch_server_ms()
            after = local_ms()
            offsets.append(int(server) - (before + after) // 2)
        self.offset_ms = int(statistics.median(offsets))
        self.synced = True
        return self.offset_ms

    @property
    def time_difference(self) -> int:
        return -self.offset_ms


_CLOCKS: dict[str, ServerClock] = {}
_LOCK = threading.Lock()


def server_clock_for(key: str) -> ServerClock:
    with _LOCK:
        return _CLOCKS.setdefault(key, ServerClock())
