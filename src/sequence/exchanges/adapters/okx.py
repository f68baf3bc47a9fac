"""OKX v5 adapter (trading account)."""

from __future__ import annotations

from typing import Any

from sequence.exchanges.domain import (
    KeyInfo,
    LedgerEntry,
    LedgerKind,
    MarketKind,
    OrderRequest,
    PositionSide,
)

from . import parse
from .base import CcxtAdapter

# OKX bills `type`: 1 transfer, 2 trade, 3 delivery, 4 auto token conversion, 5 liquidation,
# 6 margin transfer, 7 interest deduction, 8 funding fee, 9 ADL, 10 clawback ...
_BILL_TYPES = {"1": LedgerKind.TRANSFER, "2": LedgerKind.TRADE, "3": LedgerKind.TRADE,
               "5": LedgerKind.TRADE, "8": LedgerKind.FUNDING, "7": LedgerKind.FEE}


class OkxAdapter(CcxtAdapter):
    exchange = "okx"
    needs_passphrase = True
    wallet_names = dict.fromkeys(MarketKind, "Trading account")
    implicit_methods = frozenset({"private_get_account_config"})
    funding_hint = ("Move funds from your Funding account to your Trading account "
                    "(Assets → Transfer) and submit again.")

    def ccxt_options(self) -> dict[str, Any]:
        return {
            "fetchMarkets": {"types": ["spot" if self.kind is MarketKind.SPOT else "swap"]},
            "defaultType": "spot" if self.kind is MarketKind.SPOT else "swap",
            "timeDifference": 0,
            "createOrder": "privatePostTradeOrder",  # one order per request, not the batch API
        }

    def balance_params(self) -> dict[str, Any]:
        return {}  # /api/v5/account/balance: the trading account (never type=funding)

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params = super().order_params(request)
        if request.position_side is not None:
            params["positionSide"] = request.position_side.value  # -> posSide
            # long/short mode: closing is implied by posSide + side; reduceOnly is net-mode only
            params.pop("reduceOnly", None)
        return params

    def position_side_of(self, order: dict) -> PositionSide | None:
        side = (order.get("info") or {}).get("posSide")
        return {"long": PositionSide.LONG, "short": PositionSide.SHORT}.get(side)

    def client_id_of_trade(self, trade: dict) -> str | None:
        return (trade.get("info") or {}).get("clOrdId") or None

    def parse_ledger(self, entry: dict) -> LedgerEntry:
        raw_type = (entry.get("info") or {}).get("type")
        return parse.parse_ledger_entry(entry, _BILL_TYPES.get(str(raw_type)))

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_get_account_config")
        data = (response.get("data") or [{}])[0]
        return parse_okx_key(data)


def parse_okx_key(data: dict) -> KeyInfo:
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
    )
