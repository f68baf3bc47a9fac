"""One rounding rule for every order the platform sends (and the backtester simulates).

Exchanges accept prices on a tick grid and quantities on a lot grid, and refuse
orders below a minimum quantity or notional. The rule, in ``Decimal``:

- quantity: **down** to the lot (never more than the strategy asked for);
- price of a **buy**: **down** to the tick; price of a **sell**: **up** to the tick.
  So a long entry or DCA level (buys) rests at or below the strategy's price, a
  long take-profit (a sell) at or above it; the short side mirrors. Every
  rounding is in the strategy's favour: it never pays more or sells for less.

A float from the strategy (``decide()`` computes in float64) becomes a Decimal
through :func:`to_decimal` (the shortest repr, so ``19800.000000000004`` stays
that and rounds down to ``19800.00``, and ``0.1`` is ``0.1``, not its binary
expansion). The live engine and the backtester both call :func:`round_order`, so
both see the same grid.

Hand-computed, tick 0.10 and lot 0.001: a long DCA at 19876.54321 for
0.0123456 BTC becomes a buy of 0.012 at 19876.50; a long take-profit at
20100.01 becomes a sell at 20100.10; a short entry (a sell) at 20000.05 stays
20000.10 (up), quantity 0.0049999 becomes 0.004.

Spot with a coin base (``qty_in_quote``): the strategy sizes in the quote currency (a
short side selling BTC for USDT) while the market's lot and minimum quantity are in the
coin. The quantity is rounded **as coin at the rounded price**, down to the lot, and given
back in quote (``coin x price``), so it converts to a whole number of lots exactly.
Hand-computed, tick 0.01 and lot 0.000001: a sell of 200 USDT at 19999.99 is
``200/19999.99 = 0.0100000050...`` BTC, down to 0.010000 BTC, i.e. 199.9999 USDT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

__all__ = ["ZERO", "Precision", "RoundedOrder", "round_order", "to_decimal"]

ZERO = Decimal(0)


_Number = float | int | str | Decimal


def to_decimal(value: _Number) -> Decimal:
    """A Decimal of a float's shortest repr (not its exact binary expansion)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _down(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _up(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


@dataclass(frozen=True, slots=True)
class Precision:
    """A market's grid and minimums. ``None`` (or 0) means "no such rule"."""

    tick: Decimal | None = None
    lot: Decimal | None = None
    min_qty: Decimal | None = None
    min_notional: Decimal | None = None
    # Inverse contracts: quantity is in quote (USD) contracts; the notional in quote is the qty.
    qty_is_notional: bool = False
    # Coin-base spot: the strategy's quantity is in quote, the lot and min_qty in the coin
    # (round_order converts at the order's price; see the module)
    qty_in_quote: bool = False

    def __post_init__(self) -> None:
        for name in ("tick", "lot", "min_qty", "min_notional"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, Decimal) or v < 0 or not v.is_finite()):
                raise ValueError(f"{name} must be a non-negative Decimal, got {v!r}")

    @classmethod
    def of(cls, *, tick: _Number | None = None, lot: _Number | None = None,
           min_qty: _Number | None = None, min_notional: _Number | None = None,
           qty_is_notional: bool = False) -> Precision:
        def d(v: _Number | None) -> Decimal | None:
            return None if v in (None, "", 0) else to_decimal(v)

        return cls(d(tick), d(lot), d(min_qty), d(min_notional), qty_is_notional)

    def sized_in_quote(self) -> Precision:
        """This grid for a strategy that sizes in quote on a coin-lot market (coin-base spot)."""
        return replace(self, qty_in_quote=True)

    def price(self, price: Decimal, *, buy: bool) -> Decimal:
        if not self.tick:
            return price
        return _down(price, self.tick) if buy else _up(price, self.tick)

    def qty(self, qty: Decimal) -> Decimal:
        if not self.lot:
            return qty
        return _down(qty, self.lot)

    def notional(self, price: Decimal, qty: Decimal) -> Decimal:
        return qty if self.qty_is_notional else qty * price

    def meets_minimum(self, price: Decimal, qty: Decimal) -> bool:
        if qty <= 0:
            return False
        if self.min_qty and qty < self.min_qty:
            return False
        return not (self.min_notional and self.notional(price, qty) < self.min_notional)

    def minimum_qty(self, price: Decimal) -> Decimal:
        """The smallest quantity on the lot grid that meets both minimums at ``price``."""
        need = self.min_qty or ZERO
        if self.min_notional:
            by_notional = self.min_notional if self.qty_is_notional else self.min_notional / price
            need = max(need, by_notional)
        if self.lot:
            need = max(_up(need, self.lot), self.lot)
        return need


@dataclass(frozen=True, slots=True)
class RoundedOrder:
    price: Decimal
    qty: Decimal
    sendable: bool  # False: below the market's minimum, not sent


def round_order(precision: Precision, *, price: float | Decimal, qty: float | Decimal, buy: bool,
                entry: bool = False) -> RoundedOrder:
    """The order as the exchange will take it.

    ``entry=True``: an entry is sized at or above the minimum (raised to it when the
    strategy's size rounds below); any other order below the minimum is not sendable.
    """
    p = precision.price(to_decimal(price), buy=buy)
    if precision.qty_in_quote and p > 0:
        coin = precision.qty(to_decimal(qty) / p)
        if entry and not precision.meets_minimum(p, coin):
            coin = precision.minimum_qty(p)
        return RoundedOrder(p, coin * p, precision.meets_minimum(p, coin))
    q = precision.qty(to_decimal(qty))
    if p <= 0:
        return RoundedOrder(p, q, False)
    if entry and not precision.meets_minimum(p, q):
        q = precision.minimum_qty(p)
    return RoundedOrder(p, q, precision.meets_minimum(p, q))
