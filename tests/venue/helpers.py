"""A hand-written candle feed for in-process venue tests, and a venue on it."""

from __future__ import annotations

from sequence.venue.engine import Venue
from sequence.venue.feed import MINUTE_MS, MarketClock
from sequence.venue.profile import MarketProfile


class ListFeed:
    """Candles given by hand: (open, high, low, close[, volume]) per minute from ``start``."""

    def __init__(self, first_open: float, candles: list[tuple], start: int = 0) -> None:
        self._first = first_open
        self._rows = [(start + i * MINUTE_MS, *c) for i, c in enumerate(candles)]
        self._cursor = 0
        self.start_ms = start

    def describe(self):
        return {"kind": "list"}

    def first_open(self):
        return self._first

    def next_start_ms(self):
        return self._rows[self._cursor][0] if self._cursor < len(self._rows) else None

    def candles_until(self, ms):
        out = []
        while self._cursor < len(self._rows) and self._rows[self._cursor][0] + MINUTE_MS <= ms:
            out.append(self._rows[self._cursor])
            self._cursor += 1
        return out


def make_venue(candles, *, first=100.0, profile=None, usdt="10000", btc="0", start=0):
    """A paused venue on ``candles`` and one funded account."""
    v = Venue(ListFeed(first, candles, start), MarketClock(start, speed=0),
              profile=profile if profile is not None else MarketProfile())
    a = v.create_account("t")
    v.fund(a.id, "USDT", usdt, wallet="trading")
    if btc != "0":
        v.fund(a.id, "BTC", btc, wallet="trading")
    return v, a
