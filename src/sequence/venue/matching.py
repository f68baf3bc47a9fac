"""Matching: resting orders against each candle, and fills into positions and wallets.

See :mod:`sequence.venue.engine` for the rules (the order of fills within a candle).
"""

from __future__ import annotations

import heapq
from decimal import Decimal

from sequence.venue.model import ZERO, Account, Execution, Order

D = Decimal


class Matching:
    """Mixin of :class:`~sequence.venue.engine.Venue`: candles move the market."""

    # -------------------------------------------------------------- matching
    def _rest(self, order: Order) -> None:
        bids, asks = self._books[order.market.key]
        if order.side == "buy":
            heapq.heappush(bids, (-order.price, order.seq, order))
        else:
            heapq.heappush(asks, (order.price, order.seq, order))

    def _process_candle(self, candle: tuple) -> None:
        ts, o, h, low, c = candle
        o_, h_, l_, c_ = (D(str(x)) for x in (o, h, low, c))
        self.last_candle = (ts, o_, h_, l_, c_)
        self.candles_done += 1
        touched = []
        for key, (bids, asks) in self._books.items():
            del key
            while bids and (-bids[0][0] >= l_ or not bids[0][2].open):
                _, _, order = heapq.heappop(bids)
                if order.open:
                    touched.append(order)
            while asks and (asks[0][0] <= h_ or not asks[0][2].open):
                _, _, order = heapq.heappop(asks)
                if order.open:
                    touched.append(order)
        if touched:
            # candle path: o -> nearer extreme -> other extreme -> c
            up_first = (h_ - o_) <= (o_ - l_)

            def path_pos(order: Order) -> tuple:
                p = order.price
                if order.side == "sell":  # reached on the way up
                    first = p <= o_
                    dist = (p - o_) if up_first else (h_ - l_) + (o_ - l_) + (p - l_)
                else:
                    first = p >= o_
                    dist = (o_ - p) if not up_first else (h_ - l_) + (h_ - o_) + (h_ - p)
                return (not order.reduce_only, not first, dist, order.seq)

            touched.sort(key=path_pos)
            for order in touched:
                if not order.open:
                    continue
                acct = self.accounts[order.account_id]
                self.last_price = order.price
                self._fill(acct, order, order.price, maker=True)
                if order.open:  # clipped reduce-only
                    self._finish(acct, order, "Cancelled", cancel_type="CancelByReduceOnly")
        self.last_price = c_

    def _fill(self, acct: Account, order: Order, price: Decimal, *, maker: bool) -> None:
        m = order.market
        qty = order.qty - order.filled
        if order.reduce_only:
            pos = self._reducible(acct, order)
            qty = min(qty, pos.size) if pos is not None else ZERO
            if qty <= 0:
                return
        rate = m.maker_fee if maker else m.taker_fee
        now = self.now()
        closed = ZERO
        pnl = ZERO
        acct.open_orders.pop(order.id, None)  # releases its reservation
        if m.kind == "spot":
            if order.side == "buy":
                fee, fee_coin = qty * rate, m.base
                moves = [(m.quote, -(qty * price), ZERO), (m.base, qty - fee, fee)]
            else:
                fee, fee_coin = qty * price * rate, m.quote
                moves = [(m.base, -qty, ZERO), (m.quote, qty * price - fee, fee)]
        else:
            fee_coin = m.settle
            fee = qty / price * rate if m.kind == "inverse" else qty * price * rate
            pos = self.position(acct, m, order.position_idx)
            remaining = qty
            if pos.size > 0 and pos.side != order.side:
                closed = min(pos.size, remaining)
                if m.kind == "inverse":
                    pnl = closed * (1 / pos.entry - 1 / price)
                else:
                    pnl = closed * (price - pos.entry)
                if pos.side == "sell":
                    pnl = -pnl
                pos.size -= closed
                remaining -= closed
                if pos.size == 0:
                    pos.side = ""
                    pos.entry = ZERO
            if remaining > 0:
                total = pos.size + remaining
                if pos.size == 0:
                    pos.side = order.side
                    pos.entry = price
                elif m.kind == "inverse":
                    pos.entry = total / (pos.size / pos.entry + remaining / price)
                else:
                    pos.entry = (pos.size * pos.entry + remaining * price) / total
                pos.size = total
            pos.realized += pnl - fee
            pos.updated = now
            moves = [(m.settle, pnl - fee, fee)]
        order.filled += qty
        order.value += qty / price if m.kind == "inverse" else qty * price
        order.fee += fee
        order.fee_coin = fee_coin
        order.updated = now
        execution = Execution(self.next_id(), order, order.side, price, qty, fee, rate, fee_coin,
                              maker, now, closed, pnl, next(self._seq))
        acct.executions.append(execution)
        for coin, change, f in moves:
            self._book_entry(acct, coin, "TRADE", change, cash_flow=pnl if f else ZERO, fee=f,
                             execution=execution)
        order.reserved = ZERO
        if order.filled >= order.qty:
            order.status = "Filled"
            self._closed(acct, order)
        else:
            order.status = "PartiallyFilled"  # the caller cancels the rest
