"""Cross-margin risk: the liquidation price, liquidation, and funding.

One cross-margin pool per settle coin (USDT for the linear perpetual, BTC for the
inverse one); spot holdings are not collateral. ``mmr`` is the profile's
maintenance margin rate (tier 1: 0.5 %). For the positions of one pool, at a
price ``P`` (every market follows the one feed):

- equity(P) = wallet + sum of unrealised PnL at P;
- maintenance(P) = mmr x sum of position values at P (linear ``size x P`` USDT,
  inverse ``size / P`` BTC).

**Liquidation** happens when equity <= maintenance at the candle's extreme (the low
for longs, the high for shorts; both are tried), after the candle's fills. It
cancels the pool's open orders (``CancelAllBeforeLiq``) and closes every position
of the pool: the last one at its bankruptcy price (where equity is 0), any others
first at the extreme; one ``BustTrade`` execution (no fee) and one ``LIQUIDATION``
ledger row each. The wallet ends at 0 (the bankruptcy price is rounded to the tick
in the trader's favour, so a little dust may remain).

**Reported prices** hold the other positions fixed at the last price. Linear, one
position of size q, entry E, side s (+1 long, -1 short), wallet W, others' PnL U
and maintenance M::

    liq  = (M + s q E - W - U) / (q (s - mmr))     long alone: (qE - W) / (q (1 - mmr))
    bust = E - s (W + U) / q                        long alone: E - W / q

Inverse (value in coin ``q / P``)::

    liq  = q (s + mmr) / (s q / E + W + U - M)      long alone: q (1 + mmr) / (q / E + W)
    bust = s q / (s q / E + W + U)                  long alone: q / (q / E + W)

**Funding** at rate r (the profile's, per 8 h) is settled when a candle ends at
00:00, 08:00 or 16:00 UTC market time: per position (per side in hedge mode) the
payment is value at that close x r, paid by longs to shorts when r > 0; one
``SETTLEMENT`` ledger row each (Bybit's transaction log ``funding``, OKX bill
type 8), dated at the funding time.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sequence.venue.base import VenueBase
from sequence.venue.history import FUNDING_INTERVAL_MS
from sequence.venue.model import ZERO, Account, Order, Position

D = Decimal


def _value(pos: Position, price: Decimal) -> Decimal:
    return pos.size / price if pos.market.kind == "inverse" else pos.size * price


def _sign(pos: Position) -> int:
    return 1 if pos.side == "buy" else -1


class Risk(VenueBase):
    """Mixin of :class:`~sequence.venue.engine.Venue`."""

    # ------------------------------------------------------------ the pool
    def _pool(self, acct: Account, coin: str) -> list[Position]:
        return [p for p in acct.positions.values()
                if p.size > 0 and p.market.is_derivative and p.market.settle == coin]

    def equity(self, acct: Account, coin: str, price: Decimal | None = None) -> Decimal:
        return acct.balance(coin) + self.upl(acct, coin, price)

    def maintenance(self, acct: Account, coin: str, price: Decimal | None = None) -> Decimal:
        price = self.last_price if price is None else price
        mmr = self.profile.maintenance_margin
        return sum((_value(p, price) * mmr for p in self._pool(acct, coin)), ZERO)

    def _others(self, acct: Account, pos: Position) -> tuple[Decimal, Decimal]:
        """(unrealised PnL, maintenance) of the pool's other positions at the last price."""
        price, mmr = self.last_price, self.profile.maintenance_margin
        others = [p for p in self._pool(acct, pos.market.settle) if p is not pos]
        return (sum((p.upl(price) for p in others), ZERO),
                sum((_value(p, price) * mmr for p in others), ZERO))

    # ------------------------------------------------------------ reported prices
    def liq_price(self, acct: Account, pos: Position) -> Decimal | None:
        """Where this position would be liquidated, the others held at the last price."""
        if pos.size == 0 or not pos.market.is_derivative:
            return None
        s, q, e, mmr = _sign(pos), pos.size, pos.entry, self.profile.maintenance_margin
        w = acct.balance(pos.market.settle)
        u, mm = self._others(acct, pos)
        if pos.market.kind == "inverse":
            den = s * q / e + w + u - mm
            price = q * (s + mmr) / den if den != 0 else None
        else:
            den = q * (s - mmr)
            price = (mm + s * q * e - w - u) / den if den != 0 else None
        return self._on_tick(pos, price) if price is not None and price > 0 else None

    def bust_price(self, acct: Account, pos: Position) -> Decimal | None:
        """Where this position's equity reaches 0, the others held at the last price."""
        if pos.size == 0 or not pos.market.is_derivative:
            return None
        s, q, e = _sign(pos), pos.size, pos.entry
        w = acct.balance(pos.market.settle)
        u, _ = self._others(acct, pos)
        if pos.market.kind == "inverse":
            den = s * q / e + w + u
            price = s * q / den if den != 0 else None
        else:
            price = e - s * (w + u) / q
        return self._on_tick(pos, price) if price is not None and price > 0 else None

    @staticmethod
    def _on_tick(pos: Position, price: Decimal) -> Decimal:
        """Rounded to the tick in the trader's favour (up for a long, down for a short)."""
        tick = pos.market.tick
        mode = ROUND_CEILING if pos.side == "buy" else ROUND_FLOOR
        return (price / tick).to_integral_value(mode) * tick

    # ------------------------------------------------------------ liquidation
    def _liquidations(self, high: Decimal, low: Decimal) -> None:
        for acct in list(self.accounts.values()):
            for coin in {p.market.settle for p in acct.positions.values()
                         if p.size > 0 and p.market.is_derivative}:
                for extreme in (low, high):
                    if self.equity(acct, coin, extreme) <= self.maintenance(acct, coin, extreme):
                        self._liquidate(acct, coin, extreme)
                        break

    def _liquidate(self, acct: Account, coin: str, extreme: Decimal) -> None:
        for order in list(acct.open_orders.values()):
            if order.market.is_derivative and order.market.settle == coin:
                self._finish(acct, order, "Cancelled", cancel_type="CancelAllBeforeLiq")
        pool = self._pool(acct, coin)
        saved = self.last_price
        self.last_price = extreme  # the others are marked at the extreme
        for i, pos in enumerate(pool):
            price = extreme if i < len(pool) - 1 else (self.bust_price(acct, pos) or extreme)
            now = self.now()
            uuid_ids = acct.exchanges == {"bybit"}  # a Bybit account's liquidation order
            order = Order(id=str(uuid.uuid4()) if uuid_ids else self.next_id(), link_id="",
                          account_id=acct.id, market=pos.market,
                          side="sell" if pos.side == "buy" else "buy", type="market", tif="IOC",
                          price=None, qty=pos.size, reduce_only=True, position_idx=pos.idx,
                          created=now, updated=now, source="liquidation",
                          last_price_on_created=extreme, seq=next(self._seq),
                          uuid_ids=uuid_ids)
            self._remember(acct, order)
            self._fill(acct, order, price, maker=False, exec_type="BustTrade")
        self.last_price = saved

    # ------------------------------------------------------------ funding
    def _funding(self, candle_end: int, close: Decimal) -> None:
        rate = self.profile.funding_rate
        if candle_end % FUNDING_INTERVAL_MS != 0 or rate == 0:
            return
        for acct in self.accounts.values():
            for pos in list(acct.positions.values()):
                if pos.size == 0 or not pos.market.is_derivative:
                    continue
                received = -_sign(pos) * _value(pos, close) * rate
                pos.realized += received
                self._book_entry(acct, pos.market.settle, "SETTLEMENT", received,
                                 time=candle_end, funding=received, position=pos,
                                 size=pos.size, price=close, side=pos.side)
