"""OKX v5 adapter (trading account)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sequence.exchanges.domain import (
    KeyInfo,
    LedgerEntry,
    LedgerKind,
    MarginMode,
    MarketKind,
    OrderRequest,
    PositionSide,
)
from sequence.exchanges.errors import MalformedResponseError
from sequence.exchanges.guard import endpoint_list

from . import parse
from .base import CcxtAdapter, leverage_number
from .history import MAX_PAGES, oldest_first, too_long

# /account/bills covers 7 days; older history is in /account/bills-archive (3 months).
BILLS_DAYS_MS = 7 * 24 * 3600 * 1000
PAGE = 100  # OKX's maximum page for fills-history and bills

# OKX bills `type`: 1 transfer, 2 trade, 3 delivery, 4 auto token conversion, 5 liquidation,
# 6 margin transfer, 7 interest deduction, 8 funding fee, 9 ADL, 10 clawback ...
_BILL_TYPES = {"1": LedgerKind.TRANSFER, "2": LedgerKind.TRADE, "3": LedgerKind.TRADE,
               "5": LedgerKind.TRADE, "8": LedgerKind.FUNDING, "7": LedgerKind.FEE}


class OkxAdapter(CcxtAdapter):
    exchange = "okx"
    needs_passphrase = True
    wallet_names = dict.fromkeys(MarketKind, "Trading account")
    implicit_methods = frozenset({"private_get_account_config"})
    endpoints = endpoint_list(
        "GET private account/balance",
        "GET private account/bills",
        "GET private account/bills-archive",
        "GET private account/config",
        "GET private account/positions",
        "GET private trade/fills-history",
        "GET private trade/order",
        "GET private trade/orders-pending",
        "GET public market/ticker",
        "GET public public/instruments",
        "GET public public/time",
        "POST private account/set-leverage",
        "POST private account/set-position-mode",
        "POST private trade/cancel-order",
        "POST private trade/order",
    )
    funding_hint = ("Move funds from your Funding account to your Trading account "
                    "(Assets → Transfer) and submit again.")

    def ccxt_options(self) -> dict[str, Any]:
        return {
            "fetchMarkets": {"types": ["spot" if self.kind is MarketKind.SPOT else "swap"]},
            "defaultType": "spot" if self.kind is MarketKind.SPOT else "swap",
            "timeDifference": 0,
            "createOrder": "privatePostTradeOrder",  # one order per request, not the batch API
        }

    fills_page_limit = PAGE
    ledger_page_limit = PAGE
    # OKX chooses cross or isolated per order (tdMode), not per account: set_margin_mode
    # records the choice and every derivatives order carries it.
    margin_mode: MarginMode = MarginMode.CROSS

    def balance_params(self) -> dict[str, Any]:
        return {}  # /api/v5/account/balance: the trading account (never type=funding)

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params = super().order_params(request)
        if self.kind is not MarketKind.SPOT:
            params["tdMode"] = self.margin_mode.value
        if request.position_side is not None:
            params["positionSide"] = request.position_side.value  # -> posSide
            # long/short mode: closing is implied by posSide + side; reduceOnly is net-mode only
            params.pop("reduceOnly", None)
        return params

    def position_side_of(self, order: dict[str, Any]) -> PositionSide | None:
        side = str((order.get("info") or {}).get("posSide"))
        return {"long": PositionSide.LONG, "short": PositionSide.SHORT}.get(side)

    def client_id_of_trade(self, trade: dict[str, Any]) -> str | None:
        return (trade.get("info") or {}).get("clOrdId") or None

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """No request: OKX takes the margin mode per order (``tdMode``) and per leverage
        setting (``mgnMode``); both follow the mode recorded here."""
        self._derivatives_only("margin mode")
        self.margin_mode = MarginMode(mode)

    async def set_leverage(self, symbol: str, leverage: Decimal, *,
                           position_side: PositionSide | None = None) -> None:
        """``/account/set-leverage``. Cross margin: one leverage per instrument for both
        sides, also in long/short mode, so no ``posSide``. Isolated in long/short mode:
        ``posSide`` names the side (both sides when ``position_side`` is None)."""
        self._derivatives_only("leverage")
        await self._private()
        params: dict[str, Any] = {"mgnMode": self.margin_mode.value}
        sides: list[str | None] = [None]
        if self.margin_mode is MarginMode.ISOLATED:
            sides = [position_side.value] if position_side else ["long", "short"]
        for side in sides:
            extra = {"posSide": side} if side else {}
            await self._call("set_leverage", leverage_number(leverage), symbol,
                             {**params, **extra})

    async def page_history(self, method: str, key: str | None, since_ms: int,
                           params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """OKX answers newest first, 100 rows; ``after`` = rows older than that bill id.
        So read from now back to ``since`` (``begin``), one bill id at a time."""
        params = {**params, "begin": since_ms}
        if method == "fetch_ledger" and self.server_ms() - since_ms > BILLS_DAYS_MS:
            params["method"] = "privateGetAccountBillsArchive"
        seen: dict[str, dict[str, Any]] = {}
        after: int | None = None
        for _ in range(MAX_PAGES):
            page_params = {**params, **({"after": str(after)} if after is not None else {})}
            page = await self._call(method, key, since_ms,
                                    limit if method == "fetch_ledger" else None, page_params)
            for row in page:
                seen[str(row.get("id"))] = row
            if len(page) < limit:
                return oldest_first(seen.values())
            oldest = min(_bill_id(row) for row in page)
            if after is not None and oldest >= after:
                raise MalformedResponseError("okx: the bill id did not go back",
                                             exchange=self.exchange)
            after = oldest
        raise too_long(self.exchange)

    def parse_ledger(self, entry: dict[str, Any]) -> LedgerEntry:
        info = entry.get("info") or {}
        raw_type = info.get("type")
        out = parse.parse_ledger_entry(entry, _BILL_TYPES.get(str(raw_type)))
        if out.kind is LedgerKind.FUNDING:  # a bill names its instrument, not the position's side
            out = replace(out, symbol=self.symbol_of_id(info.get("instId")))
        return out

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_get_account_config")
        data = (response.get("data") or [{}])[0]
        return parse_okx_key(data)


def _bill_id(row: dict[str, Any]) -> int:
    info = row.get("info") or {}
    value: Any = info.get("billId") or row.get("id")  # ccxt data: str, int or absent
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MalformedResponseError(f"okx: a history row has no bill id ({value!r})",
                                     exchange="okx") from None


OKX_ACCEPTED = frozenset({"read_only", "trade"})  # perm words; "withdraw" and unknowns refused


def parse_okx_key(data: dict[str, Any]) -> KeyInfo:
    perms = tuple(p.strip() for p in str(data.get("perm") or "").split(",") if p.strip())
    ips = tuple(ip.strip() for ip in str(data.get("ip") or "").split(",") if ip.strip())
    uid, main = data.get("uid"), data.get("mainUid")
    trade = "trade" in perms
    return KeyInfo(
        exchange="okx",
        permissions=perms,
        can_trade_spot=trade,
        can_trade_derivatives=trade,
        withdraw_permissions=("withdraw",) if "withdraw" in perms else (),
        transfer_permissions=(),  # OKX has no separate transfer right; withdraw covers it
        read_only=not trade,
        ips=ips,
        expires_at=None,  # OKX gives no expiry
        is_subaccount=None if uid is None or main is None else str(uid) != str(main),
        unified=None,
        label=data.get("label") or None,
        refused_permissions=tuple(p for p in perms if p not in OKX_ACCEPTED | {"withdraw"}),
    )
