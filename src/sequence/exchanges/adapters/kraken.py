"""Kraken spot adapter. Kraken Futures uses separate keys and has no key introspection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sequence.exchanges.domain import KeyInfo, MarketKind, Order
from sequence.exchanges.guard import endpoint_list

from . import parse
from .base import CcxtAdapter
from .history import MAX_PAGES, oldest_first, too_long

KRAKEN_PAGE = 50  # TradesHistory and Ledgers answer 50 rows per request


class KrakenAdapter(CcxtAdapter):
    exchange = "kraken"
    kinds = frozenset({MarketKind.SPOT})
    wallet_names = {MarketKind.SPOT: "Spot wallet"}
    implicit_methods = frozenset({"private_post_getapikeyinfo"})
    endpoints = endpoint_list(
        "GET public AssetPairs",
        "GET public Ticker",
        "GET public Time",
        "POST private AddOrder",
        "POST private BalanceEx",
        "POST private CancelOrder",
        "POST private ClosedOrders",
        "POST private GetApiKeyInfo",
        "POST private Ledgers",
        "POST private OpenOrders",
        "POST private TradesHistory",
    )
    funding_hint = "Deposit the missing amount to your Kraken spot wallet and submit again."

    def ccxt_options(self) -> dict[str, Any]:
        return {"timeDifference": 0}

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str
                                       ) -> Order | None:
        """OpenOrders/ClosedOrders filtered by ``cl_ord_id`` (QueryOrders needs a txid)."""
        await self._private()
        params = {"cl_ord_id": client_order_id}
        for name in ("fetch_open_orders", "fetch_closed_orders"):
            found = await self._call(name, symbol, None, None, params)
            found = [o for o in found if _cid(o) == client_order_id]
            if found:
                return self._order(found[0])
        return None

    def _order(self, raw: dict[str, Any]) -> Order:
        order = super()._order(raw)
        if order.client_order_id is None and _cid(raw):
            from dataclasses import replace

            order = replace(order, client_order_id=_cid(raw))
        return order

    def client_id_of_trade(self, trade: dict[str, Any]) -> str | None:
        return (trade.get("info") or {}).get("cl_ord_id") or None

    async def page_history(self, method: str, key: str | None, since_ms: int,
                           params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """Kraken answers newest first, 50 rows, and pages by offset (``ofs``). A row that
        arrives while we page shifts the offsets by one: seen again, kept once, never lost."""
        seen: dict[str, dict[str, Any]] = {}
        for page_no in range(MAX_PAGES):
            page = await self._call(method, key, since_ms, None,
                                    {**params, "ofs": page_no * KRAKEN_PAGE})
            for row in page:
                seen[str(row.get("id"))] = row
            if len(page) < KRAKEN_PAGE:
                return oldest_first(seen.values())
        raise too_long(self.exchange)

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_post_getapikeyinfo")
        return parse_kraken_key(response.get("result") or {})


KRAKEN_WITHDRAW = ("withdraw-funds",)
# Reads and order rights only. deposit-funds, earn-funds and any unknown name are refused.
KRAKEN_ACCEPTED = frozenset({
    "query-funds", "query-open-trades", "query-closed-trades", "query-ledger-entries",
    "create-modify-orders", "cancel-close-orders", "modify-trades", "close-trades",
    "export-data", "access-websockets-api",
})


def _cid(order: dict[str, Any]) -> str | None:
    return order.get("clientOrderId") or (order.get("info") or {}).get("cl_ord_id") or None


def parse_kraken_key(result: dict[str, Any]) -> KeyInfo:
    perms = tuple(str(p) for p in result.get("permissions") or ())
    until = str(result.get("validUntil") or "0")
    expires = None
    if until not in ("", "0"):
        try:
            expires = datetime.fromtimestamp(int(until), tz=UTC)
        except ValueError:
            expires = parse.ts(None)
    ips = tuple(ip for ip in (result.get("ipAllowlist") or []) if ip)
    trade = "create-modify-orders" in perms or "modify-trades" in perms
    return KeyInfo(
        exchange="kraken",
        permissions=perms,
        can_trade_spot=trade,
        can_trade_derivatives=False,
        withdraw_permissions=tuple(p for p in KRAKEN_WITHDRAW if p in perms),
        transfer_permissions=(),
        read_only=not trade,
        ips=ips,
        expires_at=expires,
        is_subaccount=None,
        label=result.get("name") or None,
        refused_permissions=tuple(p for p in perms if p not in KRAKEN_ACCEPTED
                                  and p not in KRAKEN_WITHDRAW),
    )
