"""Bybit v5 (unified trading account) adapter."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sequence.exchanges.domain import (
    KeyInfo,
    LedgerEntry,
    LedgerKind,
    MarginMode,
    MarketKind,
    Order,
    OrderRequest,
    PositionMode,
    PositionSide,
)
from sequence.exchanges.errors import ExchangeError, MalformedResponseError, NotSupportedError
from sequence.exchanges.guard import endpoint_list

from . import parse
from .base import CcxtAdapter, leverage_number
from .history import MAX_PAGES, oldest_first, too_long

# Bybit answers a setting that is already in place with an error code: these mean "done".
NOT_MODIFIED = {
    "set_leverage": "110043",  # Set leverage not modified
    "set_margin_mode": "110026",  # Cross/isolated margin mode is not modified
    "set_position_mode": "110025",  # Position mode is not modified
}
# /v5/execution/list and /v5/account/transaction-log take at most 7 days per query.
WINDOW_MS = 7 * 24 * 3600 * 1000
_UTA_MARGIN = {MarginMode.CROSS: "REGULAR_MARGIN", MarginMode.ISOLATED: "ISOLATED_MARGIN"}

# permissions.Wallet entries that move funds out of (or between) accounts
BYBIT_WITHDRAW = ("Withdraw",)
BYBIT_TRANSFER = ("AccountTransfer", "SubMemberTransfer", "SubMemberTransferList")
# The only "Group:Permission" pairs a key may hold: trading and trade-history reads. Anything
# else (Wallet, Earn, FiatP2P, FiatBybitPay, CopyTrading, a group Bybit adds tomorrow) is
# refused by name.
BYBIT_ACCEPTED = frozenset({
    "ContractTrade:Order", "ContractTrade:Position", "Spot:SpotTrade",
    "Derivatives:DerivativesTrade", "Options:OptionsTrade", "Exchange:ExchangeHistory",
})

_LEDGER_TYPES = {
    "TRANSFER_IN": LedgerKind.TRANSFER,
    "TRANSFER_OUT": LedgerKind.TRANSFER,
    "TRADE": LedgerKind.TRADE,
    "SETTLEMENT": LedgerKind.FUNDING,
    "DELIVERY": LedgerKind.TRADE,
    "LIQUIDATION": LedgerKind.TRADE,
    "BONUS": LedgerKind.OTHER,
    "FEE_REFUND": LedgerKind.FEE,
    "INTEREST": LedgerKind.FEE,
    "CURRENCY_BUY": LedgerKind.TRADE,
    "CURRENCY_SELL": LedgerKind.TRADE,
}


class BybitAdapter(CcxtAdapter):
    exchange = "bybit"
    wallet_names = {
        MarketKind.SPOT: "Unified Trading account",
        MarketKind.LINEAR: "Unified Trading account",
        MarketKind.INVERSE: "Unified Trading account",
    }
    implicit_methods = frozenset({"private_get_v5_user_query_api"})
    endpoints = endpoint_list(
        "GET private v5/account/transaction-log",
        "GET private v5/account/wallet-balance",
        "GET private v5/execution/list",
        "GET private v5/order/history",
        "GET private v5/order/realtime",
        "GET private v5/position/list",
        "GET private v5/user/query-api",
        "GET public v5/market/instruments-info",
        "GET public v5/market/tickers",
        "GET public v5/market/time",
        "POST private v5/account/set-margin-mode",
        "POST private v5/order/cancel",
        "POST private v5/order/create",
        "POST private v5/position/set-leverage",
        "POST private v5/position/switch-mode",
    )
    funding_hint = ("Move funds from your Funding account to your Unified Trading account "
                    "(Assets → Transfer) and submit again.")
    fills_page_limit = 100  # execution list maximum
    ledger_page_limit = 50  # transaction log maximum

    def ccxt_options(self) -> dict[str, Any]:
        types = {MarketKind.SPOT: "spot", MarketKind.LINEAR: "linear",
                 MarketKind.INVERSE: "inverse"}[self.kind]
        options: dict[str, Any] = {
            # UTA: skip the /v5/user/query-api + /v5/account/info probe on the first call
            "enableUnifiedAccount": True,
            "enableUnifiedMargin": False,
            "fetchMarkets": {"types": [types]},
            "defaultType": "spot" if self.kind is MarketKind.SPOT else "swap",
        }
        if self.kind is not MarketKind.SPOT:
            options["defaultSubType"] = self.kind.value
        return options

    @staticmethod
    def _rebase(raw: Any, base: str) -> None:
        urls = dict(raw.urls)
        urls["api"] = dict.fromkeys(("spot", "futures", "v2", "public", "private"), base)
        raw.urls = urls

    def _type_params(self) -> dict[str, Any]:
        if self.kind is MarketKind.SPOT:
            return {"type": "spot"}
        return {"type": "swap", "subType": self.kind.value}

    def balance_params(self) -> dict[str, Any]:
        return self._type_params()  # -> accountType=UNIFIED

    def positions_params(self) -> dict[str, Any]:
        return self._type_params()

    def open_orders_params(self) -> dict[str, Any]:
        return self._type_params()

    def fills_params(self) -> dict[str, Any]:
        return {**self._type_params(), "execType": "Trade"}

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params = super().order_params(request)
        if request.position_side is not None:
            params["positionIdx"] = 1 if request.position_side is PositionSide.LONG else 2
        return params

    def position_side_of(self, order: dict[str, Any]) -> PositionSide | None:
        idx = str((order.get("info") or {}).get("positionIdx", ""))
        return {"1": PositionSide.LONG, "2": PositionSide.SHORT}.get(idx)

    def client_id_of_trade(self, trade: dict[str, Any]) -> str | None:
        return (trade.get("info") or {}).get("orderLinkId") or None

    def keep_trade(self, trade: dict[str, Any]) -> bool:
        """Funding and settlement rows of /v5/execution/list are ledger entries, not fills."""
        return bool((trade.get("info") or {}).get("execType", "Trade") == "Trade")

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str
                                       ) -> Order | None:
        await self._private()
        params = {**self._type_params(), "orderLinkId": client_order_id}
        found = await self._call("fetch_open_orders", symbol, None, None, params)
        if not found:
            found = await self._call("fetch_canceled_and_closed_orders", symbol, None, None,
                                     params)
        found = [o for o in found if o.get("clientOrderId") == client_order_id]
        return self._order(found[0]) if found else None

    def cancel_params(self, client_order_id: str | None) -> dict[str, Any]:
        params = self._type_params()
        if client_order_id:
            params["orderLinkId"] = client_order_id
        return params

    async def fetch_position_mode(self, symbol: str | None = None) -> PositionMode:
        """Bybit has no read endpoint: positions carry ``positionIdx`` (0 one-way, 1/2 hedge)."""
        if self.kind is not MarketKind.LINEAR:
            return PositionMode.ONE_WAY  # spot; inverse is one-way only on UTA 2.0
        await self._private()
        raw = await self._call("fetch_positions", [symbol] if symbol else None,
                               self._type_params())
        for p in raw:
            if str((p.get("info") or {}).get("positionIdx", "0")) in ("1", "2"):
                return PositionMode.HEDGE
        return PositionMode.ONE_WAY

    async def _unless_not_modified(self, name: str, *args: Any) -> None:
        try:
            await self._call(name, *args)
        except ExchangeError as exc:
            if exc.code != NOT_MODIFIED[name]:
                raise

    async def set_position_mode(self, mode: PositionMode, symbol: str | None = None) -> None:
        """Inverse contracts are one-way only on UTA 2.0 (EXCHANGES.md section 5): refused
        here, as spot is, instead of sending a request the venue rejects as a bad parameter.
        A mode already set is success (110025)."""
        if self.kind is MarketKind.INVERSE and PositionMode(mode) is PositionMode.HEDGE:
            raise NotSupportedError("bybit: inverse contracts support one-way mode only",
                                    exchange=self.exchange)
        self._derivatives_only("position mode")
        await self._private()
        await self._unless_not_modified("set_position_mode",
                                        PositionMode(mode) is PositionMode.HEDGE, symbol)

    async def set_leverage(self, symbol: str, leverage: Decimal, *,
                           position_side: PositionSide | None = None) -> None:
        """``/v5/position/set-leverage`` with buyLeverage = sellLeverage: hedge mode
        positions of a symbol share one leverage on Bybit cross margin, so
        ``position_side`` does not narrow it. Unchanged leverage (110043) is success."""
        self._derivatives_only("leverage")
        await self._private()
        await self._unless_not_modified("set_leverage", leverage_number(leverage), symbol, {})

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """UTA margin mode is account-wide (``/v5/account/set-margin-mode``, REGULAR_MARGIN
        = cross): ``symbol`` only names the market the caller is about to trade."""
        self._derivatives_only("margin mode")
        await self._private()
        await self._unless_not_modified("set_margin_mode", MarginMode(mode).value, symbol,
                                        {"setMarginMode": _UTA_MARGIN[MarginMode(mode)]})

    async def page_history(self, method: str, key: str | None, since_ms: int,
                           params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """7-day windows from ``since`` on, the last one holding now, each read to its end by
        ``nextPageCursor``.

        The last window is a whole 7 days, ending after now (the exchange returns what exists),
        not cut at our reading of the server's clock: a record dated a little after it (a
        simulated exchange whose market clock runs ahead of its wall clock, or a clock read
        a moment stale) is read now rather than never, and a ``since`` after it still gets one
        window."""
        seen: dict[str, dict[str, Any]] = {}
        now = self.server_ms()
        start, pages = since_ms, 0
        while True:
            end = start + WINDOW_MS - 1
            cursor = None
            while True:
                pages += 1
                if pages > MAX_PAGES:
                    raise too_long(self.exchange)
                page_params = {**params, "endTime": end}
                if cursor:
                    page_params["cursor"] = cursor
                page = await self._call(method, key, start, limit, page_params)
                for row in page:
                    seen[str(row.get("id"))] = row
                following = _next_cursor(page)
                if not page or not following:
                    break
                if following == cursor:
                    raise MalformedResponseError("bybit: the page cursor did not advance",
                                                 exchange=self.exchange)
                cursor = following
            if end >= now:
                break
            start = end + 1
        return oldest_first(seen.values())

    def parse_ledger(self, entry: dict[str, Any]) -> LedgerEntry:
        info = entry.get("info") or {}
        raw_type = info.get("type")
        out = parse.parse_ledger_entry(entry, _LEDGER_TYPES.get(raw_type or ""))
        if raw_type:
            out = _with_type(out, raw_type)
        if raw_type == "SETTLEMENT":
            # a funding row names its market (by id and category) and the position's side
            # (Buy: the long position, Sell: the short one)
            same_kind = info.get("category") in (None, "", self.kind.value)
            symbol = self.symbol_of_id(info.get("symbol")) if same_kind else \
                f"{info.get('category')}:{info.get('symbol')}"
            out = replace(out, symbol=symbol,
                          position_side={"Buy": PositionSide.LONG, "Sell": PositionSide.SHORT}.get(
                              str(info.get("side"))))
        return out

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_get_v5_user_query_api")
        return parse_bybit_key(response.get("result") or {})


def _next_cursor(page: list[dict[str, Any]]) -> str | None:
    """ccxt puts the reply's ``nextPageCursor`` on one row's ``info`` (the first raw row,
    which need not stay first after ccxt sorts by time)."""
    for row in page:
        cursor = (row.get("info") or {}).get("nextPageCursor")
        if cursor:
            return str(cursor)
    return None


def _with_type(entry: LedgerEntry, raw_type: str) -> LedgerEntry:
    return replace(entry, exchange_type=raw_type)


def _iso(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_bybit_key(result: dict[str, Any]) -> KeyInfo:
    perms = result.get("permissions") or {}
    flat = tuple(f"{group}:{p}" for group, items in sorted(perms.items())
                 for p in _items(items) if p)
    wallet = set(_items(perms.get("Wallet")))
    read_only = str(result.get("readOnly", "0")) == "1"
    contract = set(_items(perms.get("ContractTrade")))
    spot = set(_items(perms.get("Spot")))
    ips = tuple(ip for ip in (result.get("ips") or []) if ip and ip != "*")
    is_master = result.get("isMaster")
    return KeyInfo(
        exchange="bybit",
        permissions=flat,
        can_trade_spot=not read_only and "SpotTrade" in spot,
        can_trade_derivatives=not read_only and {"Order", "Position"} <= contract,
        withdraw_permissions=tuple(f"Wallet:{p}" for p in BYBIT_WITHDRAW if p in wallet),
        transfer_permissions=tuple(f"Wallet:{p}" for p in BYBIT_TRANSFER if p in wallet),
        read_only=read_only,
        ips=ips,
        expires_at=_iso(result.get("expiredAt")),
        is_subaccount=None if is_master is None else not bool(is_master),
        unified=None if result.get("uta") is None else str(result.get("uta")) == "1",
        label=result.get("note") or None,
        refused_permissions=tuple(
            p for p in flat if p not in BYBIT_ACCEPTED
            and p.removeprefix("Wallet:") not in BYBIT_WITHDRAW + BYBIT_TRANSFER),
    )


def _items(items: Any) -> list[str]:
    """A group's permissions: a list of names (a bare string is one name, not letters)."""
    if isinstance(items, str):
        return [items]
    return [str(p) for p in items or []]
