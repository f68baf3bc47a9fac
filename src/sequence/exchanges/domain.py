"""Domain types of the exchange port. Every amount and price is a ``Decimal``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "CLIENT_ORDER_ID_RE",
    "Balance",
    "Fill",
    "KeyInfo",
    "LedgerEntry",
    "LedgerKind",
    "MarginMode",
    "Market",
    "MarketKind",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "Position",
    "PositionMode",
    "PositionSide",
    "Side",
    "Ticker",
    "WalletBalance",
    "validate_client_order_id",
]

ZERO = Decimal(0)
CLIENT_ORDER_ID_RE = re.compile(r"[A-Za-z0-9]{1,32}")


def validate_client_order_id(value: str) -> str:
    """Our client order ids: 1 to 32 ASCII letters and digits (fits every venue)."""
    if not isinstance(value, str) or not CLIENT_ORDER_ID_RE.fullmatch(value):
        raise ValueError("client order id must be 1 to 32 ASCII letters and digits")
    return value


class MarketKind(StrEnum):
    SPOT = "spot"
    LINEAR = "linear"  # USDT/USDC-margined perpetuals
    INVERSE = "inverse"  # coin-margined perpetuals


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class PositionSide(StrEnum):
    LONG = "long"
    SHORT = "short"


class PositionMode(StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


class MarginMode(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class OrderStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class LedgerKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER = "transfer"
    TRADE = "trade"
    FUNDING = "funding"
    FEE = "fee"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Market:
    symbol: str  # ccxt unified symbol, e.g. "BTC/USDT:USDT"
    exchange_symbol: str  # the venue's id, e.g. "BTCUSDT"
    kind: MarketKind
    base: str
    quote: str
    settle: str | None
    contract_size: Decimal | None
    price_tick: Decimal | None
    amount_step: Decimal | None
    min_amount: Decimal | None
    min_cost: Decimal | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    total: Decimal
    free: Decimal
    used: Decimal


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """The trading wallet of one account (never the funding wallet)."""

    exchange: str
    kind: MarketKind
    wallet: str  # client-facing name, e.g. "Unified Trading account"
    balances: dict[str, Balance] = field(default_factory=dict)

    def get(self, currency: str) -> Balance:
        return self.balances.get(currency.upper(), Balance(currency.upper(), ZERO, ZERO, ZERO))


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    side: PositionSide
    size: Decimal  # contracts (derivatives), always >= 0
    entry_price: Decimal | None
    mark_price: Decimal | None
    unrealized_pnl: Decimal | None
    leverage: Decimal | None
    hedged: bool
    liquidation_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A resting post-only limit order, or a reduce-only take-profit.

    ``position_side`` is set in hedge mode only (Bybit ``positionIdx``, OKX ``posSide``,
    Binance ``positionSide``).
    """

    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    client_order_id: str
    post_only: bool = True
    reduce_only: bool = False
    position_side: PositionSide | None = None

    def __post_init__(self) -> None:
        validate_client_order_id(self.client_order_id)
        if not isinstance(self.amount, Decimal) or not isinstance(self.price, Decimal):
            raise TypeError("amount and price must be Decimal")
        if self.amount <= 0 or self.price <= 0:
            raise ValueError("amount and price must be positive")


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    client_order_id: str | None
    symbol: str
    side: Side | None
    type: str | None
    price: Decimal | None
    amount: Decimal | None
    filled: Decimal | None
    remaining: Decimal | None
    status: OrderStatus
    post_only: bool | None
    reduce_only: bool | None
    position_side: PositionSide | None
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class Fill:
    id: str
    order_id: str | None
    client_order_id: str | None
    symbol: str
    side: Side | None
    price: Decimal
    amount: Decimal
    cost: Decimal | None
    fee: Decimal | None
    fee_currency: str | None
    maker: bool | None
    timestamp: datetime | None
    # Where the venue reports it: OKX ``posSide``, Binance/KuCoin ``positionSide``. Bybit's
    # execution list carries neither positionIdx nor reduceOnly: None there (the engine
    # knows the side from its own order, found by ``client_order_id``). ``reduce_only``: the
    # fill reduced a position (hedge mode: a sell on the long side); None when unknown.
    position_side: PositionSide | None = None
    reduce_only: bool | None = None


@dataclass(frozen=True, slots=True)
class Ticker:
    """Best bid/ask and last trade price of one market (``None`` where the venue has none)."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str | None
    kind: LedgerKind
    currency: str | None
    amount: Decimal  # signed: positive = into the account
    balance_after: Decimal | None
    timestamp: datetime | None
    reference_id: str | None
    exchange_type: str | None  # the venue's own type word, kept for audits
    # a funding (or other position) row: the market (unified symbol) and the position's side,
    # where the venue says which (None: it does not)
    symbol: str | None = None
    position_side: PositionSide | None = None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What the exchange says about an API key (introspection endpoint)."""

    exchange: str
    permissions: tuple[str, ...]  # the venue's own words, e.g. "Wallet:Withdraw"
    can_trade_spot: bool
    can_trade_derivatives: bool
    withdraw_permissions: tuple[str, ...]  # offending permission names, venue words
    transfer_permissions: tuple[str, ...]
    read_only: bool
    ips: tuple[str, ...]
    expires_at: datetime | None
    is_subaccount: bool | None
    unified: bool | None = None
    label: str | None = None
    # Present permissions outside the venue's known trade-only set (besides the withdraw and
    # transfer ones above): unknown names are refused too, with the reason.
    refused_permissions: tuple[str, ...] = ()
