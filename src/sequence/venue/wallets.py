"""Wallets and margin: ledger rows, deposits, withdrawals, transfers, reservations.

One cross wallet per account (Bybit's unified account, OKX's trading account)
plus a funding wallet. See :mod:`sequence.venue.engine` for the margin rules.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from sequence.venue.base import VenueBase
from sequence.venue.model import (
    ZERO,
    Account,
    Execution,
    LedgerEntry,
    Market,
    Order,
    Position,
    Transfer,
    VenueError,
    dec,
)


class Wallets(VenueBase):
    """Mixin of :class:`~sequence.venue.engine.Venue`: money in and out, and margin."""

    def _book_entry(self, acct: Account, coin: str, type_: str, change: Decimal, *,
                    wallet: str = "trading", cash_flow: Decimal = ZERO, fee: Decimal = ZERO,
                    execution: Execution | None = None, note: str = "",
                    time: int | None = None, funding: Decimal = ZERO,
                    position: Position | None = None, size: Decimal = ZERO,
                    price: Decimal | None = None, side: str = "") -> LedgerEntry:
        """Book ``change`` to ``coin`` in ``wallet``; ``funding``, ``position``, ``size``,
        ``price`` and ``side`` describe a funding settlement (see :class:`LedgerEntry`)."""
        w = acct.wallets[wallet]
        w[coin] = w.get(coin, ZERO) + change
        entry = LedgerEntry(self.next_id(), coin, type_, change, cash_flow, fee, w[coin],
                            self.now() if time is None else time, execution, wallet, note,
                            funding=funding, position=position, size=size, price=price, side=side)
        acct.ledger.append(entry)
        return entry

    def deposit(self, account_id: str, coin: str, amount: object, *, wallet: str = "funding",
                status: str = "success", tx_id: str | None = None) -> Transfer:
        acct = self.account(account_id)
        amt = self._positive(amount)
        self._check_wallet(wallet)
        t = Transfer(self.next_id(), acct.id, "deposit", coin, amt, self.now(), status,
                     to_wallet=wallet, tx_id=tx_id or secrets.token_hex(32))
        acct.transfers.append(t)
        if status == "success":
            kind = "DEPOSIT" if wallet == "funding" else "TRANSFER_IN"
            self._book_entry(acct, coin, kind, amt, wallet=wallet, note="deposit")
        return t

    fund = deposit

    def withdraw(self, account_id: str, coin: str, amount: object, *, wallet: str = "funding",
                 address: str = "TXsimulatedaddress", status: str = "success") -> Transfer:
        acct = self.account(account_id)
        amt = self._positive(amount)
        self._check_wallet(wallet)
        if self.available(acct, coin, wallet) < amt:
            raise VenueError("insufficient", "insufficient balance to withdraw")
        t = Transfer(self.next_id(), acct.id, "withdrawal", coin, amt, self.now(), status,
                     from_wallet=wallet, address=address, tx_id=secrets.token_hex(32))
        acct.transfers.append(t)
        kind = "WITHDRAW" if wallet == "funding" else "TRANSFER_OUT"
        self._book_entry(acct, coin, kind, -amt, wallet=wallet, note="withdrawal")
        return t

    def transfer(self, account_id: str, coin: str, amount: object, *, from_wallet: str,
                 to_wallet: str, to_account_id: str | None = None) -> Transfer:
        src = self.account(account_id)
        dst = self.account(to_account_id) if to_account_id else src
        amt = self._positive(amount)
        self._check_wallet(from_wallet)
        self._check_wallet(to_wallet)
        if self.available(src, coin, from_wallet) < amt:
            raise VenueError("insufficient", "insufficient balance to transfer")
        t = Transfer(self.next_id(), src.id, "transfer", coin, amt, self.now(), "SUCCESS",
                     from_wallet=from_wallet, to_wallet=to_wallet, to_account_id=dst.id)
        src.transfers.append(t)
        if dst is not src:
            dst.transfers.append(t)
        self._book_entry(src, coin, "TRANSFER_OUT", -amt, wallet=from_wallet, note="transfer")
        self._book_entry(dst, coin, "TRANSFER_IN", amt, wallet=to_wallet, note="transfer")
        return t

    @staticmethod
    def _check_wallet(wallet: str) -> None:
        if wallet not in ("trading", "funding"):
            raise VenueError("bad_param", "wallet must be trading or funding")

    @staticmethod
    def _positive(amount: object) -> Decimal:
        amt = dec(amount)
        if amt <= 0:
            raise VenueError("bad_param", "amount must be positive")
        return amt

    # -------------------------------------------------------------- balances
    def reserved(self, acct: Account, coin: str) -> tuple[Decimal, Decimal]:
        """(order reservations, position margin) in ``coin``: O(orders + positions)."""
        orders = sum((o.reserved for o in acct.open_orders.values()
                      if self._reserve_coin(o) == coin), ZERO)
        positions = sum((p.margin() for p in acct.positions.values()
                         if p.market.settle == coin and p.market.is_derivative), ZERO)
        return orders, positions

    def available(self, acct: Account, coin: str, wallet: str = "trading") -> Decimal:
        """What a new order, a withdrawal or a transfer may use: the wallet less reservations
        and position margin, less unrealised losses (gains are not spendable)."""
        if wallet != "trading":
            return acct.balance(coin, wallet)
        o, p = self.reserved(acct, coin)
        return acct.balance(coin) - o - p + min(ZERO, self.upl(acct, coin))

    def upl(self, acct: Account, coin: str, price: Decimal | None = None) -> Decimal:
        """Unrealised PnL of the positions settled in ``coin`` at ``price`` (default: last)."""
        price = self.last_price if price is None else price
        return sum((p.upl(price) for p in acct.positions.values()
                    if p.size > 0 and p.market.settle == coin and p.market.is_derivative), ZERO)

    @staticmethod
    def _reserve_coin(order: Order) -> str:
        m = order.market
        if m.kind == "spot":
            return m.quote if order.side == "buy" else m.base
        return m.settle

    def position(self, acct: Account, market: Market, idx: int) -> Position:
        key = (market.key, idx)
        pos = acct.positions.get(key)
        if pos is None:
            pos = Position(market, idx, leverage=acct.lev(market), created=self.now())
            acct.positions[key] = pos
        return pos

    def _requirement(self, acct: Account, order: Order, price: Decimal) -> Decimal:
        m = order.market
        if m.kind == "spot":
            if order.side == "buy":
                # a limit buy locks its value: its fee is taken from the coin it receives, so a
                # buy-back may spend all the quote a sale brought in; a market buy keeps a taker
                # fee's margin for the price it walks to
                return order.qty * price * (1 + m.taker_fee) if order.price is None else order.qty * price
            return order.qty
        if order.reduce_only:
            return ZERO
        qty = order.qty
        if order.position_idx == 0:  # one-way: the part that closes needs no margin
            pos = acct.positions.get((m.key, 0))
            if pos is not None and pos.size > 0 and pos.side != order.side:
                qty = max(ZERO, qty - pos.size)
        lev = acct.lev(m)
        if m.kind == "inverse":
            return qty / price / lev + qty / price * m.taker_fee
        return qty * price / lev + qty * price * m.taker_fee
