"""Rate limits per API key (or, for public endpoints, per client IP) and endpoint group.

Each exchange layer names its groups and their real figures (``bybit/limits`` and
``okx/limits`` tables); this module counts. A fixed window per (caller, group):
``limit`` requests per ``window_ms`` of wall time, the window starting at the
first request. ``scale`` multiplies every limit (admin ``POST /admin/limits``):
tests and benchmarks raise them, ``enabled=False`` turns counting off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    group: str
    limit: int
    window_ms: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # wall-clock epoch ms when the window ends


class RateLimits:
    def __init__(self, *, enabled: bool = True, scale: float = 1.0) -> None:
        self.enabled = enabled
        self.scale = scale
        self._windows: dict[tuple[str, str], list[int]] = {}  # -> [window start ms, count]

    def configure(self, *, enabled: bool | None = None, scale: float | None = None) -> None:
        if scale is not None:
            if not scale > 0:
                raise ValueError("scale must be positive")
            self.scale = float(scale)
        if enabled is not None:
            self.enabled = bool(enabled)
        self._windows.clear()

    def public(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "scale": self.scale}

    def hit(self, caller: str, rule: Rule, now_ms: int | None = None) -> Verdict:
        """Count one request of ``caller`` against ``rule``."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        limit = max(1, int(rule.limit * self.scale))
        if not self.enabled:
            return Verdict(True, limit, limit, now + rule.window_ms)
        key = (caller, rule.group)
        window = self._windows.get(key)
        if window is None or now >= window[0] + rule.window_ms:
            window = self._windows[key] = [now, 0]
        reset = window[0] + rule.window_ms
        if window[1] >= limit:
            return Verdict(False, limit, 0, reset)
        window[1] += 1
        return Verdict(True, limit, limit - window[1], reset)
