"""1-minute candles built from a real exchange's public replies (no I/O here: pure data).

:class:`CandleBuilder` takes what a poller brings, ccxt's unified shapes (``fetch_ohlcv``
rows ``[ms, open, high, low, close, volume]`` and ``fetch_ticker`` last prices), checks each
value, and hands out, in minute order, the candles that are complete. The rules:

- **A kline row is final** when the same reply holds a later minute (a real exchange's
  newest row is the minute in progress, still moving), when it was fetched ``settle_ms``
  after its minute ended, or when a later minute's row is final. Only final rows are handed
  out; a row fetched again replaces the one held until then.
- **Bad rows are dropped and counted**: not six numbers, a price that is not finite and
  positive, a high below the open, close or low, a low above them, a negative volume, a
  start off the minute or in the future.
- **Ticks** (last prices, each at the ticker's time or, as Bybit's ticker carries none, the
  time it was fetched) build a stand-in candle for a minute the klines did not bring: it is
  handed out only while the klines fail and the ticker works (a tick of a later minute
  came), once that minute ended ``tick_wait_ms`` ago (the klines had time to come), or when
  a later kline shows the exchange has no row for it. Its volume is None (no volume cap).
  During a whole outage nothing is handed out: the klines fill it in when they are back.
- **A gap** (minutes with neither a row nor a tick, while a later final row exists) is
  skipped: no candle is invented, so the venue keeps the last price through it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sequence.venue.feed import MINUTE_MS

# A built candle, as the venue consumes it: (start ms, open, high, low, close, volume | None).
LiveCandle = tuple[int, float, float, float, float, float | None]


def as_number(value: object) -> float | None:
    """A finite float, or None (ccxt gives floats or None; a bool is not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _start_ms(value: object) -> int | None:
    """A minute's start in epoch ms, or None."""
    x = as_number(value)
    if x is None or x != int(x) or x < 0:
        return None
    ms = int(x)
    return ms if ms % MINUTE_MS == 0 else None


def parse_ohlcv_row(row: object, *, fetched_ms: int) -> LiveCandle | None:
    """One ``fetch_ohlcv`` row as a candle, or None if anything in it is wrong."""
    if not isinstance(row, (list, tuple)) or len(row) < 5:
        return None
    ts = _start_ms(row[0])
    prices = [as_number(v) for v in row[1:5]]
    if ts is None or ts > fetched_ms or any(p is None or p <= 0 for p in prices):
        return None
    o, h, low, c = (float(p) for p in prices if p is not None)
    if h < max(o, c, low) or low > min(o, c):
        return None
    volume = as_number(row[5]) if len(row) > 5 and row[5] is not None else None
    if len(row) > 5 and row[5] is not None and (volume is None or volume < 0):
        return None
    return (ts, o, h, low, c, volume)


@dataclass
class _Ticks:
    open: float
    high: float
    low: float
    close: float

    def add(self, price: float) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price


class CandleBuilder:
    """Complete 1-minute candles from kline rows and ticks, from the minute of ``start_ms`` on.

    ``next_ms`` is the start of the next minute to hand out; nothing before it is taken in.
    Counters for the feed's health: ``rejected`` (bad rows and ticks), ``gap_minutes``
    (minutes skipped for lack of data), ``from_ticks`` (candles built from ticks).
    """

    def __init__(self, start_ms: int, *, settle_ms: int = 2_000, tick_wait_ms: int = 15_000) -> None:
        self.next_ms = start_ms - start_ms % MINUTE_MS
        self.settle_ms = settle_ms
        self.tick_wait_ms = tick_wait_ms
        self.rejected = 0
        self.gap_minutes = 0
        self.from_ticks = 0
        self.newest_ms: int | None = None  # the start of the newest minute any data came for
        self._rows: dict[int, tuple[LiveCandle, bool]] = {}  # minute -> (candle, final)
        self._ticks: dict[int, _Ticks] = {}

    def add_ohlcv(self, rows: Iterable[object], *, fetched_ms: int) -> int:
        """Take one ``fetch_ohlcv`` reply (fetched at ``fetched_ms``); returns how many of its
        rows were good (rows before ``next_ms`` count as good but are not kept)."""
        good: list[LiveCandle] = []
        for row in rows:
            candle = parse_ohlcv_row(row, fetched_ms=fetched_ms)
            if candle is None:
                self.rejected += 1
            else:
                good.append(candle)
        if not good:
            return 0
        latest = max(c[0] for c in good)
        for candle in good:
            ts = candle[0]
            if ts < self.next_ms:
                continue
            final = ts < latest or fetched_ms >= ts + MINUTE_MS + self.settle_ms
            held = self._rows.get(ts)
            self._rows[ts] = (candle, final or (held is not None and held[1]))
        self._saw(latest)
        return len(good)

    def add_tick(self, price: object, *, at_ms: int) -> bool:
        """Take a last price seen at ``at_ms``; False if it is not a positive finite number."""
        p = as_number(price)
        if p is None or p <= 0:
            self.rejected += 1
            return False
        minute = at_ms - at_ms % MINUTE_MS
        if minute < self.next_ms:
            return True  # that minute was handed out already
        ticks = self._ticks.get(minute)
        if ticks is None:
            self._ticks[minute] = _Ticks(p, p, p, p)
        else:
            ticks.add(p)
        self._saw(minute)
        return True

    def _saw(self, minute: int) -> None:
        if self.newest_ms is None or minute > self.newest_ms:
            self.newest_ms = minute

    def take(self, now_ms: int) -> list[LiveCandle]:
        """The candles of the minutes ended by ``now_ms`` that can be handed out, in order."""
        out: list[LiveCandle] = []
        last_final = max((ts for ts, (_, final) in self._rows.items() if final), default=None)
        last_tick = max(self._ticks, default=None)
        while self.next_ms + MINUTE_MS <= now_ms:
            m = self.next_ms
            held = self._rows.get(m)
            later = last_final is not None and last_final > m  # the exchange is past m
            ticking = last_tick is not None and last_tick > m  # the ticker answered since
            ticks = self._ticks.get(m)
            if held is not None and (held[1] or later):
                out.append(held[0])
            elif ticks is not None and (later or (
                    ticking and now_ms >= m + MINUTE_MS + self.tick_wait_ms)):
                out.append((m, ticks.open, ticks.high, ticks.low, ticks.close, None))
                self.from_ticks += 1
            elif held is None and later:  # the exchange has nothing for m: skip the gap
                nxt = min([ts for ts in self._rows if ts > m] + [t for t in self._ticks if t > m])
                self.gap_minutes += (nxt - m) // MINUTE_MS
                self.next_ms = nxt
                continue
            else:
                break  # not final yet: wait for the next reply
            self.next_ms = m + MINUTE_MS
        for ts in [ts for ts in self._rows if ts < self.next_ms]:
            del self._rows[ts]
        for ts in [ts for ts in self._ticks if ts < self.next_ms]:
            del self._ticks[ts]
        return out
