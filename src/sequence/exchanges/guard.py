"""Allow-list guard around a ccxt instance: an adapter reaches only the endpoints it declares.

Three locks, all allow-lists:

1. :class:`AllowListedExchange` is the only handle adapters hold. Attribute access is limited to
   an explicit set of unified ccxt method names (plus read-only data like ``markets``) and the
   per-venue implicit methods the adapter lists. ``withdraw``, ``transfer``,
   ``private_post_v5_asset_withdraw_create`` and anything else raise
   :class:`ForbiddenOperationError`.
2. :func:`install_guard` wraps the instance's ``fetch2`` (below the unified methods, above
   signing): every request ccxt builds is checked against the adapter's exact endpoints
   (method, ccxt API section, path template) *before* it is signed. A unified method that
   would call anything else (ccxt's ``fetch_balance`` probing a funding wallet, a
   ``fetch_ledger`` variant that reads transfers ...) is refused before a request exists.
3. The same function wraps ``fetch`` (the raw HTTP call): it refuses to send anything that did
   not come through the guarded ``fetch2``, so ``exchange.fetch(url, "POST")`` on the raw
   instance cannot bypass lock 2.

An endpoint allow-list may not contain a state-changing endpoint whose path names a
withdrawal, transfer, sub-account, loan or conversion: those are refused when the list is
installed, so a careless addition fails at once rather than in production.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sequence.exchanges.errors import ForbiddenOperationError

__all__ = [
    "ALLOWED_UNIFIED_METHODS",
    "AllowListedExchange",
    "Endpoint",
    "endpoint_list",
    "endpoint_of",
    "install_guard",
]

Endpoint = tuple[str, str, str]  # (HTTP method, ccxt API section, path template)

# Unified ccxt methods the adapters may call. Nothing here moves funds; what each of them
# sends is bounded by the endpoint allow-list below it anyway.
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
# Words no state-changing endpoint of ours may contain (checked when a list is installed).
_VALUE_MOVING = re.compile(
    r"withdraw|transfer|sub-?member|sub-?account|universal|move-position|borrow|repay|"
    r"loan|convert|earn|staking|lending|withdrawal|createsub|apply|redeem|purchase|"
    r"deposit-address|address",
    re.IGNORECASE,
)
_INSIDE_FETCH2: contextvars.ContextVar[Endpoint | None] = contextvars.ContextVar(
    "sequence_exchange_guarded_fetch2", default=None)


def endpoint_of(method: str, api: Any, path: str) -> Endpoint:
    """ccxt passes the API section as a string or a list (``["private"]``): one form."""
    section = "/".join(api) if isinstance(api, list | tuple) else str(api)
    return (str(method).upper(), section, str(path))


def endpoint_list(*lines: str) -> frozenset[Endpoint]:
    """``endpoint_list("GET private v5/order/realtime", ...)``: method, ccxt API section, path."""
    out = set()
    for line in lines:
        method, section, path = line.split()
        out.add(endpoint_of(method, section, path))
    return frozenset(out)


def _check_list(endpoints: Iterable[Endpoint]) -> frozenset[Endpoint]:
    out = frozenset(endpoint_of(*e) for e in endpoints)
    bad = sorted(e for e in out if e[0] != "GET" and _VALUE_MOVING.search(e[2]))
    if bad:
        raise ForbiddenOperationError(f"refusing to allow-list value-moving endpoints {bad}")
    return out


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


class _RawFetch:
    """ccxt's raw ``fetch``, callable only from inside ``fetch2``; ``transport`` is the real call."""

    def __init__(self, name: str, transport: Callable[..., Awaitable[Any]]) -> None:
        self.name = name
        self.transport = transport

    async def __call__(self, url: str, method: str = "GET", headers: Any = None,
                       body: Any = None) -> Any:
        if _INSIDE_FETCH2.get() is None:
            raise ForbiddenOperationError(
                f"{self.name}: refused a raw {method} request: requests go through the endpoint "
                "allow-list")
        return await self.transport(url, method, headers, body)


def install_guard(exchange: Any, endpoints: Iterable[Endpoint], name: str) -> frozenset[Endpoint]:
    """Wrap ``fetch2`` (endpoint allow-list) and ``fetch`` (only via ``fetch2``) in place.

    Returns the normalised allow-list. ``fetch.transport`` is the real HTTP call; tests put
    their fake there, beneath both checks.
    """
    allowed = _check_list(endpoints)
    original_fetch2 = exchange.fetch2

    async def fetch2(path: str, api: Any = None, method: str = "GET", params: Any = None,
                     config: Any = None) -> Any:
        api = api if api is not None else ["public"]
        endpoint = endpoint_of(method, api, path)
        if endpoint not in allowed:
            raise ForbiddenOperationError(
                f"{name}: refused {endpoint[0]} {endpoint[1]} {endpoint[2]}: not an endpoint "
                "this adapter declares")
        token = _INSIDE_FETCH2.set(endpoint)
        try:
            return await original_fetch2(path, api, method,
                                         params if params is not None else {},
                                         config if config is not None else {})
        finally:
            _INSIDE_FETCH2.reset(token)

    exchange.fetch2 = fetch2
    exchange.fetch = _RawFetch(name, exchange.fetch)
    return allowed
