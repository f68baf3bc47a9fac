"""Process-wide async token buckets, one per (exchange, egress IP, host), shared by every adapter.

ccxt throttles per instance (one account: its per-endpoint costs); hundreds of accounts on one
IP need one shared budget besides, counted in requests. The host keeps a simulated exchange's
requests (paper trading) off the real exchange's budget.
The bucket reserves tokens synchronously (no await between read and write, plus a thread
lock), so it is safe across tasks, event loops and threads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket", "rate_limiter_for", "reset_rate_limiters"]


class TokenBucket:
    def __init__(self, rate_per_second: float, capacity: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_second <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = float(rate_per_second)
        self.capacity = float(capacity)
        self._clock = clock
        self._tokens = float(capacity)
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens (going into debt if needed); return the seconds to wait."""
        cost = max(float(cost), 0.0)
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= cost
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self, cost: float = 1.0) -> None:
        wait = self.reserve(cost)
        if wait > 0:
            await asyncio.sleep(wait)


_BUCKETS: dict[tuple[str, str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def rate_limiter_for(exchange: str, egress_ip: str, *, rate_per_second: float,
                     capacity: float, host: str = "") -> TokenBucket:
    """The shared bucket for this exchange, egress IP and host (created on first use)."""
    key = (exchange, egress_ip or "default", host)
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None:
            bucket = _BUCKETS[key] = TokenBucket(rate_per_second, capacity)
        return bucket


def reset_rate_limiters() -> None:
    with _BUCKETS_LOCK:
        _BUCKETS.clear()
