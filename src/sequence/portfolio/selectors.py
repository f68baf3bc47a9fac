"""A bot's results in its unit of account: cycles from its fills ledger, its equity curve.

The figures come from :mod:`sequence.metrics` over the engine's fills (read through
``sequence.trading.selectors``), in Decimal: a cycle's PnL is what its fills moved, net of
their fees, as the exchange booked them. Funding is not in the engine's fills ledger, so
a cycle's funding is 0 here (the exchange's funding rows are not read yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sequence.metrics.cycles import (
    Cycle,
    MetricFill,
    OpenPosition,
    SideStats,
    build_cycles,
    open_positions,
    side_stats,
)  # fmt: skip
from sequence.metrics.returns import Returns, returns
from sequence.portfolio.models import EquityPoint
from sequence.portfolio.services import snapshot, unit_of
from sequence.trading import selectors as trading

ZERO = Decimal(0)


@dataclass(frozen=True)
class Performance:
    bot: object
    unit: str  # the unit of account's currency (USDT, BTC)
    unit_is_coin: bool
    contract: str
    fills: list  # trading Fill rows, oldest first
    metric_fills: list[MetricFill]
    cycles: list[Cycle]
    stats: list[SideStats]
    open: list[OpenPosition]
    points: list[EquityPoint]
    returns: Returns | None
    equity: Decimal | None
    price: Decimal | None

    @property
    def metric_unit(self) -> str:
        return "coin" if self.unit_is_coin else "quote"

    @property
    def closed(self) -> list[Cycle]:
        return [c for c in self.cycles if c.ending is not None]

    @property
    def realised(self) -> Decimal:
        """Closed cycles' PnL net of fees, in the unit."""
        return sum((c.pnl(self.metric_unit) for c in self.closed), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((c.fees(self.metric_unit) for c in self.closed), ZERO)


def metric_fills_of(bot, fills) -> list[MetricFill]:
    """The ledger as metric fills: the exchange's trade id kept, fees labelled coin or quote."""
    coin = bot.offering.symbol.split("/")[0].upper()
    out = []
    for f in fills:
        if not f.side:
            continue  # a foreign fill with no side of ours moves no cycle
        fee = f.fee or ZERO
        out.append(MetricFill(
            ts_ms=int(f.executed_at.timestamp() * 1000), side=f.side,
            kind=f.kind if f.kind and not f.foreign else "manual", buy=f.buy, price=f.price,
            qty=f.qty, fee=fee, fee_in="coin" if f.fee_currency.upper() == coin else "quote",
            trade_id=f.trade_id, cycle=f.cycle,
        ))  # fmt: skip
    return out


def performance(bot) -> Performance:
    unit, is_coin = unit_of(bot)
    contract = "inverse" if bot.offering.market_kind == "inverse" else "linear"
    spot = bot.offering.market_kind == "spot"
    fills = trading.bot_fills(bot)
    mfills = metric_fills_of(bot, fills)
    cycles = build_cycles(mfills, contract=contract, spot=spot)
    engine, sides = trading.bot_engine_state(bot)
    snap = snapshot(bot, engine, sides)
    mu = "coin" if is_coin else "quote"
    points = list(EquityPoint.objects.filter(bot=bot).order_by("at", "pk"))
    series = [(int(p.at.timestamp() * 1000), float(p.equity)) for p in points]
    measured = returns([t for t, _ in series], [e for _, e in series]) if len(series) > 1 else None
    price = snap.price if snap else None
    return Performance(
        bot=bot, unit=unit, unit_is_coin=is_coin, contract=contract, fills=fills,
        metric_fills=mfills, cycles=cycles, stats=side_stats(cycles, mu),
        open=open_positions(cycles, contract=contract, unit=mu, mark=price) if price else [],
        points=points, returns=measured, equity=snap.equity if snap else None, price=price,
    )  # fmt: skip
