"""Matching: the quote and the book, takers walking it, resting orders against each candle.

Rules (the market profile, :mod:`sequence.venue.profile`, sets the figures):

- the candle prices are mids; :meth:`Matching.quote` is ``mid -/+ spread/2`` on the tick;
- a taker (a market order, or a limit order crossing the quote) walks the synthetic book
  from the best level, one execution per level, a limit order no further than its
  price and a market order no further than the price band; what a limit order has
  left rests, what a market or IOC order has left is cancelled;
- a resting order is reached when the candle's range touches its price (a buy when
  ``low <= price``, a sell when ``high >= price``) and fills at its own price, as
  maker, at most ``participation`` x the candle's volume per candle (each order
  independently); the rest waits for the next candle (``PartiallyFilled``);
- within one candle, DESIGN.md section 3: first the orders that reduce a position
  (take-profits), then the others, each group along the candle's path (open, the
  nearer extreme, the other extreme, close); then liquidations, taken at the
  candle's extreme against each position.
"""

from __future__ import annotations

import heapq
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sequence.venue.base import VenueBase
from sequence.venue.feed import MINUTE_MS, AnyFeedCandle
from sequence.venue.model import ZERO, Account, Execution, Market, Order

D = Decimal
UNLIMITED = D(10) ** 12
BookLevel = tuple[Decimal, Decimal]  # (price, size in the market's quantity unit)  # a book level's size when the profile has no depth limit


def _floor(x: Decimal, step: Decimal) -> Decimal:
    return (x / step).to_integral_value(ROUND_FLOOR) * step


def _ceil(x: Decimal, step: Decimal) -> Decimal:
    return (x / step).to_integral_value(ROUND_CEILING) * step


def _live(entry: tuple[Decimal, int, Order]) -> bool:
    """A book entry still stands for its order: the order is open and was not amended since
    (an amendment gives the order a new ``seq`` and a new entry)."""
    return entry[2].open and entry[1] == entry[2].seq


