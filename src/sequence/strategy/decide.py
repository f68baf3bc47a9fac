"""The live strategy: which orders should rest, and how a fill changes the books.

Pure: no I/O, no clock, no Django. The live engine calls :func:`decide` after
every change (fill, deposit, new candle) and makes the exchange's resting
orders match; :func:`apply_fill` is the accounting of DESIGN.md section 3. The
backtest kernel (:mod:`sequence.strategy.kernel`) implements the same rules in
one loop; a parity test replays :func:`decide` candle by candle
(:func:`sequence.strategy.replay.replay`) and compares fill by fill.

Linear contracts (balance ``B`` in the quote currency, size ``q`` in coins):

- entry at the last close ``c``: ``q = B*WEL*initial_qty_pct/c``, fee ``maker_fee*q*c``;
- long DCA level ``lvl = a*(1 - spacing*spacing_mult**k*(1 + we_weight*we/WEL))``
  with ``we = q*a/B``, size ``min(q*ddown_factor, (WEL*B - a*q)/lvl)``, new average
  ``(a*q + lvl*qty)/(q+qty)``, fee ``maker_fee*qty*lvl``;
- long take-profit at ``tp = a*(1+markup)``: ``B += q*(tp-a) - maker_fee*q*tp``;
- the short side mirrors (``1 + ...`` for DCA, ``tp = a*(1-markup)``,
  ``B += q*(a-tp) - maker_fee*q*tp``).

Hand-computed (defaults, ``B = 10000``, close ``20000``): entry
``q = 10000*1*0.01/20000 = 0.005`` BTC at 20000, fee ``0.0002*0.005*20000 = 0.02``,
``B = 9999.98``. The long take-profit rests at ``20000*1.005 = 20100``; filled, it
books ``0.005*100 - 0.0002*0.005*20100 = 0.5 - 0.0201 = 0.4799``.
The first DCA level (``we = 100/9999.98``, ``we_weight = 0``) is
``20000*(1 - 0.01*1*1) = 19800`` for ``min(0.005, (9999.98 - 100)/19800) = 0.005``.

Coin-margined books (``contract="inverse"``, and spot with a coin base, i.e.
``market="spot", sides="short"``): ``B`` is in the coin, ``q`` in quote
currency (contracts of fixed quote value, e.g. 1 USD), the position's cost is
``q/a`` coins and the average entry is harmonic:

- entry ``q = B*WEL*initial_qty_pct*c`` at ``a = c``, fee ``maker_fee*q/c``;
- DCA ``we = (q/a)/B``, same ``lvl``, size ``min(q*ddown_factor, (WEL*B - q/a)*lvl)``,
  new average ``(q+qty)/(q/a + qty/lvl)``, fee ``maker_fee*qty/lvl``;
- long take-profit ``B += q*(1/a - 1/tp) - maker_fee*q/tp``;
  short take-profit ``B += q*(1/tp - 1/a) - maker_fee*q/tp``;
- equity ``E = B + q_long*(1/a_long - 1/c) + q_short*(1/c - 1/a_short)``.

Hand-computed (inverse long, ``B = 1`` BTC, close ``20000``, defaults): entry
``q = 1*1*0.01*20000 = 200`` USD of contracts, fee ``0.0002*200/20000 = 0.000002`` BTC;
take-profit at ``20100`` books ``200*(1/20000 - 1/20100) = 0.0000497512`` BTC less the fee
``0.0002*200/20100 = 0.0000019900`` BTC. Spot with a BTC base (short side): with 1 BTC
at close 20000, sell ``q = 200`` USDT worth (0.01 BTC); buy back at
``20000*(1-0.005) = 19900``: ``200/19900 - 200/20000 = 0.0000502513`` BTC more, less
``0.0002*200/19900`` BTC of fee. Spot with a USDT base is the linear long side,
never borrowing (``wallet_exposure_limit <= 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sequence.strategy.params import Params

__all__ = [
    "Book",
    "Order",
    "SideState",
    "apply_fill",
    "decide",
    "equity",
    "side_orders",
]

SideName = Literal["long", "short"]
Kind = Literal["entry", "dca", "take_profit"]


@dataclass(frozen=True, slots=True)
class SideState:
    """One side's book: size ``q`` (0 = flat), average entry ``a``, DCA count ``k``."""

    q: float = 0.0
    a: float = 0.0
    k: int = 0

    @property
    def flat(self) -> bool:
        return not self.q > 0.0


@dataclass(frozen=True, slots=True)
class Book:
    long: SideState = field(default_factory=SideState)
    short: SideState = field(default_factory=SideState)

    def side(self, name: SideName) -> SideState:
        return self.long if name == "long" else self.short

    def with_side(self, name: SideName, state: SideState) -> Book:
        return Book(state, self.short) if name == "long" else Book(self.long, state)


@dataclass(frozen=True, slots=True)
class Order:
    """A post-only limit order that should rest. ``qty`` is in coins (linear) or quote (coin-margined).

    ``kind == "entry"`` rests at the last close; the backtest fills it at the
    close of the candle that made the side flat.
    """

    side: SideName
    kind: Kind
    price: float
    qty: float

    @property
    def reduce_only(self) -> bool:
        return self.kind == "take_profit"

    @property
    def is_buy(self) -> bool:
        return (self.side == "long") != (self.kind == "take_profit")


def entry_order(p: Params, side: SideName, balance: float, close: float) -> Order:
    """The entry at ``close``; its size is 0 when there is nothing to size it with (no balance,
    no price, or a size that underflows): :func:`decide` then places none."""
    if not (balance > 0.0 and close > 0.0):
        return Order(side, "entry", close, 0.0)
    if p.coin_margined:
        q = balance * p.wallet_exposure_limit * p.initial_qty_pct * close
    else:
        q = balance * p.wallet_exposure_limit * p.initial_qty_pct / close
    return Order(side, "entry", close, q)


def take_profit_order(p: Params, side: SideName, s: SideState) -> Order:
    tp = s.a * (1.0 + p.markup) if side == "long" else s.a * (1.0 - p.markup)
    return Order(side, "take_profit", tp, s.q)


def dca_order(p: Params, side: SideName, s: SideState, balance: float) -> Order | None:
    """The next DCA level, or None when ``k == max_dca``, the cap leaves no room, or the level is at
    or below zero (a long level far enough down, or no balance to measure exposure against)."""
    if s.k >= p.max_dca or not balance > 0.0:
        return None
    wel = p.wallet_exposure_limit
    cost = s.q / s.a if p.coin_margined else s.q * s.a
    we = cost / balance
    step = p.spacing * p.spacing_mult ** float(s.k) * (1.0 + p.we_weight * we / wel)
    lvl = s.a * (1.0 - step) if side == "long" else s.a * (1.0 + step)
    if not lvl > 0.0:
        return None
    if p.coin_margined:
        qty = min(s.q * p.ddown_factor, (wel * balance - cost) * lvl)
    else:
        qty = min(s.q * p.ddown_factor, (wel * balance - s.a * s.q) / lvl)
    if not qty > 0.0:
        return None
    return Order(side, "dca", lvl, qty)


def side_orders(
    p: Params, side: SideName, s: SideState, balance: float, last_close: float
) -> tuple[Order, ...]:
    """The orders one side should rest: an entry when flat, else take-profit and next DCA."""
    if s.flat:
        entry = entry_order(p, side, balance, last_close)
        return (entry,) if entry.qty > 0.0 else ()
    dca = dca_order(p, side, s, balance)
    tp = take_profit_order(p, side, s)
    return (tp,) if dca is None else (tp, dca)


def decide(p: Params, book: Book, balance: float, last_close: float) -> tuple[Order, ...]:
    """Every order that should rest now, long side first.

    ``balance`` is the wallet balance ``B`` (cash plus realized PnL minus fees,
    in the unit of account), ``last_close`` the last candle's close.

    >>> p = Params()
    >>> decide(p, Book(), 10000.0, 20000.0)
    (Order(side='long', kind='entry', price=20000.0, qty=0.005), Order(side='short', kind='entry', price=20000.0, qty=0.005))
    >>> [(o.kind, round(o.price, 6), o.qty) for o in decide(p, Book(SideState(0.005, 20000.0, 0)), 9999.98, 20000.0)][:2]
    [('take_profit', 20100.0, 0.005), ('dca', 19800.0, 0.005)]
    """
    orders: list[Order] = []
    if p.long_enabled:
        orders.extend(side_orders(p, "long", book.long, balance, last_close))
    if p.short_enabled:
        orders.extend(side_orders(p, "short", book.short, balance, last_close))
    return tuple(orders)


def apply_fill(p: Params, book: Book, balance: float, order: Order) -> tuple[Book, float]:
    """The books and balance after ``order`` filled in full at its price.

    >>> p = Params()
    >>> book, b = apply_fill(p, Book(), 10000.0, Order("long", "entry", 20000.0, 0.005))
    >>> book.long, round(b, 6)
    (SideState(q=0.005, a=20000.0, k=0), 9999.98)
    >>> book, b = apply_fill(p, book, b, Order("long", "take_profit", 20100.0, 0.005))
    >>> book.long.q, round(b, 6)
    (0.0, 10000.4599)
    """
    s = book.side(order.side)
    price, qty, fee = order.price, order.qty, p.maker_fee
    coin = p.coin_margined
    if order.kind == "take_profit":
        q, a = s.q, s.a
        if coin:
            if order.side == "long":
                balance += q * (1.0 / a - 1.0 / price) - fee * q / price
            else:
                balance += q * (1.0 / price - 1.0 / a) - fee * q / price
        elif order.side == "long":
            balance += q * (price - a) - fee * q * price
        else:
            balance += q * (a - price) - fee * q * price
        return book.with_side(order.side, SideState(0.0, a, 0)), balance
    if order.kind == "entry":
        fee_paid = fee * qty / price if coin else fee * qty * price
        return book.with_side(order.side, SideState(qty, price, 0)), balance - fee_paid
    q, a = s.q, s.a
    if coin:
        a = (q + qty) / (q / a + qty / price)
        fee_paid = fee * qty / price
    else:
        a = (a * q + price * qty) / (q + qty)
        fee_paid = fee * qty * price
    return book.with_side(order.side, SideState(q + qty, a, s.k + 1)), balance - fee_paid


def equity(p: Params, book: Book, balance: float, close: float) -> float:
    """Equity at ``close`` in the unit of account: ``B`` plus both sides' unrealized PnL."""
    e = balance
    lq, sq = book.long, book.short
    if p.coin_margined:
        ic = 1.0 / close
        if lq.q > 0.0:
            e += lq.q * (1.0 / lq.a - ic)
        if sq.q > 0.0:
            e += sq.q * (ic - 1.0 / sq.a)
        return e
    if lq.q > 0.0:
        e += lq.q * (close - lq.a)
    if sq.q > 0.0:
        e += sq.q * (sq.a - close)
    return e
