"""A bot's results in its unit of account: cycles from its fills ledger, its equity curve.

The figures come from :mod:`sequence.metrics` over the engine's fills (read through
``sequence.trading.selectors``), in Decimal: a cycle's PnL is what its fills moved, net of
their fees, as the exchange booked them, plus the funding its position paid or received.

Funding is the exchange's ledger rows the engine recorded (``trading.selectors.bot_funding``),
each given to the cycle of the side whose position paid it, open at its time. A payment in
the unit of account counts as it is; one in the other currency of the market (a USDT payment
of a BTC book) at the market's price when the engine read it. A payment whose side is not
known, or of a side that was flat, belongs to no cycle: it is in :attr:`Performance.funding`
(and so in the account's figures) but in no cycle's PnL.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sequence.metrics.cycles import (
    Cycle,
    Funding,
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
    funding: list[Funding]  # every payment, in the unit of account, oldest first

    @property
    def metric_unit(self) -> str:
        return "coin" if self.unit_is_coin else "quote"

    @property
    def spot_in_coin(self) -> bool:
        """A BTC-base spot book: its cycles may leave USDT over (reported beside the PnL)."""
        return self.unit_is_coin and self.bot.offering.market_kind == "spot"

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

    @property
    def funding_closed(self) -> Decimal:
        """The closed cycles' funding (in :attr:`realised`), in the unit."""
        return sum((c.funding for c in self.closed), ZERO)

    @property
    def funding_total(self) -> Decimal:
        """Every funding payment recorded, in the unit: closed cycles', open ones', and those
        of no cycle."""
        return sum((f.amount for f in self.funding), ZERO)

    @property
    def funding_outside(self) -> Decimal:
        """Funding that belongs to no cycle (its side not known, or flat at its time)."""
        return self.funding_total - sum((c.funding for c in self.cycles), ZERO)


def funding_of(bot, payments) -> list[Funding]:
    """The engine's funding payments in the unit of account (see the module); a payment in a
    currency the market does not price is left out.

    Example: a USDT-base book paid 0.5 USDT -> -0.5; a BTC book received 2 USDT read at a
    price of 20,000 -> 0.0001 BTC."""
    unit, is_coin = unit_of(bot)
    coin, _, rest = bot.offering.symbol.partition("/")
    quote, _, settle = rest.partition(":")
    out = []
    for pay in payments:
        cur = pay.currency.upper()
        if cur == unit.upper():
            amount = pay.amount
        elif pay.price and is_coin and cur in (quote.upper(), settle.upper()):
            amount = pay.amount / pay.price
        elif pay.price and not is_coin and cur == coin.upper():
            amount = pay.amount * pay.price
        else:
            continue
        out.append(Funding(ts_ms=pay.ms, side=pay.side, amount=amount))
    return out


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
    funding = funding_of(bot, trading.bot_funding(bot))
    cycles = build_cycles(mfills, contract=contract, spot=spot, funding=funding)
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
        funding=funding,
    )  # fmt: skip
