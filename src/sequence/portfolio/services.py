"""Recording each stepping bot's equity: hourly, and at every cycle close (a take-profit fill).

The periodic job (:mod:`.tasks`, every minute) calls :func:`record_equity_points`. A close
is recorded by the first run after its fill, so within a minute of it, with the engine's
snapshot of that time; an hourly point once per hour. Times are the exchange's (the
engine's market time: the wall clock on a real exchange, the replayed candles' time on the
simulator). Each point is unique per (bot, key), so a job run twice (at-least-once) records
nothing twice. A close first seen more than :data:`CLOSE_LOOKBACK` after its fill (the job
was down) gets no point: today's equity would be drawn where it never was; the cycle itself
is still in the table, which is computed from the fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from sequence.portfolio.models import EquityPoint
from sequence.trading import selectors as trading

ZERO = Decimal(0)
# a close older than this when first seen (a bot whose points start now) is not backdated
# with today's equity: it would draw a point that never was
CLOSE_LOOKBACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Snapshot:
    equity: Decimal
    unit: str
    usd: Decimal
    price: Decimal
    balance: Decimal


def unit_of(bot) -> tuple[str, bool]:
    """(the unit's currency, whether it is the coin): the strategy's base currency."""
    unit = bot.offering.strategy.base_currency
    coin = bot.offering.symbol.split("/")[0]
    return unit, unit.upper() == coin.upper() or bot.offering.market_kind == "inverse"


def snapshot(bot, engine, sides) -> Snapshot | None:
    """Equity in the unit of account from the engine's last read: balance + unrealised PnL.

    Unrealised, per side of size q at entry E, last price P (s = +1 long, -1 short)::

        linear, spot:  s q (P - E)            (quote)
        inverse:       s q (1/E - 1/P)        (coin; q in USD contracts)
        BTC-base spot: s q (1/E - 1/P)        (coin; q the USDT the short side holds)

    A coin unit on a linear market counts the quote PnL at P. Spot's balance already holds
    the coins at cost (the engine's B), so its unrealised PnL is the same formula: for a BTC
    base, B holds the USDT at cost (q/E), and the equity is the BTC held plus q/P.
    Example (linear long): balance 1,000, 0.1 BTC at 20,000, P 21,000 -> 1,000 + 100 = 1,100.
    Example (BTC-base spot): B = 1 BTC, of which 200 USDT from a sale of 0.01 BTC at 20,000
    (0.99 BTC held); at P 19,000 -> 1 - 200 (1/20,000 - 1/19,000) = 0.99 + 200/19,000
    = 1.000526... BTC.
    """
    if engine is None or engine.balance is None or not engine.last_price:
        return None
    price = engine.last_price
    unit, coin = unit_of(bot)
    # sizes in quote, PnL in the coin: inverse contracts, and the short side of a BTC-base spot book
    in_coin = bot.offering.market_kind == "inverse" or (bot.offering.market_kind == "spot" and coin)
    upl = ZERO
    for s in sides:
        if s.size <= 0 or not s.entry_price:
            continue
        sign = 1 if s.side == "long" else -1
        upl += sign * s.size * ((1 / s.entry_price - 1 / price) if in_coin else (price - s.entry_price))
    equity = engine.balance + (upl / price if coin and not in_coin else upl)
    return Snapshot(equity=equity, unit=unit, usd=equity * price if coin else equity, price=price,
                    balance=engine.balance)


def _point(bot, snap: Snapshot, kind: str, key: str, at: datetime, now: datetime) -> EquityPoint:
    return EquityPoint(bot=bot, kind=kind, key=key, at=at, equity=snap.equity, unit=snap.unit,
                       usd=snap.usd, price=snap.price, balance=snap.balance, recorded_at=now)


def record_equity_points(*, now: datetime) -> int:
    """One hourly point per stepping bot and hour, one close point per new take-profit fill."""
    points = []
    for bot, engine, sides in trading.bots_stepping():
        snap = snapshot(bot, engine, sides)
        if snap is None:
            continue
        market = datetime.fromtimestamp(engine.last_market_ms / 1000, tz=UTC) if engine.last_market_ms else now
        hour = market.replace(minute=0, second=0, microsecond=0)
        points.append(_point(bot, snap, EquityPoint.Kind.HOURLY, f"h:{hour.isoformat()}", hour, now))
        last = (EquityPoint.objects.filter(bot=bot, kind=EquityPoint.Kind.CLOSE)
                .order_by("-at").values_list("at", flat=True).first())
        since = max(last, market - CLOSE_LOOKBACK) if last else market - CLOSE_LOOKBACK
        for fill in trading.take_profit_fills_since(bot, since):
            points.append(_point(bot, snap, EquityPoint.Kind.CLOSE, f"c:{fill.trade_id}",
                                 fill.executed_at, now))
    with transaction.atomic():
        keys = {(p.bot_id, p.key) for p in points}
        seen = set(EquityPoint.objects.filter(bot_id__in={b for b, _ in keys}, key__in={k for _, k in keys})
                   .values_list("bot_id", "key"))
        new = [p for p in points if (p.bot_id, p.key) not in seen]
        # a concurrent run may insert the same key in between: the constraint keeps one
        EquityPoint.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
