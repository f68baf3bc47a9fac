"""Drive every port method of an adapter through the fake HTTP layer (allow-list tests).

Each venue answers every request with its own "success, nothing here" envelope. A method may
then fail while reading that empty reply (a missing field); what matters here is which
endpoints were requested and that the guard refused none of them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sequence.exchanges.domain import MarginMode, MarketKind, OrderRequest, PositionMode, Side
from sequence.exchanges.domain import PositionSide as PS
from sequence.exchanges.errors import ExchangeError, ForbiddenOperationError
from sequence.exchanges.guard import endpoint_of

# (exchange, kind, variant): every adapter configuration the port can be built in
VARIANTS = [
    ("bybit", "spot", ""), ("bybit", "linear", ""), ("bybit", "inverse", ""),
    ("okx", "spot", ""), ("okx", "linear", ""), ("okx", "inverse", ""),
    ("kucoin", "spot", "classic"), ("kucoin", "spot", "hf"), ("kucoin", "spot", "unified"),
    ("kucoin", "linear", "classic"), ("kucoin", "linear", "unified"),
    ("kucoin", "inverse", "classic"),
    ("kraken", "spot", ""),
    ("binance", "spot", ""), ("binance", "linear", ""), ("binance", "inverse", ""),
    ("binanceus", "spot", ""),
]
SYMBOLS = {MarketKind.SPOT: "BTC/USDT", MarketKind.LINEAR: "BTC/USDT:USDT",
           MarketKind.INVERSE: "BTC/USD:BTC"}
VENUE_IDS = {  # (exchange, kind) -> venue market id
    ("bybit", "spot"): "BTCUSDT", ("bybit", "linear"): "BTCUSDT", ("bybit", "inverse"): "BTCUSD",
    ("okx", "spot"): "BTC-USDT", ("okx", "linear"): "BTC-USDT-SWAP",
    ("okx", "inverse"): "BTC-USD-SWAP", ("kucoin", "spot"): "BTC-USDT",
    ("kucoin", "linear"): "XBTUSDTM", ("kucoin", "inverse"): "XBTUSDM",
    ("kraken", "spot"): "XXBTZUSD", ("binance", "spot"): "BTCUSDT",
    ("binance", "linear"): "BTCUSDT", ("binance", "inverse"): "BTCUSD_PERP",
    ("binanceus", "spot"): "BTCUSDT",
}


def empty_reply(exchange: str, path: str, variant: str) -> Any:
    now = int(time.time() * 1000)
    if exchange == "bybit":
        return {"retCode": 0, "retMsg": "OK", "result": {"list": [], "nextPageCursor": ""},
                "retExtInfo": {}, "time": now}
    if exchange == "okx":
        return {"code": "0", "msg": "", "data": []}
    if exchange == "kucoin":
        data: dict[str, Any] = {"items": [], "leverage": "3", "selfAccountMode":
                                "UNIFIED" if variant == "unified" else "CLASSIC"}
        if path.endswith("hf/accounts/opened"):
            return {"code": "200000", "data": variant == "hf"}
        return {"code": "200000", "data": data}
    if exchange == "kraken":
        return {"error": [], "result": {}}
    return {}  # binance


@dataclass
class Recorder:
    exchange: str
    variant: str
    endpoints: set[tuple[str, str, str]] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)


def attach(adapter: Any, variant: str) -> Recorder:
    """Record each endpoint at the guarded fetch2 and answer beneath the guard."""
    raw = adapter._raw
    rec = Recorder(adapter.exchange, variant)
    guarded_fetch2 = raw.fetch2

    async def fetch2(path, api=None, method="GET", params=None, config=None):
        endpoint = endpoint_of(method, api if api is not None else ["public"], path)
        try:
            return await guarded_fetch2(path, api, method, params, config)
        except ForbiddenOperationError as exc:
            rec.refused.append(f"{endpoint}: {exc}")
            raise
        finally:
            rec.endpoints.add(endpoint)

    async def transport(url, method="GET", headers=None, body=None):
        return json.loads(json.dumps(empty_reply(adapter.exchange, url, variant)))

    raw.fetch2 = fetch2
    raw.fetch.transport = transport
    return rec


def port_calls(adapter: Any) -> list[tuple[str, Any]]:
    kind = adapter.kind
    symbol = SYMBOLS[kind] if adapter.exchange != "kraken" else "BTC/USD"
    long = PS.LONG if kind is not MarketKind.SPOT else None
    since = datetime.now(UTC) - timedelta(days=2)
    old = datetime.now(UTC) - timedelta(days=20)
    quote = symbol.split("/")[1].split(":")[0]
    return [
        ("sync_time", lambda: adapter.sync_time(force=True)),
        ("fetch_key_info", adapter.fetch_key_info),
        ("fetch_balance", adapter.fetch_balance),
        ("fetch_positions", adapter.fetch_positions),
        ("fetch_open_orders", lambda: adapter.fetch_open_orders(symbol)),
        ("fetch_open_orders_all", lambda: adapter.fetch_open_orders(None)),
        ("create_order", lambda: adapter.create_order(OrderRequest(
            symbol, Side.BUY, Decimal(1), Decimal(30000), "seq1", position_side=long))),
        ("create_take_profit", lambda: adapter.create_order(OrderRequest(
            symbol, Side.SELL, Decimal(1), Decimal(31000), "seq2", reduce_only=True,
            position_side=long))),
        ("cancel_by_client_id", lambda: adapter.cancel_order(symbol, client_order_id="seq1")),
        ("cancel_by_id", lambda: adapter.cancel_order(symbol, order_id="123")),
        ("fetch_order_by_client_id", lambda: adapter.fetch_order_by_client_id(symbol, "seq1")),
        ("fetch_fills", lambda: adapter.fetch_fills(since, symbol)),
        ("fetch_fills_all", lambda: adapter.fetch_fills(since)),
        ("fetch_ledger", lambda: adapter.fetch_ledger(since, quote)),
        ("fetch_ledger_old", lambda: adapter.fetch_ledger(old)),
        ("fetch_position_mode", lambda: adapter.fetch_position_mode(symbol)),
        ("set_position_mode", lambda: adapter.set_position_mode(PositionMode.HEDGE, symbol)),
        ("set_one_way", lambda: adapter.set_position_mode(PositionMode.ONE_WAY, symbol)),
        ("set_margin_mode", lambda: adapter.set_margin_mode(symbol, MarginMode.CROSS)),
        ("set_leverage", lambda: adapter.set_leverage(symbol, Decimal(5))),
        ("fetch_ticker", lambda: adapter.fetch_ticker(symbol)),
    ]


async def drive(adapter: Any, rec: Recorder) -> dict[str, str]:
    """Run every port call; the outcome of each: "ok" or the error class name."""
    outcomes = {}
    for name, call in port_calls(adapter):
        try:
            await call()
            outcomes[name] = "ok"
        except ExchangeError as exc:  # ours: mapped from ccxt, or refused by the guard
            outcomes[name] = type(exc).__name__
    return outcomes
