"""Order entry and order state: validation, placement, cancellation, position mode, leverage.

See :mod:`sequence.venue.engine` for the matching rules.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sequence.venue.base import VenueBase
from sequence.venue.model import ZERO, Account, Market, Order, Position, VenueError, dec, fmt

MAX_CLOSED = 500  # closed orders kept per account (Bybit's realtime window is 500)


class Orders(VenueBase):
    """Mixin of :class:`~sequence.venue.engine.Venue`: the order book of each account."""

    # --------------------------------------------------------------- orders
    def place_order(self, acct: Account, market: Market, *, side: str, type_: str,
                    qty: object, price: object = None, tif: str = "GTC", reduce_only: bool = False,
                    position_idx: int | None = None, link_id: str = "", source: str = "bybit",
                    tag: str = "", reuse_link_id: bool = False) -> Order:
        """Validate and place an order. ``link_id`` (Bybit ``orderLinkId``, OKX ``clOrdId``)
        is unique as each exchange documents: Bybit "always unique" (never reused, even after
        the order ends); OKX, ``reuse_link_id``, "unique among all pending orders" (free again
        once the order is filled or cancelled, and then names the newest order)."""
        side = side.lower()
        if side not in ("buy", "sell"):
            raise VenueError("bad_param", "side must be Buy or Sell")
        if type_ not in ("limit", "market"):
            raise VenueError("bad_param", "orderType must be Limit or Market")
        q = _valid_qty(market, qty)
        p = None
        if type_ == "limit":
            if price is None or price == "":
                raise VenueError("bad_param", "price is required for a limit order")
            p = _valid_price(market, price)
        previous = acct.by_link.get(link_id) if link_id else None
        if previous is not None and (previous.open or not reuse_link_id):
            raise VenueError("duplicate", "OrderLinkedID is duplicate")
        hedge = acct.is_hedge(market)
        if market.kind == "spot":
            idx = 0
            if reduce_only:
                raise VenueError("bad_param", "reduceOnly is not supported for spot")
        elif hedge:
            if position_idx not in (1, 2):
                raise VenueError("position_idx", "position idx not match position mode")
            idx = position_idx
            if (idx == 1 and side == "sell") or (idx == 2 and side == "buy"):
                reduce_only = True  # a hedge-mode close
        else:
            if position_idx not in (None, 0):
                raise VenueError("position_idx", "position idx not match position mode")
            idx = 0
        now = self.now()
        uuid_ids = source == "bybit" and market.is_derivative
        order = Order(id=str(uuid.uuid4()) if uuid_ids else self.next_id(), link_id=link_id, account_id=acct.id, market=market,
                      side=side, type=type_, tif=tif, price=p, qty=q, reduce_only=reduce_only,
                      position_idx=idx, created=now, updated=now, source=source,
                      last_price_on_created=self.last_price, seq=next(self._seq), tag=tag,
                      uuid_ids=uuid_ids)
        if reduce_only:
            pos = self._reducible(acct, order)
            if pos is None or pos.size == 0:
                raise VenueError("reduce_only", "Reduce-only rule not satisfied")
        bid, ask = self.quote(market)
        # the parity profile: an order at the last close fills at once, as maker. "At the last
        # close" on the market's grid: a buy at the close rounded down to the tick, a sell at the
        # close rounded up (the one rounding rule: the engine cannot price between two ticks).
        last = self.last_price
        touch = self.profile.fill_at_touch and p is not None and (
            p == last or (side == "buy" and last - market.tick < p <= last)
            or (side == "sell" and last <= p < last + market.tick))
        crosses = not touch and (p is None or (side == "buy" and p >= ask)
                                 or (side == "sell" and p <= bid))
        if type_ == "limit" and tif == "PostOnly" and crosses:
            order.status = "Cancelled"
            order.reject_reason = "EC_PostOnlyWillTakeLiquidity"
            order.cancel_type = "CancelByPostOnly"
            self._remember(acct, order)
            return order
        ref = (ask if side == "buy" else bid) if crosses or p is None else p
        need = self._requirement(acct, order, ref)
        coin = self._reserve_coin(order)
        if need > 0 and self.available(acct, coin) < need:
            raise VenueError("insufficient", f"{coin} not enough for new order")
        self._remember(acct, order)
        order.reserved = need
        if touch and p is not None:
            self._fill(acct, order, p, maker=True)
        elif crosses:
            self._take(acct, order)
        if order.open and (type_ == "market" or tif == "IOC" or (
                order.reduce_only and not self._still_reduces(acct, order))):
            # market and IOC remainders, or a reduce-only clipped to the position
            self._finish(acct, order, "Cancelled" if order.filled == 0 else
                         "PartiallyFilledCanceled", cancel_type="UNKNOWN")
        elif order.open:
            acct.open_orders[order.id] = order
            self._rest(order)
        return order

    def amend_order(self, acct: Account, market: Market, *, order_id: str = "",
                    link_id: str = "", qty: object = None, price: object = None) -> Order:
        """Change an open limit order's total ``qty`` (filled part included) and/or ``price``
        (None or "": unchanged). The order keeps its id and loses its time priority; its
        reservation follows the new size and price; a new price that crosses the quote
        takes liquidity at once (a post-only order is refused instead)."""
        order = self.find_order(acct, order_id=order_id, link_id=link_id)
        if order is None or order.market.key != market.key:
            raise VenueError("not_found", "order not exists or too late to replace")
        if not order.open:
            raise VenueError("finished", "order not exists or too late to replace")
        if order.price is None:
            raise VenueError("bad_param", "only a limit order can be amended")
        q = order.qty if qty in (None, "") else _valid_qty(market, qty)
        p = order.price if price in (None, "") else _valid_price(market, price)
        if q == order.qty and p == order.price:
            raise VenueError("amend_unchanged", "The order remains unchanged as the "
                             "parameters entered match the existing ones.")
        if q <= order.filled:
            raise VenueError("bad_qty", "qty must be more than the filled qty")
        bid, ask = self.quote(market)
        crosses = (order.side == "buy" and p >= ask) or (order.side == "sell" and p <= bid)
        if crosses and order.tif == "PostOnly":
            raise VenueError("post_only", "a post-only order amended to this price would take "
                             "liquidity")
        old = (order.qty, order.price, order.reserved)
        order.qty, order.price = q, p
        ref = (ask if order.side == "buy" else bid) if crosses else p
        need = self._requirement(acct, order, ref) * (q - order.filled) / q
        if need > 0 and self.available(acct, self._reserve_coin(order)) + old[2] < need:
            order.qty, order.price, order.reserved = old
            raise VenueError("insufficient", "not enough for the amended order")
        order.reserved = need
        order.seq = next(self._seq)  # a new place in the book: its old entry there is stale
        order.updated = self.now()
        if crosses:
            self._take(acct, order)
        if order.open:
            self._rest(order)
        return order

    def _remember(self, acct: Account, order: Order) -> None:
        acct.orders[order.id] = order
        if order.link_id:
            acct.by_link[order.link_id] = order
        if not order.open:
            self._closed(acct, order)

    def _closed(self, acct: Account, order: Order) -> None:
        acct.closed_ids.append(order.id)
        if len(acct.closed_ids) > 2 * MAX_CLOSED:
            drop, acct.closed_ids = acct.closed_ids[:-MAX_CLOSED], acct.closed_ids[-MAX_CLOSED:]
            for oid in drop:
                acct.orders.pop(oid, None)  # link ids stay reserved: duplicates stay rejected

    def _reducible(self, acct: Account, order: Order) -> Position | None:
        m = order.market
        if order.position_idx in (1, 2):
            return acct.positions.get((m.key, order.position_idx))
        pos = acct.positions.get((m.key, 0))
        if pos is None or pos.size == 0 or pos.side == order.side:
            return None
        return pos

    def cancel_order(self, acct: Account, market: Market | None, *, order_id: str = "",
                     link_id: str = "") -> Order:
        order = self.find_order(acct, order_id=order_id, link_id=link_id)
        if order is None or (market is not None and order.market.key != market.key):
            raise VenueError("not_found", "order not exists or too late to cancel")
        if not order.open:
            raise VenueError("finished", "order not exists or too late to cancel")
        self._finish(acct, order, "Cancelled", cancel_type="CancelByUser")
        return order

    def cancel_all(self, acct: Account, market: Market | None) -> list[Order]:
        out: list[Order] = []
        for order in list(acct.open_orders.values()):
            if market is None or order.market.key == market.key:
                self._finish(acct, order, "Cancelled", cancel_type="CancelByUser")
                out.append(order)
        return out

    def find_order(self, acct: Account, *, order_id: str = "", link_id: str = "") -> Order | None:
        if order_id:
            order = acct.orders.get(order_id)
            if order is not None and link_id and order.link_id != link_id:
                return None
            return order
        if link_id:
            order = acct.by_link.get(link_id)
            if order is not None and order.id in acct.orders:
                return order
        return None

    def _finish(self, acct: Account, order: Order, status: str, *, cancel_type: str) -> None:
        order.status = status
        order.cancel_type = cancel_type
        order.reserved = ZERO
        order.updated = self.now()
        acct.open_orders.pop(order.id, None)
        self._closed(acct, order)

    def closed_orders(self, acct: Account) -> list[Order]:
        return [acct.orders[i] for i in reversed(acct.closed_ids) if i in acct.orders]

    # ---------------------------------------------------------- positions
    def set_position_mode(self, acct: Account, market: Market | None, hedge: bool) -> None:
        """Bybit: per symbol (market given); OKX: account-wide (market None)."""
        targets = [market] if market is not None else [
            m for m in self.markets.values() if m.is_derivative]
        for m in targets:
            if m.kind == "spot":
                raise VenueError("bad_param", "spot has no position mode")
            if market is not None and m.kind == "inverse" and hedge:
                raise VenueError("mode_unsupported", "inverse contracts are one-way only")
            if market is not None and acct.is_hedge(m) == hedge:
                raise VenueError("mode_not_modified", "Position mode is not modified")
            if any(p.size > 0 for (k, _), p in acct.positions.items() if k == m.key):
                raise VenueError("mode_has_position", "You have an existing position")
            if any(o.market.key == m.key for o in acct.open_orders.values()):
                raise VenueError("mode_has_orders", "Open orders exist")
        for m in targets:
            acct.hedge[m.key] = hedge

    def set_leverage(self, acct: Account, market: Market, leverage: object) -> None:
        lev = dec(leverage)
        if lev < 1 or lev > 100:
            raise VenueError("bad_param", "leverage must be between 1 and 100")
        if acct.lev(market) == lev:
            raise VenueError("leverage_not_modified", "leverage not modified")
        acct.leverage[market.key] = lev
        for (k, _), pos in acct.positions.items():
            if k == market.key:
                pos.leverage = lev


def _valid_qty(market: Market, qty: object) -> Decimal:
    q = dec(qty)
    if q <= 0:
        raise VenueError("bad_param", "qty must be positive")
    if q % market.qty_step != 0:
        raise VenueError("bad_qty", f"qty must be a multiple of {fmt(market.qty_step)}")
    if q < market.min_qty:
        raise VenueError("min_qty", f"qty below the minimum {fmt(market.min_qty)}")
    if q > market.max_qty:
        raise VenueError("bad_qty", "qty above the maximum")
    return q


def _valid_price(market: Market, price: object) -> Decimal:
    p = dec(price)
    if p <= 0:
        raise VenueError("bad_param", "price must be positive")
    if p % market.tick != 0:
        raise VenueError("bad_price", f"price must be a multiple of {fmt(market.tick)}")
    return p
