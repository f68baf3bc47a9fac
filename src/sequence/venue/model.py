"""The simulated exchange's records: markets, keys, accounts, orders, positions, executions.

Plain data with the few derived values every layer needs (an order's average
price, a position's margin and unrealised PnL). All money is
:class:`~decimal.Decimal`. Units and formulas: see :mod:`sequence.venue.engine`.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

D = Decimal
ZERO = D(0)
TEN = D(10)


def dec(value: object) -> Decimal:
    """Decimal from a JSON value (str, int, float); raises VenueError on garbage."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, (str, int, float)):
        raise VenueError("bad_param", f"not a number: {value!r}")
    try:
        d = D(str(value)) if isinstance(value, float) else D(value)
    except (InvalidOperation, TypeError, ValueError):
        raise VenueError("bad_param", f"not a number: {value!r}") from None
    if not d.is_finite():
        raise VenueError("bad_param", f"not a number: {value!r}")
    return d


def fmt(value: Decimal | None) -> str:
    """A decimal as the exchanges print it: plain notation, no exponent, no trailing zeros."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    s = format(value.normalize(), "f")
    return s


class VenueError(Exception):
    """A business rejection; ``kind`` is mapped to each exchange's code by its layer."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message or kind


@dataclass(frozen=True)
class Market:
    key: str
    kind: str  # spot | linear | inverse
    base: str
    quote: str
    settle: str
    bybit_symbol: str
    okx_inst_id: str
    okx_ct_val: Decimal  # OKX contract value (base coin for linear, USD for inverse); 1 for spot
    tick: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    min_notional: Decimal = ZERO  # Bybit's minimum order value in the quote coin (0: none)

    @property
    def bybit_category(self) -> str:
        return self.kind

    @property
    def okx_inst_type(self) -> str:
        return "SPOT" if self.kind == "spot" else "SWAP"

    @property
    def is_derivative(self) -> bool:
        return self.kind != "spot"


def default_markets() -> list[Market]:
    """BTC markets: spot BTC/USDT, USDT perpetual, inverse (coin-margined) perpetual."""
    return [
        Market("BTCUSDT-spot", "spot", "BTC", "USDT", "USDT", "BTCUSDT", "BTC-USDT", D(1),
               D("0.01"), D("0.000001"), D("0.000048"), D("71.73956243"), D("0.001"), D("0.001"),
               D(1)),
        Market("BTCUSDT-linear", "linear", "BTC", "USDT", "USDT", "BTCUSDT", "BTC-USDT-SWAP",
               D("0.01"), D("0.10"), D("0.001"), D("0.001"), D("1190.000"), D("0.0002"),
               D("0.00055"), D(5)),
        Market("BTCUSD-inverse", "inverse", "BTC", "USD", "BTC", "BTCUSD", "BTC-USD-SWAP",
               D(100), D("0.50"), D(1), D(1), D(1000000), D("0.0002"), D("0.00055")),
    ]


def _alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class ApiKey:
    api_key: str
    secret: str
    exchange: str  # bybit | okx
    account_id: str
    permissions: dict[str, list[str]]  # bybit: {"ContractTrade": [...], ...}; okx: {"perm": [...]}
    ips: list[str]
    expires_at: int | None  # epoch ms (wall clock) or None
    read_only: bool
    label: str
    passphrase: str = ""
    created_at: int = 0

    def expired(self, wall_ms: int) -> bool:
        return self.expires_at is not None and wall_ms >= self.expires_at

    def ip_allowed(self, ip: str) -> bool:
        return not self.ips or "*" in self.ips or ip in self.ips

    def can_trade(self, market: Market) -> bool:
        if self.read_only:
            return False
        if self.exchange == "okx":
            return "trade" in self.permissions.get("perm", [])
        if market.kind == "spot":
            return "SpotTrade" in self.permissions.get("Spot", [])
        return "Order" in self.permissions.get("ContractTrade", [])

    def can_set_position(self) -> bool:
        if self.read_only:
            return False
        if self.exchange == "okx":
            return "trade" in self.permissions.get("perm", [])
        return "Position" in self.permissions.get("ContractTrade", [])

    def public(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "secret": self.secret, "passphrase": self.passphrase,
                "exchange": self.exchange, "account_id": self.account_id,
                "permissions": self.permissions, "ips": self.ips, "expires_at": self.expires_at,
                "read_only": self.read_only, "label": self.label}


@dataclass
class Order:
    id: str
    link_id: str
    account_id: str
    market: Market
    side: str  # buy | sell
    type: str  # limit | market
    tif: str  # GTC | PostOnly | IOC
    price: Decimal | None
    qty: Decimal
    reduce_only: bool
    position_idx: int  # 0 one-way, 1 hedge long, 2 hedge short
    created: int
    updated: int
    source: str = "bybit"
    status: str = "New"  # New | PartiallyFilled | Filled | Cancelled | Rejected
    filled: Decimal = ZERO
    value: Decimal = ZERO  # sum of fill qty * price
    fee: Decimal = ZERO
    fee_coin: str = ""
    reserved: Decimal = ZERO  # margin or spot funds reserved while open
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"
    last_price_on_created: Decimal | None = None
    seq: int = 0
    tag: str = ""
    uuid_ids: bool = False  # Bybit derivatives: this order's id and its executions' are UUIDs

    @property
    def open(self) -> bool:
        return self.status in ("New", "PartiallyFilled")

    @property
    def leaves(self) -> Decimal:
        return self.qty - self.filled if self.open else ZERO

    @property
    def avg_price(self) -> Decimal | None:
        if self.filled == 0:
            return None
        if self.market.kind == "inverse":
            return self.filled / self.value  # value is sum(qty/price) for inverse
        return self.value / self.filled


