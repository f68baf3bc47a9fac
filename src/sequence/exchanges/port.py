"""The exchange port: what the engine and key verification need from any venue.

There is deliberately no withdraw or transfer operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from sequence.exchanges.domain import (
    Fill,
    KeyInfo,
    LedgerEntry,
    MarginMode,
    Market,
    MarketKind,
    Order,
    OrderRequest,
    Position,
    PositionMode,
    PositionSide,
    Ticker,
    WalletBalance,
)

__all__ = ["ExchangePort"]


@runtime_checkable
class ExchangePort(Protocol):
    """One account on one venue, for one market kind (spot, linear or inverse)."""

    exchange: str
    kind: MarketKind

    async def load_markets(self) -> Mapping[str, Market]: ...

    async def fetch_balance(self) -> WalletBalance: ...

    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]: ...

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def create_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> None: ...

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str
                                       ) -> Order | None: ...

    async def fetch_ticker(self, symbol: str) -> Ticker: ...

    async def fetch_fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        """Every fill at or after ``since`` (all pages, oldest first)."""
        ...

    async def fetch_ledger(self, since: datetime, currency: str | None = None
                           ) -> list[LedgerEntry]:
        """Every ledger entry at or after ``since`` (all pages, oldest first)."""
        ...

    async def fetch_position_mode(self, symbol: str | None = None) -> PositionMode: ...

    async def set_position_mode(self, mode: PositionMode, symbol: str | None = None) -> None: ...

    async def set_leverage(self, symbol: str, leverage: Decimal, *,
                           position_side: PositionSide | None = None) -> None:
        """Leverage of ``symbol`` (both sides unless ``position_side``). "Not modified" is
        success. Spot: :class:`~sequence.exchanges.errors.NotSupportedError`."""
        ...

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """Cross or isolated margin for ``symbol`` (Bybit UTA: account-wide). "Not modified"
        is success. Where the concept does not apply: ``NotSupportedError`` with the reason."""
        ...

    async def fetch_key_info(self) -> KeyInfo: ...

    async def close(self) -> None: ...
