"""KuCoin adapter: spot through ccxt ``kucoin``, perpetuals through ``kucoinfutures``."""

from __future__ import annotations

from typing import Any

from sequence.exchanges.domain import KeyInfo, MarketKind, OrderRequest, PositionSide

from .base import CcxtAdapter

KUCOIN_TRANSFER = ("Transfer", "InnerTransfer")
KUCOIN_WITHDRAW = ("Withdraw",)  # not a listed KuCoin right today; refused if it appears


class KucoinAdapter(CcxtAdapter):
    exchange = "kucoin"
    needs_passphrase = True
    wallet_names = {MarketKind.SPOT: "Trading account", MarketKind.LINEAR: "Futures account",
                    MarketKind.INVERSE: "Futures account"}
    implicit_methods = frozenset({"private_get_user_api_key"})
    funding_hint = ("Move funds from your Funding account to your {wallet} "
                    "(Assets → Transfer) and submit again.")

    @property
    def ccxt_id(self) -> str:
        return "kucoin" if self.kind is MarketKind.SPOT else "kucoinfutures"

    def ccxt_options(self) -> dict[str, Any]:
        if self.kind is MarketKind.SPOT:
            return {"fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"}
        return {"fetchMarkets": {"types": ["swap"]}, "defaultType": "swap"}

    def balance_params(self) -> dict[str, Any]:
        if self.kind is MarketKind.SPOT:
            return {"type": "trade"}
        return {"code": "USDT" if self.kind is MarketKind.LINEAR else "BTC"}

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params = super().order_params(request)  # clientOrderId -> clientOid
        if request.position_side is not None:
            params["positionSide"] = "LONG" if request.position_side is PositionSide.LONG \
                else "SHORT"
            params.pop("reduceOnly", None)
        return params

    def position_side_of(self, order: dict) -> PositionSide | None:
        side = str((order.get("info") or {}).get("positionSide") or "").upper()
        return {"LONG": PositionSide.LONG, "SHORT": PositionSide.SHORT}.get(side)

    def client_id_of_trade(self, trade: dict) -> str | None:
        return (trade.get("info") or {}).get("clientOid") or None

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_get_user_api_key")
        return parse_kucoin_key(response.get("data") or {})


def parse_kucoin_key(data: dict) -> KeyInfo:
    perms = tuple(p.strip() for p in str(data.get("permission") or "").split(",") if p.strip())
    ips = tuple(ip.strip() for ip in str(data.get("ipWhitelist") or "").split(",") if ip.strip())
    master = data.get("isMaster")
    return KeyInfo(
        exchange="kucoin",
        permissions=perms,
        can_trade_spot="Spot" in perms,
        can_trade_derivatives="Futures" in perms,
        withdraw_permissions=tuple(p for p in KUCOIN_WITHDRAW if p in perms),
        transfer_permissions=tuple(p for p in KUCOIN_TRANSFER if p in perms),
        read_only=not ({"Spot", "Futures", "Margin"} & set(perms)),
        ips=ips,
        expires_at=None,  # KuCoin gives no expiry date
        is_subaccount=None if master is None else not bool(master),
        label=data.get("remark") or None,
    )
