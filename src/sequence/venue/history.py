"""Market history both exchanges serve: candles at any minute multiple, 24 h stats, trades.

Built from the candles the venue has processed (``venue.candles``, 1-minute,
a week kept) and its recent trades (``venue.trades``). Every timestamp here
follows the market clock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from sequence.venue.feed import MINUTE_MS
from sequence.venue.model import ZERO, Market

if TYPE_CHECKING:  # the engine imports this module's constants
    from sequence.venue.base import Candle, VenueBase

DAY_MS = 24 * 60 * MINUTE_MS
FUNDING_INTERVAL_MS = 8 * 60 * MINUTE_MS


# A recent trade as served: (id, ms, price, qty in the market's unit, base qty, side).
Trade = tuple[str, int, Decimal, Decimal, Decimal, str]


class DayStats(TypedDict):
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal  # base coin
    turnover: Decimal  # quote coin


def klines(venue: VenueBase, minutes: int, *, start: int | None = None, end: int | None = None,
           limit: int = 200) -> list[Candle]:
    """Candles of ``minutes`` each, newest first: ``(ts, open, high, low, close, volume)``.

    A bucket starts at a multiple of its length (epoch-aligned, as the exchanges do) and
    holds the 1-minute candles processed so far, so the newest one may be incomplete.
    """
    size = minutes * MINUTE_MS
    buckets: dict[int, Candle] = {}  # insertion order: oldest first
    for ts, o, h, low, c, v in venue.candles:
        b = ts - ts % size
        if (start is not None and b + size <= start) or (end is not None and b > end):
            continue
        agg = buckets.get(b)
        if agg is None:
            buckets[b] = (b, o, h, low, c, v)
        else:
            buckets[b] = (b, agg[1], max(agg[2], h), min(agg[3], low), c, agg[5] + v)
    return list(reversed(buckets.values()))[:limit]


def day_stats(venue: VenueBase) -> DayStats:
    """Open 24 h ago, high, low and base volume over the last 24 h of processed candles."""
    now = venue.now()
    rows = [r for r in venue.candles if r[0] >= now - DAY_MS]
    last = venue.last_price
    if not rows:
        return {"open": last, "high": last, "low": last, "volume": ZERO, "turnover": ZERO}
    return {"open": rows[0][1], "high": max(r[2] for r in rows), "low": min(r[3] for r in rows),
            "volume": sum((r[5] for r in rows), ZERO),
            "turnover": sum((r[5] * r[4] for r in rows), ZERO)}


def recent_trades(venue: VenueBase, market: Market, limit: int) -> list[Trade]:
    """The market's recent trades, newest first: ``(id, ts, price, qty, base qty, side)``."""
    out: list[Trade] = []
    for t in reversed(venue.trades):
        if t[2] == market.key:
            out.append((t[0], t[1], t[3], t[4], t[5], t[6]))
            if len(out) >= limit:
                break
    return out


def next_funding_ms(market_ms: int) -> int:
    """The next funding time (00:00, 08:00, 16:00 UTC) strictly after ``market_ms``."""
    return (market_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS

