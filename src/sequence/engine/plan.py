"""The orders a bot wants resting now: the strategy's prices and sizes on the market's grid.

From the exchange's state (per side ``q``, ``a``; ``k`` from the ledger; the wallet
balance ``B``) and the strategy's frozen parameters:

- a flat side wants an **entry**, a post-only limit at the best bid (long) or ask (short),
  sized from the balance read at the start of the cycle (E2: a deposit mid-cycle changes
  no entry or DCA size), raised to the market minimum if it rounds below;
- a side in a position wants its **take-profit** (reduce-only, the whole position) and the
  **remaining DCA ladder**: each level computed as if the earlier ones had filled in full,
  at the rounded price and size (so the ladder is exactly what the backtester would fill
  level after level), as many levels as the exposure cap leaves room for;
- paused (any pause reason) or needing attention: take-profits only, so the position stays
  managed; nothing new opens;
- a DCA level the price has already passed (a buy at or above the ask) would be cancelled by
  the exchange as post-only: it is left out, and the deeper levels rest.

Everything is rounded by :func:`sequence.core.precision.round_order`; an order the market
would refuse as below its minimum is not wanted (and counted by the caller).

Sizes are the strategy's (coins; quote contracts when coin-margined). Spot with a coin base
sizes in quote too (USDT sold for and bought back with) and is rounded on the coin's lot at
each order's price, so ``qty / price`` is the whole number of lots the exchange is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sequence.core.precision import Precision, round_order
from sequence.strategy.decide import (
    Book,
    Order,
    SideName,
    SideState,
    apply_fill,
    dca_order,
    entry_order,
    take_profit_order,
)
from sequence.strategy.params import Params

__all__ = ["Desired", "SideInput", "plan_orders"]


@dataclass(frozen=True, slots=True)
class SideInput:
    side: SideName
    q: Decimal  # position size (coins, or quote contracts when coin-margined)
    a: Decimal  # average entry (0 when flat)
    k: int  # DCA levels filled this cycle
    cycle_balance: Decimal | None  # B at the cycle's start (None: not read yet -> use B)


@dataclass(frozen=True, slots=True)
class Desired:
    side: str
    kind: str  # entry | dca | take_profit
    level: int  # 0 entry and take-profit; DCA level 1..max_dca
    buy: bool
    price: Decimal
    qty: Decimal
    reduce_only: bool

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.side, self.kind, self.level)


def _is_buy(side: str, kind: str) -> bool:
    return (side == "long") != (kind == "take_profit")


def plan_orders(p: Params, precision: Precision, sides: list[SideInput], *, balance: Decimal,
                bid: Decimal, ask: Decimal, open_new: bool,
                max_levels: int | None = None) -> tuple[list[Desired], list[Desired]]:
    """Returns (wanted, below_minimum): the orders to rest, and those too small to send."""
    wanted: list[Desired] = []
    small: list[Desired] = []
    b = float(balance)
    if p.spot_coin_base:
        precision = precision.sized_in_quote()

    def rounded(side: str, kind: str, level: int, o: Order, entry: bool = False) -> tuple[Desired, bool]:
        """The order on the market's grid, and whether it can be sent."""
        buy = _is_buy(side, kind)
        r = round_order(precision, price=o.price, qty=o.qty, buy=buy, entry=entry)
        d = Desired(side, kind, level, buy, r.price, r.qty, kind == "take_profit")
        sendable = r.sendable
        if entry and sendable:
            # raised to the market's minimum, an entry must still fit the exposure cap: a balance
            # that cannot meet the minimum is for a person to fix, not for a bigger bet
            cost = r.qty / r.price if p.coin_margined else r.qty * r.price
            sendable = cost <= Decimal(repr(p.wallet_exposure_limit)) * balance
        return d, sendable

    def add(side: str, kind: str, level: int, o: Order, entry: bool = False) -> None:
        d, sendable = rounded(side, kind, level, o, entry)
        (wanted if sendable else small).append(d)

    for s in sides:
        if s.q <= 0:
            if open_new:
                start = float(s.cycle_balance) if s.cycle_balance is not None else b
                price = float(bid if s.side == "long" else ask)
                add(s.side, "entry", 0, entry_order(p, s.side, start, price), entry=True)
            continue
        state = SideState(float(s.q), float(s.a), s.k)
        add(s.side, "take_profit", 0, take_profit_order(p, s.side, state))
        if not open_new:
            continue
        book = Book().with_side(s.side, state)
        level_b = b
        levels = 0
        while max_levels is None or levels < max_levels:
            o = dca_order(p, s.side, book.side(s.side), level_b)
            if o is None:
                break
            d, sendable = rounded(s.side, "dca", book.side(s.side).k + 1, o)
            if not sendable:
                small.append(d)
                break
            # A level the price has already gone through cannot rest as a post-only order (the
            # exchange would cancel it at once): it is skipped, the deeper ones still rest.
            if (d.price < ask) if d.buy else (d.price > bid):
                wanted.append(d)
            levels += 1
            # the next level as the backtester would see it after this one filled in full
            book, level_b = apply_fill(p, book, level_b, Order(o.side, "dca", float(d.price), float(d.qty)))
    return wanted, small
