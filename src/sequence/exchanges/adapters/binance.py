"""Binance (spot, USDⓈ-M, COIN-M) and Binance US (spot) adapters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sequence.exchanges.domain import (
    KeyInfo,
    LedgerEntry,
    LedgerKind,
    MarginMode,
    MarketKind,
    OrderRequest,
    PositionMode,
    PositionSide,
)
from sequence.exchanges.errors import ExchangeError
from sequence.exchanges.guard import endpoint_list

from . import parse
from .base import CcxtAdapter
from .history import DAY_MS

# Binance answers a setting already in place with an error: these codes mean "done".
NO_NEED_TO_CHANGE = {"set_margin_mode": "-4046", "set_position_mode": "-4059"}
_FLAGS_WITHDRAW = ("enableWithdrawals",)
_FLAGS_TRANSFER = ("enableInternalTransfer", "permitsUniversalTransfer")
# Flags that may be true. enableMargin (loans), enablePortfolioMarginTrading,
# enableVanillaOptions, the FIX flags and any flag Binance adds are refused by name.
_FLAGS_ACCEPTED = frozenset({"ipRestrict", "enableReading", "enableSpotAndMarginTrading",
                             "enableFutures"})


class BinanceAdapter(CcxtAdapter):
    exchange = "binance"
    wallet_names = {MarketKind.SPOT: "Spot wallet", MarketKind.LINEAR: "USDⓈ-M Futures wallet",
                    MarketKind.INVERSE: "COIN-M Futures wallet"}
    implicit_methods = frozenset({"sapi_get_account_apirestrictions"})
    endpoints = endpoint_list(
        "DELETE dapiPrivate order",
        "DELETE fapiPrivate order",
        "DELETE private order",
        "GET dapiPrivate account",
        "GET dapiPrivate income",
        "GET dapiPrivate openOrders",
        "GET dapiPrivate order",
        "GET dapiPrivate positionRisk",
        "GET dapiPrivate positionSide/dual",
        "GET dapiPrivate userTrades",
        "GET dapiPrivateV2 leverageBracket",
        "GET dapiPublic exchangeInfo",
        "GET dapiPublic ticker/24hr",
        "GET dapiPublic time",
        "GET fapiPrivate income",
        "GET fapiPrivate leverageBracket",
        "GET fapiPrivate openOrders",
        "GET fapiPrivate order",
        "GET fapiPrivate positionSide/dual",
        "GET fapiPrivate userTrades",
        "GET fapiPrivateV3 account",
        "GET fapiPrivateV3 positionRisk",
        "GET fapiPublic exchangeInfo",
        "GET fapiPublic ticker/24hr",
        "GET fapiPublic time",
        "GET private account",
        "GET private myTrades",
        "GET private openOrders",
        "GET private order",
        "GET public exchangeInfo",
        "GET public ticker/24hr",
        "GET public time",
        "GET sapi account/apiRestrictions",
        "GET sapi capital/deposit/hisrec",
        "GET sapi capital/withdraw/history",
        "GET sapi margin/allPairs",
        "GET sapi margin/isolated/allPairs",
        "POST dapiPrivate leverage",
        "POST dapiPrivate marginType",
        "POST dapiPrivate order",
        "POST dapiPrivate positionSide/dual",
        "POST fapiPrivate leverage",
        "POST fapiPrivate marginType",
        "POST fapiPrivate order",
        "POST fapiPrivate positionSide/dual",
        "POST private order",
    )
    funding_hint = ("Move funds from your Funding wallet to your {wallet} "
                    "(Wallet → Transfer) and submit again.")

    # myTrades/userTrades answer at most 24 hours per query; futures income 7 days here.
    fills_window_ms = DAY_MS
    ledger_window_ms = 7 * DAY_MS

    def ccxt_options(self) -> dict[str, Any]:
        types = {MarketKind.SPOT: "spot", MarketKind.LINEAR: "linear",
                 MarketKind.INVERSE: "inverse"}[self.kind]
        options: dict[str, Any] = {
            "fetchMarkets": {"types": [types]},
            "defaultType": "spot" if self.kind is MarketKind.SPOT else "swap",
            "timeDifference": 0,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        }
        if self.kind is not MarketKind.SPOT:  # a sub-type would send spot calls to fapi
            options["defaultSubType"] = self.kind.value
        return options

    def _sub(self) -> dict[str, Any]:
        if self.kind is MarketKind.SPOT:
            return {}
        return {"type": "swap", "subType": self.kind.value}

    def balance_params(self) -> dict[str, Any]:
        return self._sub()

    def positions_params(self) -> dict[str, Any]:
        return self._sub()

    def open_orders_params(self) -> dict[str, Any]:
        return self._sub()

    def fills_params(self) -> dict[str, Any]:
        return self._sub()

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params = super().order_params(request)  # clientOrderId -> newClientOrderId
        if request.position_side is not None:
            params["positionSide"] = "LONG" if request.position_side is PositionSide.LONG \
                else "SHORT"
            params.pop("reduceOnly", None)  # rejected in hedge mode; positionSide decides
        return params

    def position_side_of(self, order: dict[str, Any]) -> PositionSide | None:
        side = str((order.get("info") or {}).get("positionSide") or "").upper()
        return {"LONG": PositionSide.LONG, "SHORT": PositionSide.SHORT}.get(side)

    async def fetch_position_mode(self, symbol: str | None = None) -> PositionMode:
        return await super().fetch_position_mode(symbol) if self.kind is MarketKind.SPOT \
            else await self._position_mode(symbol)

    async def _position_mode(self, symbol: str | None) -> PositionMode:
        await self._private()
        info = await self._call("fetch_position_mode", symbol, {"subType": self.kind.value})
        return PositionMode.HEDGE if info.get("hedged") else PositionMode.ONE_WAY

    async def set_position_mode(self, mode: PositionMode, symbol: str | None = None) -> None:
        if self.kind is MarketKind.SPOT:
            return await super().set_position_mode(mode, symbol)
        await self._private()
        await self._unless_unchanged("set_position_mode", PositionMode(mode) is PositionMode.HEDGE,
                                     symbol, {"subType": self.kind.value})

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        """``/fapi|dapi/v1/marginType`` (CROSSED / ISOLATED); "no need to change" is done."""
        self._derivatives_only("margin mode")
        await self._private()
        await self._unless_unchanged("set_margin_mode", MarginMode(mode).value, symbol, {})

    async def _unless_unchanged(self, name: str, *args: Any) -> None:
        try:
            await self._call(name, *args)
        except ExchangeError as exc:
            if exc.code != NO_NEED_TO_CHANGE[name]:
                raise

    async def fetch_ledger(self, since: datetime, currency: str | None = None
                           ) -> list[LedgerEntry]:
        if self.kind is not MarketKind.SPOT:
            return await super().fetch_ledger(since, currency)
        # Spot: ccxt's fetch_ledger covers contract wallets only; read the capital history.
        await self._private()
        deposits, withdrawals = await asyncio.gather(
            self._call("fetch_deposits", currency, parse.ms(since)),
            self._call("fetch_withdrawals", currency, parse.ms(since)))
        out = [_transaction(t, LedgerKind.DEPOSIT) for t in deposits]
        out += [_transaction(t, LedgerKind.WITHDRAWAL) for t in withdrawals]
        return sorted(out, key=lambda e: e.timestamp or datetime.min.replace(tzinfo=UTC))

    async def fetch_key_info(self) -> KeyInfo:
        response = await self._call("sapi_get_account_apirestrictions")
        return parse_binance_key(response, self.exchange)


class BinanceUsAdapter(BinanceAdapter):
    exchange = "binanceus"
    kinds = frozenset({MarketKind.SPOT})
    endpoints = endpoint_list(
        "DELETE private order",
        "GET private account",
        "GET private myTrades",
        "GET private openOrders",
        "GET private order",
        "GET public exchangeInfo",
        "GET public ticker/24hr",
        "GET public time",
        "GET sapi account/apiRestrictions",
        "GET sapi capital/deposit/hisrec",
        "GET sapi capital/withdraw/history",
        "POST private order",
    )


def _transaction(t: dict[str, Any], kind: LedgerKind) -> LedgerEntry:
    amount = parse.dec0(t.get("amount"))
    return LedgerEntry(
        id=str(t.get("id")) if t.get("id") is not None else None,
        kind=kind,
        currency=t.get("currency"),
        amount=amount if kind is LedgerKind.DEPOSIT else -amount,
        balance_after=None,
        timestamp=parse.ts(t.get("timestamp")),
        reference_id=t.get("txid"),
        exchange_type=t.get("type"),
    )


def parse_binance_key(r: dict[str, Any], exchange: str = "binance") -> KeyInfo:
    perms = tuple(k for k, v in sorted(r.items()) if v is True)
    expiry = r.get("tradingAuthorityExpirationTime")
    return KeyInfo(
        exchange=exchange,
        permissions=perms,
        can_trade_spot=bool(r.get("enableSpotAndMarginTrading")),
        can_trade_derivatives=bool(r.get("enableFutures")),
        withdraw_permissions=tuple(f for f in _FLAGS_WITHDRAW if r.get(f)),
        transfer_permissions=tuple(f for f in _FLAGS_TRANSFER if r.get(f)),
        read_only=not (r.get("enableSpotAndMarginTrading") or r.get("enableFutures")),
        # Binance reports only whether an IP restriction exists, not the list
        ips=("restricted",) if r.get("ipRestrict") else (),
        expires_at=parse.ts(expiry) if expiry else None,
        is_subaccount=None,
        refused_permissions=tuple(p for p in perms if p not in _FLAGS_ACCEPTED
                                  and p not in _FLAGS_WITHDRAW + _FLAGS_TRANSFER),
    )
