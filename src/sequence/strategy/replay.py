"""The reference backtest: :func:`decide` replayed candle by candle (slow, obviously right).

Each candle ``(h, l, c)`` is matched against the orders :func:`decide` wants
resting, in the order of DESIGN.md section 3: the long side (take-profit if
``h >= tp``, else DCA levels while ``l <= lvl``, asking :func:`decide` again after
each fill), then the short side mirrored, then entries at the close for every
flat side, then equity. The compiled kernel must agree with this fill by fill.
A run stops after the candle where ``B <= 0`` or ``E <= 0`` (ruin) or either
left float64's range, exactly as the kernel does (:func:`sequence.strategy.kernel.simulate`).

**Exchange rounding** (``precision``, a :class:`sequence.core.precision.Precision`),
the live engine's rule exactly: every order :func:`decide` computes (float) goes
through :func:`sequence.core.precision.round_order` with ``buy`` = long entry/DCA
and short take-profit, ``entry=True`` for entries (raised to the market's
minimum). A DCA or take-profit that is not ``sendable`` is not placed (the side
waits; for a DCA the later levels wait too, since :func:`decide` only names the
next one); an entry that is not sendable is not placed either. Touch tests use
the rounded price and the fill happens at the rounded price and quantity
(``float()`` of the Decimals): the books and the balance are updated with
those. With a lot, a side's size is the exact (Decimal) sum of its rounded fill
quantities, as the exchange reports the position, converted to float, so the
take-profit (rounded down to the lot) is exactly the position; float addition
could leave it a hair below, a whole lot less after rounding. Without any rule
(``Precision()``) nothing changes: the run equals the unrounded one. The
compiled kernels do not round: with a precision the backtester runs this
function.

Hand-computed (tick 0.5, lot 0.001, defaults, long only, ``B = 10000``, close
19999.7): the entry ``0.0050000750...`` rounds to a buy of 0.005 at 19999.5 (fee
``0.0002*0.005*19999.5 = 0.0199995``); its take-profit ``19999.5*1.005 =
20099.4975`` rounds up to a sell at 20099.5, booking
``0.005*(20099.5-19999.5) - 0.0002*0.005*20099.5 = 0.5 - 0.0200995 = 0.4799005``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sequence.core.precision import Precision, round_order
from sequence.strategy.decide import (
    Book,
    Order,
    SideName,
    SideState,
    apply_fill,
    decide,
    entry_order,
    equity,
)
from sequence.strategy.params import Params

__all__ = ["Fill", "ReplayResult", "replay"]

KIND_CODES = {"entry": 0, "dca": 1, "take_profit": 2}
SIDE_CODES = {"long": 0, "short": 1}


@dataclass(frozen=True, slots=True)
class Fill:
    index: int  # candle index in the series
    side: SideName
    kind: str
    price: float  # the fill price (rounded to the tick when a precision is given)
    qty: float  # the fill quantity (rounded to the lot when a precision is given)
    balance_before: float = 0.0  # B just before the fill

    def as_tuple(self) -> tuple[int, int, int, float, float]:
        return (self.index, SIDE_CODES[self.side], KIND_CODES[self.kind], self.price, self.qty)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    candles: int  # candles run (up to and including the stop candle)
    fills: int
    closes: int
    final_balance: float
    final_equity: float
    max_drawdown: float
    fill_log: tuple[Fill, ...]
    stop: int = -1  # index of the candle the run stopped after, -1 if it ran to the end

    @property
    def ruined(self) -> bool:
        """The run stopped because ``B <= 0`` or ``E <= 0`` (not because a value overflowed)."""
        return self.stop >= 0 and not self.overflowed

    @property
    def overflowed(self) -> bool:
        """The run stopped because ``B`` or ``E`` left float64's range (infinite or NaN)."""
        return self.stop >= 0 and not (
            math.isfinite(self.final_balance) and math.isfinite(self.final_equity)
        )


