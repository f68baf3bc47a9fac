"""A fill: its execution record, the position it moves, the wallet rows it books.

Formulas in :mod:`sequence.venue.engine`. An order may fill in several pieces
(one :class:`~sequence.venue.model.Execution` each); what it still reserves
shrinks in proportion to what is left.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sequence.venue.base import VenueBase
from sequence.venue.model import ZERO, Account, Closure, Execution, Market, Order, Position


class Fills(VenueBase):
    """Mixin of :class:`~sequence.venue.engine.Venue`."""

    def fee_rates(self, market: Market) -> tuple[Decimal, Decimal]:
        """(maker, taker) fee rates in force: the profile's overrides, else the market's."""
        p = self.profile
        return (p.maker_fee if p.maker_fee is not None else market.maker_fee,
                p.taker_fee if p.taker_fee is not None else market.taker_fee)

    def _fee_rate(self, order: Order, maker: bool) -> Decimal:
        return self.fee_rates(order.market)[0 if maker else 1]

    def _fill(self, acct: Account, order: Order, price: Decimal, qty: Decimal | None = None, *,
              maker: bool, exec_type: str = "Trade") -> Decimal:
        """Fill ``qty`` (default: all that is left) of ``order`` at ``price``; returns the qty
        filled (a reduce-only order is clipped to the position it reduces)."""
        m = order.market
        before = order.qty - order.filled
        qty = before if qty is None else min(qty, before)
        if order.reduce_only:
            pos = self._reducible(acct, order)
            qty = min(qty, pos.size) if pos is not None else ZERO
        if qty <= 0:
            return ZERO
        rate = self._fee_rate(order, maker) if exec_type == "Trade" else ZERO
        now = self.now()
        closed = ZERO
        pnl = ZERO
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
            was = self.position(acct, m, order.position_idx)  # as it stood before this fill
            size, entry_px, held, open_fee = was.size, was.entry, was.side, was.open_fee
            pos, closed, pnl = self._move_position(acct, order, price, qty)
            pos.realized += pnl - fee
            if closed > 0:
                share = open_fee * closed / size
                self._record_closure(acct, order, pos, held, closed, entry_px, price, pnl, share,
                                     fee * closed / qty)
                pos.open_fee = open_fee - share if pos.size > 0 and pos.side == held else ZERO
            pos.open_fee += fee * (qty - closed) / qty
            moves = [(m.settle, pnl - fee, fee)]
        order.filled += qty
        order.value += qty / price if m.kind == "inverse" else qty * price
        order.fee += fee
        order.fee_coin = fee_coin
        order.updated = now
        exec_id = str(uuid.uuid4()) if order.uuid_ids else self.next_id()
        execution = Execution(exec_id, order, order.side, price, qty, fee, rate, fee_coin,
                              maker, now, closed, pnl, next(self._seq), exec_type)
        acct.executions.append(execution)
        self._public_trade(execution)
        kind = "LIQUIDATION" if exec_type == "BustTrade" else "TRADE"
        for coin, change, f in moves:
            entry = self._book_entry(acct, coin, kind, change, cash_flow=pnl, fee=f,
                                     execution=execution)
            execution.bill_id = execution.bill_id or entry.id
        if order.filled >= order.qty:
            order.status = "Filled"
            order.reserved = ZERO
            acct.open_orders.pop(order.id, None)
            self._closed(acct, order)
        else:
            order.status = "PartiallyFilled"
            order.reserved = order.reserved * (order.qty - order.filled) / before
        return qty

    def _record_closure(self, acct: Account, order: Order, pos: Position, held: str,
                        closed: Decimal, entry: Decimal, price: Decimal, pnl: Decimal,
                        open_fee: Decimal, close_fee: Decimal) -> None:
        """Add a closing fill to its order's closure (one per order, as Bybit's closed PnL)."""
        last = acct.closures[-1] if acct.closures else None
        c = last if last is not None and last.order is order else None
        if c is None:
            c = Closure(self.next_id(), order, pos, held, created=self.now(),
                        leverage=pos.leverage)
            acct.closures.append(c)
        inverse = order.market.kind == "inverse"
        c.closed += closed
        c.entry_value += closed / entry if inverse else closed * entry
        c.exit_value += closed / price if inverse else closed * price
        c.pnl += pnl
        c.open_fee += open_fee
        c.close_fee += close_fee
        c.fills += 1
        c.updated = self.now()
        c.flat = pos.size == 0 or pos.side != held

    def _move_position(self, acct: Account, order: Order, price: Decimal,
                       qty: Decimal) -> tuple[Position, Decimal, Decimal]:
        """Apply a derivative fill to its position; returns it, the closed size, the PnL."""
        m = order.market
        pos = self.position(acct, m, order.position_idx)
        closed = pnl = ZERO
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
        pos.updated = self.now()
        return pos, closed, pnl