class Matching(VenueBase):
    """Mixin of :class:`~sequence.venue.engine.Venue`: the book, and candles moving it."""

    # ------------------------------------------------------------------ the quote
    def quote(self, market: Market) -> tuple[Decimal, Decimal]:
        """The best bid and ask now (equal to the last price when the spread is 0)."""
        mid = self.last_price
        spread = self.profile.spread
        if spread == 0:
            return mid, mid
        half = mid * spread / 2
        bid = _floor(mid - half, market.tick)
        ask = _ceil(mid + half, market.tick)
        if ask - bid < market.tick:
            ask = bid + market.tick
        return bid, ask

    def _level_size(self, market: Market, price: Decimal) -> Decimal:
        depth = self.profile.book_depth
        if depth is None:
            return UNLIMITED
        size = depth * price if market.kind == "inverse" else depth
        return max(market.qty_step, _floor(size, market.qty_step))

    def book(self, market: Market,
             levels: int | None = None) -> tuple[list[BookLevel], list[BookLevel]]:
        """The synthetic order book: ``([(bid price, size)...], [(ask price, size)...])``,
        best first, sizes in the market's quantity unit."""
        n = min(levels or self.profile.book_levels, self.profile.book_levels)
        bid, ask = self.quote(market)
        tick = market.tick
        floor_px = self.last_price * (1 - self.profile.price_band)
        bids = [(bid - k * tick, self._level_size(market, bid - k * tick)) for k in range(n)
                if bid - k * tick > 0 and bid - k * tick >= floor_px]
        asks = [(ask + k * tick, self._level_size(market, ask + k * tick)) for k in range(n)]
        if self.profile.book_depth is None:  # one level holds everything
            bids, asks = bids[:1], asks[:1]
        return bids, asks

    # ------------------------------------------------------------------ takers
    def _take(self, acct: Account, order: Order) -> None:
        """Walk the book for ``order`` (market, or a crossing limit) as far as it may go."""
        bids, asks = self.book(order.market)
        levels = asks if order.side == "buy" else bids
        band = self.profile.price_band
        for price, size in levels:
            if order.price is not None and (
                    (order.side == "buy" and price > order.price)
                    or (order.side == "sell" and price < order.price)):
                break
            if order.price is None and abs(price - self.last_price) > self.last_price * band:
                break
            if self._fill(acct, order, price, min(size, order.qty - order.filled),
                          maker=False) <= 0 or not order.open:
                break

    # ------------------------------------------------------------------ resting orders
    def _rest(self, order: Order) -> None:
        bids, asks = self._books[order.market.key]
        price = order.price
        if price is None:  # only limit orders rest; a market order's rest is cancelled
            raise ValueError(f"order {order.id} has no price: it cannot rest")
        if order.side == "buy":
            heapq.heappush(bids, (-price, order.seq, order))
        else:
            heapq.heappush(asks, (price, order.seq, order))

    def _cap(self, market: Market, volume: Decimal | None, price: Decimal) -> Decimal | None:
        """The most one resting order may fill in a candle of ``volume`` (None: no cap)."""
        part = self.profile.participation
        if part is None or volume is None:
            return None
        base = part * volume
        return _floor(base * price if market.kind == "inverse" else base, market.qty_step)

    def _process_candle(self, candle: AnyFeedCandle) -> None:
        ts, o, h, low, c = candle[:5]
        o_, h_, l_, c_ = (D(str(x)) for x in (o, h, low, c))
        raw_vol = candle[5] if len(candle) > 5 else None
        vol = D(str(raw_vol)) if raw_vol is not None else None
        self.last_candle = (ts, o_, h_, l_, c_)
        self._remember_candle(ts, o_, h_, l_, c_, vol)
        self.candles_done += 1
        touched: list[tuple[Decimal, Order]] = []  # (its price, a resting order reached)
        for bids, asks in self._books.values():
            while bids and (-bids[0][0] >= l_ or not _live(bids[0])):
                neg, seq, order = heapq.heappop(bids)
                if _live((neg, seq, order)):
                    touched.append((-neg, order))
            while asks and (asks[0][0] <= h_ or not _live(asks[0])):
                price, seq, order = heapq.heappop(asks)
                if _live((price, seq, order)):
                    touched.append((price, order))
        if touched:
            up_first = (h_ - o_) <= (o_ - l_)  # path: o -> nearer extreme -> other -> c

            def path_pos(item: tuple[Decimal, Order]) -> tuple[bool, bool, Decimal, int]:
                p, order = item
                if order.side == "sell":  # reached on the way up
                    first = p <= o_
                    dist = (p - o_) if up_first else (h_ - l_) + (o_ - l_) + (p - l_)
                else:
                    first = p >= o_
                    dist = (o_ - p) if not up_first else (h_ - l_) + (h_ - o_) + (h_ - p)
                return (not order.reduce_only, not first, dist, order.seq)

            touched.sort(key=path_pos)
            # The parity profile plays the backtester's candle (DESIGN.md section 3): a side whose
            # take-profit closed in this candle does nothing else in it; its other orders wait.
            closed: set[tuple[str, str, int]] = set()
            parity = self.profile.fill_at_touch
            for price, order in touched:
                if not order.open:
                    continue
                acct = self.accounts[order.account_id]
                book_key = (order.account_id, order.market.key, order.position_idx)
                if parity and book_key in closed and not order.reduce_only:
                    self._rest(order)
                    continue
                cap = self._cap(order.market, vol, price)
                qty = order.qty - order.filled if cap is None else cap
                if qty > 0:
                    self.last_price = price
                    self._fill(acct, order, price, qty, maker=True)
                    if parity and order.reduce_only and not self._still_reduces(acct, order):
                        closed.add(book_key)
                if order.open:
                    if order.reduce_only and not self._still_reduces(acct, order):
                        self._finish(acct, order, "Cancelled", cancel_type="CancelByReduceOnly")
                    else:
                        self._rest(order)  # the rest waits for the next candle
        self._liquidations(h_, l_)
        self.last_price = c_
        self._funding(ts + MINUTE_MS, c_)

    def _still_reduces(self, acct: Account, order: Order) -> bool:
        pos = self._reducible(acct, order)
        return pos is not None and pos.size > 0

    def _public_trade(self, execution: Execution) -> None:
        """Our fills are also the market's recent trades."""
        o = execution.order
        base = execution.qty / execution.price if o.market.kind == "inverse" else execution.qty
        self.trades.append((execution.id, execution.time, o.market.key, execution.price,
                            execution.qty, base, execution.side))

    def _remember_candle(self, ts: int, o: Decimal, h: Decimal, low: Decimal, c: Decimal,
                         vol: Decimal | None) -> None:
        self.candles.append((ts, o, h, low, c, vol if vol is not None else ZERO))
        side = "buy" if c >= o else "sell"
        for m in self.markets.values():  # one print per candle and market: its close
            qty = vol if vol is not None else ZERO
            if m.kind == "inverse":
                qty = _floor(qty * c, m.qty_step)
            self.trades.append((self.next_id(), ts + 59_999, m.key, c, qty, vol or ZERO, side))