def _placed(order: Order, precision: Precision | None) -> Order | None:
    """The order as it rests on the exchange, or None when it cannot be sent."""
    if precision is None:
        return order
    r = round_order(
        precision, price=order.price, qty=order.qty, buy=order.is_buy, entry=order.kind == "entry"
    )
    if not r.sendable:
        return None
    return Order(order.side, order.kind, float(r.price), float(r.qty))


def replay(
    p: Params,
    candles: Iterable[Sequence[float]],
    *,
    precision: Precision | None = None,
    on_candle: Callable[[int, float, Book], None] | None = None,
) -> ReplayResult:
    """Run ``candles`` (rows whose items 2, 3, 4 are high, low, close) through :func:`decide`.

    ``precision``: round every order to the market's grid and minimums (see the module).
    ``on_candle(i, equity, book)`` is called after each candle (for reports).
    """
    if precision is not None and p.spot_coin_base:
        precision = precision.sized_in_quote()  # the coin's lot, the strategy's quote sizes
    book = Book()
    balance = p.starting_balance
    peak = balance
    max_dd = 0.0
    fills: list[Fill] = []
    closes = 0
    e = balance
    last_close = 0.0
    n = 0
    stop = -1
    exact: dict[SideName, Decimal] = {"long": Decimal(0), "short": Decimal(0)}
    sides: list[SideName] = []
    if p.long_enabled:
        sides.append("long")
    if p.short_enabled:
        sides.append("short")

    def orders_of(side: SideName, close: float) -> list[Order]:
        out = []
        for o in decide(p, book, balance, close):
            if o.side == side:
                placed = _placed(o, precision)
                if placed is not None:
                    out.append(placed)
        return out

    def fill(i: int, order: Order) -> None:
        nonlocal book, balance
        fills.append(Fill(i, order.side, order.kind, order.price, order.qty, balance))
        book, balance = apply_fill(p, book, balance, order)
        if precision is None or not precision.lot:
            return
        if order.kind == "take_profit":
            exact[order.side] = Decimal(0)
        else:  # the position as the exchange holds it: the exact sum of the fills
            exact[order.side] += Decimal(repr(order.qty))
            s = book.side(order.side)
            book = book.with_side(order.side, SideState(float(exact[order.side]), s.a, s.k))

    for i, row in enumerate(candles):
        h, lo, c = float(row[2]), float(row[3]), float(row[4])
        n = i + 1
        for side in sides:
            if book.side(side).flat:
                continue
            orders = orders_of(side, last_close)
            tp = next((o for o in orders if o.kind == "take_profit"), None)
            if tp is not None and (h >= tp.price if side == "long" else lo <= tp.price):
                fill(i, tp)
                closes += 1
                continue
            while True:
                dca = next((o for o in orders if o.kind == "dca"), None)
                if dca is None:
                    break
                touched = lo <= dca.price if side == "long" else h >= dca.price
                if not touched:
                    break
                fill(i, dca)
                orders = orders_of(side, last_close)
        last_close = c
        for side in sides:
            if book.side(side).flat:
                # as the live engine: the strategy's entry, rounded (raised to the minimum);
                # unrounded, a size of 0 (it underflowed) is no order, as in decide()
                want = entry_order(p, side, balance, c)
                entry = _placed(want, precision) if want.qty > 0.0 or precision else None
                if entry is not None:
                    fill(i, entry)
        e = equity(p, book, balance, c)
        if e > peak:
            peak = e
        dd = (peak - e) / peak
        if dd > max_dd:
            max_dd = dd
        if on_candle is not None:
            on_candle(i, e, book)
        if not (balance > 0.0 and e > 0.0 and e < math.inf):
            stop = i
            max_dd = min(max_dd, 1.0)  # a drawdown is at most everything
            break
    return ReplayResult(n, len(fills), closes, balance, e, max_dd, tuple(fills), stop)
