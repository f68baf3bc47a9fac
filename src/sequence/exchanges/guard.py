"""Allow-list guard around a ccxt instance: the exchange layer cannot withdraw or transfer.

Two locks:

1. :class:`AllowListedExchange` is the only handle adapters hold. Attribute access is limited to
   an explicit set of unified ccxt method names (plus read-only data like ``markets``) and the
   per-venue implicit endpoints listed by the adapter. ``withdraw``, ``transfer``,
   ``private_post_v5_asset_withdraw_create`` and anything else raise
   :class:`ForbiddenOperationError` before any request is built.
2. :func:`guard_request_path` is installed on the ccxt instance's ``fetch2`` (below the
   unified methods, above signing): a state-changing request whose path names a withdrawal or
   transfer is refused even if ccxt itself tried to send it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sequence.exchanges.errors import ForbiddenOperationError

__all__ = ["ALLOWED_UNIFIED_METHODS", "AllowListedExchange", "guard_request_path"]

# Unified ccxt methods the adapters may call. Nothing here moves funds.
ALLOWED_UNIFIED_METHODS: frozenset[str] = frozenset({
    "load_markets", "set_markets", "fetch_markets", "fetch_time", "fetch_balance",
    "fetch_positions", "fetch_open_orders", "fetch_closed_orders",
    "fetch_canceled_and_closed_orders", "fetch_order", "fetch_open_order",
    "fetch_closed_order", "create_order", "cancel_order", "fetch_my_trades", "fetch_ledger",
    "fetch_position_mode", "set_position_mode", "close", "market", "milliseconds",
    "fetch_ticker", "set_leverage", "set_margin_mode", "fetch_leverage",
    # read-only history (GET): needed for the ledger where the venue has no unified one
    "fetch_deposits", "fetch_withdrawals",
})
# Plain data attributes (read-only use).
_ALLOWED_DATA = frozenset({
    "id", "markets", "markets_by_id", "currencies", "symbols", "options", "has", "urls",
    "rateLimit", "last_request_url", "last_request_body", "last_http_response",
})
_FORBIDDEN_WORDS = re.compile(r"withdraw|transfer", re.IGNORECASE)
_FORBIDDEN_PATH = re.compile(
    r"withdraw|transfer|sub-?member|universal|inner-?transfer|/asset/.*(create|apply)",
    re.IGNORECASE,
)


class AllowListedExchange:
    """Proxy exposing only allow-listed attributes of a ccxt exchange instance."""

    __slots__ = ("_AllowListedExchange__allowed", "_AllowListedExchange__exchange")

    def __init__(self, exchange: Any, implicit: Iterable[str] = ()) -> None:
        implicit = frozenset(implicit)
        bad = [name for name in implicit if _FORBIDDEN_WORDS.search(name)]
        if bad:
            raise ForbiddenOperationError(f"refusing to allow-list {sorted(bad)}")
        object.__setattr__(self, "_AllowListedExchange__exchange", exchange)
        object.__setattr__(
            self, "_AllowListedExchange__allowed", ALLOWED_UNIFIED_METHODS | implicit
        )

    def __getattr__(self, name: str) -> Any:
        if name in self.__allowed or name in _ALLOWED_DATA:
            return getattr(self.__exchange, name)
        raise ForbiddenOperationError(
            f"ccxt method {name!r} is not on the exchange layer's allow-list"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise ForbiddenOperationError("the guarded exchange is read-only")

    def __dir__(self) -> list[str]:
        return sorted(self.__allowed | _ALLOWED_DATA)

    def __repr__(self) -> str:
        return f"<AllowListedExchange {getattr(self.__exchange, 'id', '?')}>"


def guard_request_path(exchange: Any) -> None:
    """Wrap ``exchange.fetch2`` so non-GET requests to withdraw/transfer paths never leave."""
    original = exchange.fetch2

    async def fetch2(path, api=None, method="GET", params=None, config=None):
        if str(method).upper() != "GET" and _FORBIDDEN_PATH.search(str(path)):
            raise ForbiddenOperationError(f"refused {method} {path}: funds may not move")
        return await original(path, api if api is not None else ["public"], method,
                              params if params is not None else {},
                              config if config is not None else {})

    exchange.fetch2 = fetch2
