"""The reference backtest: :func:`decide` replayed candle by candle (slow, obviously right).

Each candle ``(h, l, c)`` is matched against the orders :func:`decide` wants
resting, in the order of DESIGN.md section 3: the long side (take-profit if
``h >= tp``, else DCA levels while ``l <= lvl``, asking :func:`decide` again after
each fill), then the short side mirrored, then entries at the close for every
flat side, then equity. The compiled kernel must agree with this fill by fill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sequence.strategy.decide import Book, Order, SideName, apply_fill, decide, equity
from sequence.strategy.params import Params

__all__ = ["Fill", "ReplayResult", "replay"]

KIND_CODES = {"entry": 0, "dca": 1, "take_profit": 2}
SIDE_CODES = {"long": 0, "short": 1}


@dataclass(frozen=True, slots=True)
class Fill:
    index: int  # candle index in the series
    side: SideName
    kind: str
    price: float
    qty: float
    balance_before: float = 0.0  # B just before the fill

    def as_tuple(self) -> tuple[int, int, int, float, float]:
        return (self.index, SIDE_CODES[self.side], KIND_CODES[self.kind], self.price, self.qty)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    candles: int
    fills: int
    closes: int
    final_balance: float
    final_equity: float
    max_drawdown: float
    fill_log: tuple[Fill, ...]


def _orders_of(p: Params, book: Book, balance: float, close: float, side: SideName) -> list[Order]:
    return [o for o in decide(p, book, balance, close) if o.side == side]


def replay(p: Params, candles: Iterable[Sequence[float]]) -> ReplayResult:
    """Run ``candles`` (rows whose items 2, 3, 4 are high, low, close) through :func:`decide`."""
    book = Book()
    balance = p.starting_balance
    peak = balance
    max_dd = 0.0
    fills: list[Fill] = []
    closes = 0
    e = balance
    last_close = 0.0
    n = 0
    sides: list[SideName] = []
    if p.long_enabled:
        sides.append("long")
    if p.short_enabled:
        sides.append("short")
    for i, row in enumerate(candles):
        h, lo, c = float(row[2]), float(row[3]), float(row[4])
        n = i + 1
        for side in sides:
            if book.side(side).flat:
                continue
            orders = _orders_of(p, book, balance, last_close, side)
            tp = next(o for o in orders if o.kind == "take_profit")
            hit = h >= tp.price if side == "long" else lo <= tp.price
            if hit:
                fills.append(Fill(i, side, "take_profit", tp.price, tp.qty, balance))
                book, balance = apply_fill(p, book, balance, tp)
                closes += 1
                continue
            while True:
                dca = next((o for o in orders if o.kind == "dca"), None)
                if dca is None:
                    break
                touched = lo <= dca.price if side == "long" else h >= dca.price
                if not touched:
                    break
                fills.append(Fill(i, side, "dca", dca.price, dca.qty, balance))
                book, balance = apply_fill(p, book, balance, dca)
                orders = _orders_of(p, book, balance, last_close, side)
        last_close = c
        for side in sides:
            if book.side(side).flat:
                entry = _orders_of(p, book, balance, c, side)[0]
                fills.append(Fill(i, side, "entry", entry.price, entry.qty, balance))
                book, balance = apply_fill(p, book, balance, entry)
        e = equity(p, book, balance, c)
        if e > peak:
            peak = e
        dd = (peak - e) / peak
        if dd > max_dd:
            max_dd = dd
    return ReplayResult(n, len(fills), closes, balance, e, max_dd, tuple(fills))