@dataclass
class Position:
    market: Market
    idx: int
    side: str = ""  # buy | sell | "" (flat)
    size: Decimal = ZERO
    entry: Decimal = ZERO
    realized: Decimal = ZERO  # cumulative realised PnL incl. fees
    created: int = 0
    updated: int = 0
    leverage: Decimal = TEN
    open_fee: Decimal = ZERO  # fees paid opening what is held now (closures take their share)

    def margin(self) -> Decimal:
        if self.size == 0:
            return ZERO
        if self.market.kind == "inverse":
            return self.size / self.entry / self.leverage
        return self.size * self.entry / self.leverage

    def upl(self, price: Decimal) -> Decimal:
        if self.size == 0 or price == 0:
            return ZERO
        sign = 1 if self.side == "buy" else -1
        if self.market.kind == "inverse":
            return sign * self.size * (1 / self.entry - 1 / price)
        return sign * self.size * (price - self.entry)


@dataclass
class Execution:
    id: str
    order: Order
    side: str
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_rate: Decimal
    fee_coin: str
    is_maker: bool
    time: int
    closed_size: Decimal
    pnl: Decimal
    seq: int
    exec_type: str = "Trade"  # Trade | BustTrade (a liquidation)
    bill_id: str = ""  # the first ledger row it booked (OKX's billId, not its tradeId)


@dataclass
class Closure:
    """One order's closing of (part of) a position: a Bybit closed-PnL row, an OKX
    position-history row. Values are in the settle coin; sizes in the market's unit."""

    id: str
    order: Order
    position: Position
    side: str  # the position's: buy (a long) | sell (a short)
    closed: Decimal = ZERO
    entry_value: Decimal = ZERO  # Σ closed x entry (inverse: closed / entry)
    exit_value: Decimal = ZERO  # Σ closed x exit (inverse: closed / exit)
    pnl: Decimal = ZERO  # gross, before fees
    open_fee: Decimal = ZERO  # the closed part's share of the opening fees
    close_fee: Decimal = ZERO
    fills: int = 0
    created: int = 0
    updated: int = 0
    leverage: Decimal = TEN
    flat: bool = False  # the position was closed whole

    def _avg(self, value: Decimal) -> Decimal:
        if value == 0:
            return ZERO
        inverse = self.order.market.kind == "inverse"
        return self.closed / value if inverse else value / self.closed

    @property
    def avg_entry(self) -> Decimal:
        return self._avg(self.entry_value)

    @property
    def avg_exit(self) -> Decimal:
        return self._avg(self.exit_value)

    @property
    def net_pnl(self) -> Decimal:
        return self.pnl - self.open_fee - self.close_fee


@dataclass
class LedgerEntry:
    id: str
    coin: str
    type: str  # TRADE | LIQUIDATION | SETTLEMENT | TRANSFER_IN | TRANSFER_OUT | DEPOSIT | WITHDRAW
    change: Decimal
    cash_flow: Decimal
    fee: Decimal
    balance: Decimal
    time: int
    execution: Execution | None = None
    wallet: str = "trading"
    note: str = ""
    funding: Decimal = ZERO  # SETTLEMENT: received (> 0) or paid (< 0)
    position: Position | None = None  # SETTLEMENT: the position funded
    size: Decimal = ZERO  # SETTLEMENT: its size then
    price: Decimal | None = None  # SETTLEMENT: the price the value was taken at
    side: str = ""  # SETTLEMENT: the funded position's side then (buy | sell)

    @property
    def market(self) -> Market | None:
        """The market the row belongs to: its fill's, or the funded position's (else None)."""
        if self.execution is not None:
            return self.execution.order.market
        return self.position.market if self.position is not None else None


@dataclass
class Transfer:
    id: str
    account_id: str
    kind: str  # deposit | withdrawal | transfer
    coin: str
    amount: Decimal
    time: int
    status: str
    from_wallet: str = ""
    to_wallet: str = ""
    tx_id: str = ""
    address: str = ""
    chain: str = "TRX"
    fee: Decimal = ZERO
    to_account_id: str = ""


@dataclass
class Account:
    id: str
    name: str
    parent_id: str | None
    created: int
    # wallet name (trading | funding) -> coin -> balance
    wallets: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: {"trading": {}, "funding": {}})
    hedge: dict[str, bool] = field(default_factory=dict)  # market key -> hedge mode
    leverage: dict[str, Decimal] = field(default_factory=dict)  # market key -> leverage
    orders: dict[str, Order] = field(default_factory=dict)  # id -> order (open, recent closed)
    by_link: dict[str, Order] = field(default_factory=dict)  # link id -> order
    open_orders: dict[str, Order] = field(default_factory=dict)  # id -> order
    closed_ids: list[str] = field(default_factory=list)
    positions: dict[tuple[str, int], Position] = field(default_factory=dict)  # (market, idx)
    executions: list[Execution] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)  # position history, oldest first
    margin_mode: str = "cross"
    exchanges: set[str] = field(default_factory=set)  # of its API keys: bybit, okx
    inst_margin: dict[str, str] = field(default_factory=dict)  # market key -> mode

    def balance(self, coin: str, wallet: str = "trading") -> Decimal:
        return self.wallets[wallet].get(coin, ZERO)

    def is_hedge(self, market: Market) -> bool:
        return bool(self.hedge.get(market.key, False))

    def lev(self, market: Market) -> Decimal:
        return self.leverage.get(market.key, D(10))
