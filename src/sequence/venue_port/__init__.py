"""An :class:`~sequence.exchanges.port.ExchangePort` over an in-process :class:`sequence.venue.Venue`.

The live engine's code, with no HTTP and no ccxt in between: the parity test steps the
engine candle by candle against it, and the engine benchmark measures the engine's own
cost with it. It is the only module allowed to import both the exchange layer and the
simulated exchange (import-linter). Calls map one-to-one onto the venue's methods; the
venue's business rejections become the exchange layer's errors, as the adapters map the
real exchanges' codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sequence.exchanges import errors
from sequence.exchanges.domain import (
    Balance,
    Fill,
    LedgerEntry,
    LedgerKind,
    Market,
    MarketKind,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionMode,
    PositionSide,
    Side,
    Ticker,
    WalletBalance,
)
from sequence.venue import Market as VenueMarket
from sequence.venue import Order as VenueOrder
from sequence.venue import Venue, VenueError

__all__ = ["VenuePort", "symbol_of"]

ZERO = Decimal(0)
_STATUS = {"New": OrderStatus.OPEN, "PartiallyFilled": OrderStatus.OPEN, "Filled": OrderStatus.FILLED,
           "Cancelled": OrderStatus.CANCELED, "PartiallyFilledCanceled": OrderStatus.CANCELED,
           "Rejected": OrderStatus.REJECTED, "Deactivated": OrderStatus.CANCELED}
_ERRORS: dict[str, type[errors.ExchangeError]] = {
    "duplicate": errors.DuplicateClientOrderIdError,
    "not_found": errors.OrderNotFoundError,
    "finished": errors.OrderNotFoundError,
    "insufficient": errors.InsufficientFundsError,
}


def symbol_of(m: VenueMarket) -> str:
    if m.kind == "spot":
        return f"{m.base}/{m.quote}"
    return f"{m.base}/{m.quote}:{m.settle}"


def _dt(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None


class VenuePort:
    """One account of an in-process venue, for one market kind."""

    exchange = "bybit"

    def __init__(self, venue: Venue, account_id: str, kind: MarketKind | str) -> None:
        self.venue = venue
        self.kind = MarketKind(kind)
        self.account_id = account_id
        self._markets = {symbol_of(m): m for m in venue.markets.values() if m.kind == self.kind.value}

    # ------------------------------------------------------------------ helpers
    @property
    def _acct(self):
        return self.venue.account(self.account_id)

    def _market(self, symbol: str) -> VenueMarket:
        try:
            return self._markets[symbol]
        except KeyError:
            raise errors.InvalidOrderError(f"unknown symbol {symbol}", exchange=self.exchange) from None

    def _error(self, exc: VenueError) -> errors.ExchangeError:
        cls = _ERRORS.get(exc.kind, errors.InvalidOrderError)
        return cls(exc.message, exchange=self.exchange, code=exc.kind)

    def _order(self, o: VenueOrder) -> Order:
        side = None
        if o.position_idx == 1:
            side = PositionSide.LONG
        elif o.position_idx == 2:
            side = PositionSide.SHORT
        return Order(id=o.id, client_order_id=o.link_id or None, symbol=symbol_of(o.market),
                     side=Side(o.side), type=o.type, price=o.price, amount=o.qty, filled=o.filled,
                     remaining=o.qty - o.filled if o.open else ZERO,
                     status=_STATUS.get(o.status, OrderStatus.UNKNOWN), post_only=o.tif == "PostOnly",
                     reduce_only=o.reduce_only, position_side=side, timestamp=_dt(o.created))

    # ------------------------------------------------------------------ port
    async def load_markets(self) -> Mapping[str, Market]:
        out = {}
        for sym, m in self._markets.items():
            out[sym] = Market(symbol=sym, exchange_symbol=m.bybit_symbol, kind=self.kind, base=m.base,
                              quote=m.quote, settle=m.settle, contract_size=Decimal(1), price_tick=m.tick,
                              amount_step=m.qty_step, min_amount=m.min_qty,
                              min_cost=getattr(m, "min_notional", None))
        return out

    async def fetch_ticker(self, symbol: str) -> Ticker:
        self.venue.sync()  # as the HTTP server does on every request: completed candles are processed
        m = self._market(symbol)
        bid, ask = self.venue.quote(m)
        return Ticker(symbol, bid, ask, self.venue.last_price, _dt(self.venue.now()))

    async def fetch_balance(self) -> WalletBalance:
        acct = self._acct
        balances = {}
        for coin, total in acct.wallets["trading"].items():
            free = self.venue.available(acct, coin)
            balances[coin] = Balance(coin, total, free, total - free)
        return WalletBalance(self.exchange, self.kind, "Unified Trading account", balances)

    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]:
        out = []
        for (key, idx), p in self._acct.positions.items():
            m = self.venue.markets[key]
            sym = symbol_of(m)
            if m.kind != self.kind.value or p.size <= 0 or (symbols and sym not in symbols):
                continue
            side = {1: PositionSide.LONG, 2: PositionSide.SHORT}.get(
                idx, PositionSide.LONG if p.side == "buy" else PositionSide.SHORT)
            out.append(Position(sym, side, p.size, p.entry, self.venue.last_price,
                                p.upl(self.venue.last_price), p.leverage, idx in (1, 2)))
        return out

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        return [self._order(o) for o in self._acct.open_orders.values()
                if symbol is None or symbol_of(o.market) == symbol]

    async def create_order(self, request: OrderRequest) -> Order:
        m = self._market(request.symbol)
        idx = None
        if request.position_side is not None:
            idx = 1 if request.position_side is PositionSide.LONG else 2
        try:
            o = self.venue.place_order(self._acct, m, side=request.side.value, type_="limit",
                                       qty=request.amount, price=request.price,
                                       tif="PostOnly" if request.post_only else "GTC",
                                       reduce_only=request.reduce_only and idx is None, position_idx=idx,
                                       link_id=request.client_order_id)
        except VenueError as exc:
            raise self._error(exc) from None
        return self._order(o)

    async def cancel_order(self, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> None:
        try:
            self.venue.cancel_order(self._acct, self._market(symbol), order_id=order_id or "",
                                    link_id=client_order_id or "")
        except VenueError as exc:
            raise self._error(exc) from None

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> Order | None:
        o = self.venue.find_order(self._acct, link_id=client_order_id)
        return self._order(o) if o is not None else None

    async def fetch_fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        start = int(since.timestamp() * 1000)
        out = []
        for e in self._acct.executions:
            if e.time < start or (symbol and symbol_of(e.order.market) != symbol):
                continue
            out.append(Fill(id=e.id, order_id=e.order.id, client_order_id=e.order.link_id or None,
                            symbol=symbol_of(e.order.market), side=Side(e.side), price=e.price, amount=e.qty,
                            cost=e.price * e.qty, fee=e.fee, fee_currency=e.fee_coin, maker=e.is_maker,
                            timestamp=_dt(e.time)))
        return out

    async def fetch_ledger(self, since: datetime, currency: str | None = None) -> list[LedgerEntry]:
        start = int(since.timestamp() * 1000)
        kinds = {"TRADE": LedgerKind.TRADE, "DEPOSIT": LedgerKind.DEPOSIT, "WITHDRAW": LedgerKind.WITHDRAWAL,
                 "TRANSFER_IN": LedgerKind.TRANSFER, "TRANSFER_OUT": LedgerKind.TRANSFER,
                 "SETTLEMENT": LedgerKind.FUNDING}
        out = []
        for e in self._acct.ledger:
            if e.time < start or e.wallet != "trading" or (currency is not None and e.coin != currency):
                continue
            symbol = side = None
            if e.position is not None:  # a funding row: its market and the position's side (as Bybit's log)
                symbol = symbol_of(e.position.market)
                idx = e.position.idx
                side = PositionSide.LONG if idx == 1 or (idx == 0 and e.side == "buy") else PositionSide.SHORT
            out.append(LedgerEntry(e.id, kinds.get(e.type, LedgerKind.OTHER), e.coin, e.change, e.balance,
                                   _dt(e.time), None, e.type, symbol=symbol, position_side=side))
        return out

    async def fetch_position_mode(self, symbol: str | None = None) -> PositionMode:
        if self.kind is MarketKind.SPOT:
            return PositionMode.ONE_WAY
        m = self._market(symbol) if symbol else next(iter(self._markets.values()))
        return PositionMode.HEDGE if self._acct.is_hedge(m) else PositionMode.ONE_WAY

    async def set_position_mode(self, mode: PositionMode, symbol: str | None = None) -> None:
        m = self._market(symbol) if symbol else next(iter(self._markets.values()))
        try:
            self.venue.set_position_mode(self._acct, m, PositionMode(mode) is PositionMode.HEDGE)
        except VenueError as exc:
            if exc.kind != "mode_not_modified":
                raise errors.NotSupportedError(exc.message, exchange=self.exchange) from None

    async def set_leverage(self, symbol: str, leverage: Decimal, *, position_side=None) -> None:
        try:
            self.venue.set_leverage(self._acct, self._market(symbol), leverage)
        except VenueError as exc:
            if exc.kind != "leverage_not_modified":
                raise self._error(exc) from None

    async def set_margin_mode(self, symbol: str, mode) -> None:
        return None  # the venue's accounts are cross margin

    async def fetch_key_info(self):
        raise errors.NotSupportedError("in-process venue: no key introspection", exchange=self.exchange)

    async def close(self) -> None:
        return None
