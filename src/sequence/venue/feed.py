"""Price feeds and the market clock of the simulated exchange.

A feed is a sequence of 1-minute candles ``(ts_ms, open, high, low, close, volume)``:
either replayed from a candle file (:class:`CandleFeed`) or a seeded random walk
(:class:`RandomWalkFeed`). The :class:`MarketClock` maps wall time to market time
and may run faster than real time (``speed``), be paused (``speed=0``) or be
stepped by hand (:meth:`MarketClock.advance`).

By default a replayed file is *rebased*: its first candle starts at the current
wall-clock minute, so that at speed 1 the market clock equals the wall clock and
record timestamps look real. Prices are the file's, unchanged.
"""

from __future__ import annotations

import math
import random
import threading
import time
from datetime import datetime
from typing import Any

from sequence.core.candles import load_rows
from sequence.core.clock import Clock, SystemClock, from_ms

MINUTE_MS = 60_000

# A feed's candle, as read or drawn: (ts ms, open, high, low, close, volume).
FeedCandle = tuple[int, float, float, float, float, float]
# What the venue accepts from any feed: the volume may be missing or None (no volume cap).
AnyFeedCandle = FeedCandle | tuple[int, float, float, float, float] | tuple[
    int, float, float, float, float, float | None]


class CandleFeed:
    """Replays a candle file; after its last row the price holds at the last close."""

    def __init__(self, path: str, *, rebase: bool = True, now_ms: int | None = None) -> None:
        rows = load_rows(path)
        if not rows:
            raise ValueError(f"{path}: no candles")
        self.path = str(path)
        offset = 0
        if rebase:
            now = int(time.time() * 1000) if now_ms is None else now_ms
            offset = (now // MINUTE_MS) * MINUTE_MS - rows[0][0]
        self._rows = [(r[0] + offset, r[1], r[2], r[3], r[4], r[5]) for r in rows]
        self.start_ms = self._rows[0][0]
        self.end_ms = self._rows[-1][0] + MINUTE_MS
        self._cursor = 0

    def describe(self) -> dict[str, Any]:
        return {"kind": "candles", "path": self.path, "rows": len(self._rows),
                "start_ms": self.start_ms, "end_ms": self.end_ms}

    def first_open(self) -> float:
        return self._rows[0][1]

    def next_start_ms(self) -> int | None:
        """The start of the next candle not returned yet (None after the file's end)."""
        return self._rows[self._cursor][0] if self._cursor < len(self._rows) else None

    def candles_until(self, market_ms: int) -> list[FeedCandle]:
        """Candles completed by ``market_ms`` and not returned before (in order)."""
        out: list[FeedCandle] = []
        rows = self._rows
        i = self._cursor
        while i < len(rows) and rows[i][0] + MINUTE_MS <= market_ms:
            out.append(rows[i])
            i += 1
        self._cursor = i
        return out


class RandomWalkFeed:
    """A seeded geometric random walk of 1-minute candles starting at ``price``.

    Each candle draws 4 log-returns (sigma per step ``vol``) and takes open,
    high, low, close from the path; the next candle opens at the close.
    Deterministic for a given ``seed``.
    """

    def __init__(self, *, seed: int = 1, price: float = 30000.0, vol: float = 0.0008,
                 start_ms: int | None = None) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self._vol_rng = random.Random(seed + 1)  # noqa: S311 - apart: prices stay as they were
        self._price = price
        self._first = price
        self._vol = vol
        now = int(time.time() * 1000) if start_ms is None else start_ms
        self.start_ms = (now // MINUTE_MS) * MINUTE_MS
        self._next_ts = self.start_ms
        self.seed = seed

    def describe(self) -> dict[str, Any]:
        return {"kind": "random_walk", "seed": self.seed, "start_ms": self.start_ms}

    def first_open(self) -> float:
        return self._first

    def next_start_ms(self) -> int:
        return self._next_ts

    def candles_until(self, market_ms: int) -> list[FeedCandle]:
        out: list[FeedCandle] = []
        while self._next_ts + MINUTE_MS <= market_ms:
            o = p = self._price
            hi = lo = o
            for _ in range(4):
                p *= math.exp(self._rng.gauss(0.0, self._vol))
                hi = max(hi, p)
                lo = min(lo, p)
            c = round(p, 2)
            volume = round(self._vol_rng.lognormvariate(0.5, 0.6), 6)  # about 2 a minute
            out.append((self._next_ts, round(o, 2), round(hi, 2), round(lo, 2), c, volume))
            self._price = c
            self._next_ts += MINUTE_MS
        return out


class MarketClock:
    """Market time in ms: ``market0 + (wall - wall0) * speed`` plus manual steps.

    A :class:`sequence.core.clock.Clock` (the platform's one clock seam): its wall side is the
    ``wall`` clock given (default the system's), so a test drives venue and engine with one
    :class:`~sequence.core.clock.ManualClock`.
    """

    def __init__(self, start_ms: int, speed: float = 1.0, *, wall: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._wall = wall or SystemClock()
        self._market0 = float(start_ms)
        self._wall0 = self._wall.monotonic()
        self._speed = float(speed)

    def now(self) -> datetime:
        return from_ms(self.now_ms())

    def monotonic(self) -> float:
        return self.now_ms() / 1000.0

    def __getstate__(self) -> dict[str, Any]:
        return {"market": self.now_ms(), "speed": self._speed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a restored clock runs on the system wall clock from the saved market time
        MarketClock.__init__(self, state["market"], state["speed"])

    @property
    def speed(self) -> float:
        return self._speed

    def now_ms(self) -> int:
        with self._lock:
            return int(self._market0 + (self._wall.monotonic() - self._wall0) * 1000 * self._speed)

    def set_speed(self, speed: float) -> None:
        if speed < 0 or not math.isfinite(speed):
            raise ValueError("speed must be a finite number >= 0")
        with self._lock:
            now = self._wall.monotonic()
            self._market0 += (now - self._wall0) * 1000 * self._speed
            self._wall0 = now
            self._speed = float(speed)

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("the market clock never goes back")
        with self._lock:
            self._market0 += ms

    def set_time(self, market_ms: int) -> None:
        with self._lock:
            now = self._market0 + (self._wall.monotonic() - self._wall0) * 1000 * self._speed
            if market_ms < now:
                raise ValueError("the market clock never goes back")
            self._market0 = float(market_ms)
            self._wall0 = self._wall.monotonic()
