"""KuCoin adapter: spot through ccxt ``kucoin``, perpetuals through ``kucoinfutures``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sequence.exchanges.domain import (
    KeyInfo,
    MarginMode,
    MarketKind,
    Order,
    OrderRequest,
    PositionSide,
)
from sequence.exchanges.errors import NotSupportedError
from sequence.exchanges.guard import endpoint_list

from . import parse
from .base import CcxtAdapter, leverage_number
from .history import DAY_MS

KUCOIN_TRANSFER = ("Transfer", "InnerTransfer")
KUCOIN_WITHDRAW = ("Withdrawal", "Withdraw")  # KuCoin spells it both ways
# The only rights a key may hold. Margin (borrowing), Earn, LeverageToken and any name
# KuCoin adds are refused by name.
KUCOIN_ACCEPTED = frozenset({"General", "Spot", "Futures"})


class KucoinAdapter(CcxtAdapter):
    exchange = "kucoin"
    needs_passphrase = True
    wallet_names = {MarketKind.SPOT: "Trading account", MarketKind.LINEAR: "Futures account",
                    MarketKind.INVERSE: "Futures account"}
    implicit_methods = frozenset({"private_get_user_api_key", "is_uta_enabled"})
    endpoints = endpoint_list(
        "DELETE futuresPrivate orders/client-order/{clientOid}",
        "DELETE futuresPrivate orders/{orderId}",
        "DELETE private hf/orders/client-order/{clientOid}",
        "DELETE private hf/orders/{orderId}",
        "DELETE private order/client-order/{clientOid}",
        "DELETE private orders/{orderId}",
        "GET futuresPrivate account-overview",
        "GET futuresPrivate fills",
        "GET futuresPrivate getCrossUserLeverage",
        "GET futuresPrivate orders",
        "GET futuresPrivate orders/byClientOid",
        "GET futuresPrivate position/getPositionMode",
        "GET futuresPrivate positions",
        "GET futuresPrivate transaction-history",
        "GET futuresPublic contracts/active",
        "GET futuresPublic ticker",
        "GET futuresPublic timestamp",
        "GET private accounts",
        "GET private accounts/ledgers",
        "GET private fills",
        "GET private hf/accounts/ledgers",
        "GET private hf/accounts/opened",
        "GET private hf/fills",
        "GET private hf/orders/active",
        "GET private hf/orders/client-order/{clientOid}",
        "GET private isolated/symbols",
        "GET private margin/symbols",
        "GET private order/client-order/{clientOid}",
        "GET private orders",
        "GET private user/api-key",
        "GET public market/allTickers",
        "GET public market/stats",
        "GET public symbols",
        "GET public timestamp",
        "GET uta market/ticker",
        "GET utaPrivate account/balance",
        "GET utaPrivate account/ledger",
        "GET utaPrivate account/mode",
        "GET utaPrivate {accountMode}/account/balance",
        "GET utaPrivate {accountMode}/order/detail",
        "GET utaPrivate {accountMode}/order/execution",
        "GET utaPrivate {accountMode}/order/open-list",
        "GET utaPrivate {accountMode}/position/open-list",
        "POST futuresPrivate changeCrossUserLeverage",
        "POST futuresPrivate orders",
        "POST futuresPrivate position/changeMarginMode",
        "POST futuresPrivate position/switchPositionMode",
        "POST private hf/orders",
        "POST private orders",
        "POST utaPrivate {accountMode}/account/modify-leverage",
        "POST utaPrivate {accountMode}/order/cancel",
        "POST utaPrivate {accountMode}/order/place",
    )
    funding_hint = ("Move funds from your Funding account to your {wallet} "
                    "(Assets → Transfer) and submit again.")

    # Fills: at most 7 days per query, newest first; ledgers: at most one day (KuCoin docs).
    fills_window_ms = 7 * DAY_MS
    ledger_window_ms = DAY_MS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Futures orders carry margin mode and leverage explicitly: ccxt's default is
        # isolated 1x. Cross is the engine's mode; leverage is what set_leverage set, or the
        # account's cross leverage for the symbol, read once.
        self.margin_mode = MarginMode.CROSS
        self._leverage: dict[str, Decimal] = {}

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
        if self.kind is not MarketKind.SPOT:
            params["marginMode"] = self.margin_mode.value  # ccxt sends it upper-case
        return params

    async def _unified(self) -> bool:
        """The unified account (``GET /api/ua/v1/account/mode``, read once per instance by
        ccxt) trades through ``/api/ua/v1``: cross margin, no per-order margin mode."""
        return bool(await self._call("is_uta_enabled"))

    async def create_order(self, request: OrderRequest) -> Order:
        if self.kind is MarketKind.SPOT:
            return await super().create_order(request)
        await self._private()
        params = self.order_params(request)
        if not await self._unified():
            params["leverage"] = leverage_number(await self._leverage_of(request.symbol))
        raw = await self._call("create_order", request.symbol, "limit", request.side.value,
                               float(request.amount), float(request.price), params)
        order = self._order(raw)
        if order.client_order_id is None:
            from dataclasses import replace

            order = replace(order, client_order_id=request.client_order_id)
        return order

    async def _leverage_of(self, symbol: str) -> Decimal:
        if symbol not in self._leverage:
            if self.margin_mode is MarginMode.ISOLATED:
                raise NotSupportedError("kucoin: isolated futures orders need set_leverage "
                                        "first (the leverage is per order)",
                                        exchange=self.exchange)
            info = await self._call("fetch_leverage", symbol, {"marginMode": "cross"})
            self._leverage[symbol] = parse.required(info.get("longLeverage"), "leverage")
        return self._leverage[symbol]

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """Classic futures: ``POST /api/v2/position/changeMarginMode``. The unified account
        has no per-symbol margin mode (its futures are cross): cross is then a no-op."""
        self._derivatives_only("margin mode")
        mode = MarginMode(mode)
        await self._private()
        if await self._unified():
            if mode is not MarginMode.CROSS:
                raise NotSupportedError("kucoin: the unified trading account trades futures "
                                        "on cross margin only", exchange=self.exchange)
        else:
            await self._call("set_margin_mode", mode.value, symbol)
        self.margin_mode = mode

    async def set_leverage(self, symbol: str, leverage: Decimal, *,
                           position_side: PositionSide | None = None) -> None:
        """Cross: the account's leverage for the symbol (classic
        ``/api/v2/changeCrossUserLeverage``, unified ``/api/ua/v1/.../modify-leverage``),
        both sides. Isolated: KuCoin takes leverage per order; it is recorded for them."""
        self._derivatives_only("leverage")
        await self._private()
        if self.margin_mode is MarginMode.CROSS:
            await self._call("set_leverage", leverage_number(leverage), symbol,
                             {"marginMode": "cross"})
        self._leverage[symbol] = Decimal(leverage)

    def position_side_of(self, order: dict[str, Any]) -> PositionSide | None:
        side = str((order.get("info") or {}).get("positionSide") or "").upper()
        return {"LONG": PositionSide.LONG, "SHORT": PositionSide.SHORT}.get(side)

    def client_id_of_trade(self, trade: dict[str, Any]) -> str | None:
        return (trade.get("info") or {}).get("clientOid") or None

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("private_get_user_api_key")
        return parse_kucoin_key(response.get("data") or {})


def parse_kucoin_key(data: dict[str, Any]) -> KeyInfo:
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
        read_only=not ({"Spot", "Futures"} & set(perms)),
        ips=ips,
        expires_at=None,  # KuCoin gives no expiry date
        is_subaccount=None if master is None else not bool(master),
        label=data.get("remark") or None,
        refused_permissions=tuple(p for p in perms if p not in KUCOIN_ACCEPTED
                                  and p not in KUCOIN_WITHDRAW + KUCOIN_TRANSFER),
    )
