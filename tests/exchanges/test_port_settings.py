"""The port calls the live engine adds: ticker, leverage, margin mode (Bybit, OKX, KuCoin,
Binance, Kraken). Request shape through the fake HTTP layer; Bybit and OKX replies are the
ccxt fixtures (tests/data/ccxt) where one exists, else the venue's documented example."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sequence.exchanges.domain import (
    MarginMode,
    OrderRequest,
    PositionMode,
    PositionSide,
    Side,
    Ticker,
)
from sequence.exchanges.errors import ExchangeError, NotSupportedError
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import DATA, FakeHttp, fixture_case
from tests.exchanges.seed import seed
from tests.exchanges.test_replay_bybit import bybit
from tests.exchanges.test_replay_okx import okx

BYBIT_OK = {"retCode": 0, "retMsg": "OK", "result": {}, "retExtInfo": {}, "time": 1707905549267}


def bybit_request_case(method: str, description: str) -> dict:
    doc = json.loads((DATA / "request" / "bybit.json").read_text())
    return next(c for c in doc["methods"][method] if c["description"] == description)


def bybit_error(code: int, message: str) -> dict:
    return {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {},
            "time": 1707905549267}


# ------------------------------------------------------------------ Bybit
def test_bybit_ticker_replay(make_adapter):
    case = fixture_case("bybit", "fetchTicker", "swap ticker")
    adapter, http = bybit(make_adapter)
    http.add("/v5/market/tickers", case["httpResponse"])
    ticker = run(adapter.fetch_ticker("BTC/USDT:USDT"))
    assert http.last("/v5/market/tickers").query == {"symbol": "BTCUSDT", "category": "linear"}
    p = case["parsedResponse"]
    assert ticker == Ticker("BTC/USDT:USDT", Decimal(str(p["bid"])), Decimal(str(p["ask"])),
                            Decimal(str(p["last"])), None)
    assert ticker.bid == Decimal("51444.3") and ticker.ask == Decimal("51444.4")


@pytest.mark.parametrize(("kind", "symbol", "description"), [
    ("linear", "LTC/USDT:USDT", "Set leverage swap linear"),
    ("inverse", "BTC/USD:BTC", "Set leverage inverse"),
])
def test_bybit_set_leverage_matches_ccxt_request_fixture(make_adapter, kind, symbol,
                                                         description):
    case = bybit_request_case("setLeverage", description)
    adapter, http = bybit(make_adapter, kind)
    http.add("/v5/position/set-leverage", BYBIT_OK, method="POST")
    run(adapter.set_leverage(symbol, Decimal(case["input"][0]),
                             position_side=PositionSide.LONG))
    assert http.last("/v5/position/set-leverage").body == json.loads(case["output"])


def test_bybit_leverage_not_modified_is_success_other_errors_raise(make_adapter):
    adapter, http = bybit(make_adapter)
    http.add("/v5/position/set-leverage", bybit_error(110043, "Set leverage not modified"),
             method="POST")
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal("2.5")))
    assert http.last("/v5/position/set-leverage").body["buyLeverage"] == "2.5"
    http.add("/v5/position/set-leverage", bybit_error(110013, "cannot set leverage"),
             method="POST")
    with pytest.raises(ExchangeError) as err:
        run(adapter.set_leverage("BTC/USDT:USDT", Decimal(200)))
    assert err.value.code == "110013"


@pytest.mark.parametrize(("mode", "description"), [
    (MarginMode.CROSS, "Set margin mode to cross margin"),
    (MarginMode.ISOLATED, "set margin mode to isolated margin"),
])
def test_bybit_set_margin_mode_is_account_wide(make_adapter, mode, description):
    case = bybit_request_case("setMarginMode", description)
    adapter, http = bybit(make_adapter)
    http.add("/v5/account/set-margin-mode", {**BYBIT_OK, "result": {"reasons": []}},
             method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", mode))
    assert http.last("/v5/account/set-margin-mode").body == json.loads(case["output"])


def test_bybit_settings_already_in_place_are_success(make_adapter):
    adapter, http = bybit(make_adapter)
    http.add("/v5/account/set-margin-mode",
             bybit_error(110026, "Cross/isolated margin mode is not modified"), method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))
    http.add("/v5/position/switch-mode", bybit_error(110025, "Position mode is not modified"),
             method="POST")
    run(adapter.set_position_mode(PositionMode.HEDGE, "BTC/USDT:USDT"))
    assert http.last("/v5/position/switch-mode").body["mode"] == 3
    http.add("/v5/account/set-margin-mode",
             bybit_error(3400045, "Set margin mode failed"), method="POST")
    with pytest.raises(ExchangeError):
        run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))


@pytest.mark.parametrize("exchange", ["bybit", "okx", "kucoin", "kraken", "binance",
                                      "binanceus"])
def test_spot_has_no_leverage_or_margin_mode(make_adapter, exchange):
    adapter = make_adapter(exchange, "spot")
    http = FakeHttp(adapter._raw)
    for call in (adapter.set_leverage("BTC/USDT", Decimal(2)),
                 adapter.set_margin_mode("BTC/USDT", MarginMode.CROSS)):
        with pytest.raises(NotSupportedError, match="spot markets have no"):
            run(call)
    assert http.calls == []  # refused before any request


# ------------------------------------------------------------------ OKX
def test_okx_ticker_replay(make_adapter):
    case = fixture_case("okx", "fetchTicker", "public spot ticker")
    adapter, http = okx(make_adapter, "spot")
    http.add("/api/v5/market/ticker", case["httpResponse"])
    ticker = run(adapter.fetch_ticker("BTC/USDT"))
    assert http.last("/api/v5/market/ticker").query == {"instId": "BTC-USDT"}
    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("73384.7"), Decimal("73384.8"), Decimal("73384.8"))
    assert ticker.timestamp is not None
    assert int(ticker.timestamp.timestamp() * 1000) == case["parsedResponse"]["timestamp"]


OKX_LEVERAGE = {"code": "0", "msg": "", "data": [  # docs: POST /api/v5/account/set-leverage
    {"instId": "BTC-USDT-SWAP", "lever": "5", "mgnMode": "cross", "posSide": ""}]}
OKX_ORDER = {"code": "0", "msg": "", "data": [{"clOrdId": "seqO1", "ordId": "312269865356374016",
                                             "tag": "", "sCode": "0", "sMsg": ""}]}


def test_okx_cross_leverage_one_call_for_both_sides(make_adapter):
    adapter, http = okx(make_adapter)
    http.add("/api/v5/account/set-leverage", OKX_LEVERAGE, method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))
    assert http.all("/api/v5/account/set-leverage") == []  # margin mode: no request
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(5), position_side=PositionSide.LONG))
    [call] = http.all("/api/v5/account/set-leverage")
    assert call.body == {"lever": 5, "mgnMode": "cross", "instId": "BTC-USDT-SWAP"}


def test_okx_isolated_leverage_per_side(make_adapter):
    adapter, http = okx(make_adapter)
    http.add("/api/v5/account/set-leverage", OKX_LEVERAGE, method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.ISOLATED))
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(3)))
    bodies = [c.body for c in http.all("/api/v5/account/set-leverage")]
    assert [(b["mgnMode"], b["posSide"]) for b in bodies] == [("isolated", "long"),
                                                             ("isolated", "short")]
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(3), position_side=PositionSide.SHORT))
    assert http.last("/api/v5/account/set-leverage").body["posSide"] == "short"


def test_okx_derivative_orders_carry_the_recorded_margin_mode(make_adapter):
    adapter, http = okx(make_adapter)
    http.add("/api/v5/trade/order", OKX_ORDER, method="POST")
    request = OrderRequest("BTC/USDT:USDT", Side.BUY, Decimal(1), Decimal(30000), "seqO1",
                           position_side=PositionSide.LONG)
    run(adapter.create_order(request))
    assert http.last("/api/v5/trade/order").body["tdMode"] == "cross"
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.ISOLATED))
    run(adapter.create_order(request))
    assert http.last("/api/v5/trade/order").body["tdMode"] == "isolated"
    spot, http2 = okx(make_adapter, "spot")
    http2.add("/api/v5/trade/order", OKX_ORDER, method="POST")
    run(spot.create_order(OrderRequest("BTC/USDT", Side.BUY, Decimal("0.01"), Decimal(30000),
                                       "seqO1")))
    assert http2.last("/api/v5/trade/order").body["tdMode"] == "cash"  # never margin spot


# ------------------------------------------------------------------ KuCoin futures
def kucoin_futures(make_adapter, account_mode="CLASSIC"):
    adapter = make_adapter("kucoin", "linear")
    seed(adapter, ("BTC/USDT:USDT", "XBTUSDTM", 0.001, {"baseId": "XBT"}))
    http = FakeHttp(adapter._raw)
    # docs (GET /api/ua/v1/account/mode): the field is selfAccountMode, CLASSIC or UNIFIED
    http.add("/api/ua/v1/account/mode", {"code": "200000", "data": {
        "selfAccountMode": account_mode}})
    return adapter, http


KUCOIN_OK = {"code": "200000", "data": True}
KUCOIN_ORDER = {"code": "200000", "data": {"orderId": "234125150956625920",
                                           "clientOid": "seqF1"}}
LONG_ENTRY = OrderRequest("BTC/USDT:USDT", Side.BUY, Decimal(1), Decimal(70000), "seqF1",
                          position_side=PositionSide.LONG)


def test_kucoin_classic_order_carries_cross_and_the_account_leverage(make_adapter):
    adapter, http = kucoin_futures(make_adapter)
    http.add("/api/v2/getCrossUserLeverage", {"code": "200000", "data": {
        "symbol": "XBTUSDTM", "leverage": "3"}})
    http.add("/api/v1/orders", KUCOIN_ORDER, method="POST")
    run(adapter.create_order(LONG_ENTRY))
    run(adapter.create_order(LONG_ENTRY))
    assert http.first("/api/v2/getCrossUserLeverage").query == {"symbol": "XBTUSDTM"}
    assert len(http.all("/api/v2/getCrossUserLeverage")) == 1  # read once per adapter
    body = http.last("/api/v1/orders").body
    assert (body["marginMode"], body["leverage"]) == ("CROSS", 3)  # not ccxt's isolated 1x


def test_kucoin_classic_margin_mode_and_leverage_requests(make_adapter):
    adapter, http = kucoin_futures(make_adapter)
    http.add("/api/v2/position/changeMarginMode", {"code": "200000", "data": {
        "symbol": "XBTUSDTM", "marginMode": "CROSS"}}, method="POST")
    http.add("/api/v2/changeCrossUserLeverage", KUCOIN_OK, method="POST")
    http.add("/api/v1/orders", KUCOIN_ORDER, method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))
    assert http.last("/api/v2/position/changeMarginMode").body == {
        "symbol": "XBTUSDTM", "marginMode": "CROSS"}
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(5)))
    assert http.last("/api/v2/changeCrossUserLeverage").body == {
        "symbol": "XBTUSDTM", "leverage": "5"}
    run(adapter.create_order(LONG_ENTRY))
    body = http.last("/api/v1/orders").body
    assert (body["marginMode"], body["leverage"], body["positionSide"]) == ("CROSS", 5, "LONG")
    assert http.all("/api/v2/getCrossUserLeverage") == []  # set leverage is known


def test_kucoin_isolated_orders_need_a_set_leverage(make_adapter):
    adapter, http = kucoin_futures(make_adapter)
    http.add("/api/v2/position/changeMarginMode", {"code": "200000", "data": {
        "symbol": "XBTUSDTM", "marginMode": "ISOLATED"}}, method="POST")
    http.add("/api/v1/orders", KUCOIN_ORDER, method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.ISOLATED))
    with pytest.raises(NotSupportedError, match="set_leverage first"):
        run(adapter.create_order(LONG_ENTRY))
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(4)))  # per order: no request
    assert http.all("/api/v2/changeCrossUserLeverage") == []
    run(adapter.create_order(LONG_ENTRY))
    body = http.last("/api/v1/orders").body
    assert (body["marginMode"], body["leverage"]) == ("ISOLATED", 4)


def test_kucoin_unified_account_paths(make_adapter):
    adapter, http = kucoin_futures(make_adapter, "UNIFIED")
    http.add("/api/ua/v1/unified/order/place", {"code": "200000", "data": {
        "orderId": "426319129738321920", "tradeType": "FUTURES", "clientOid": "seqF1"}},
        method="POST")
    http.add("/api/ua/v1/unified/account/modify-leverage", KUCOIN_OK, method="POST")
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))  # unified: cross already
    with pytest.raises(NotSupportedError, match="cross margin only"):
        run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.ISOLATED))
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(5)))
    assert http.last("/api/ua/v1/unified/account/modify-leverage").body == {
        "symbol": "XBTUSDTM", "leverage": "5"}
    order = run(adapter.create_order(LONG_ENTRY))
    body = http.last("/api/ua/v1/unified/order/place").body
    assert (body["tradeType"], body["clientOid"], body["postOnly"]) == ("FUTURES", "seqF1", True)
    assert "leverage" not in body and "marginMode" not in body  # classic-only fields
    assert order.client_order_id == "seqF1"
    assert [p for p in http.paths() if "/api/v1/" in p or "/api/v2/" in p] == []
    assert len(http.all("/api/ua/v1/account/mode")) == 1  # the mode is read once


def test_kucoin_ticker(make_adapter):
    adapter, http = kucoin_futures(make_adapter)
    http.add("/api/v1/ticker", {"code": "200000", "data": {  # docs: GET /api/v1/ticker
        "sequence": 1697895100310, "symbol": "XBTUSDTM", "side": "sell", "size": 2936,
        "tradeId": "1697901180000", "price": "67158.4", "bestBidPrice": "67169.6",
        "bestBidSize": 32345, "bestAskPrice": "67169.7", "bestAskSize": 7251,
        "ts": 1729163001780000000}})
    ticker = run(adapter.fetch_ticker("BTC/USDT:USDT"))
    assert http.last("/api/v1/ticker").query == {"symbol": "XBTUSDTM"}
    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("67169.6"), Decimal("67169.7"), Decimal("67158.4"))


# ------------------------------------------------------------------ Binance futures
def test_binance_margin_mode_no_need_to_change_is_success(make_adapter):
    adapter = make_adapter("binance", "linear")
    seed(adapter, ("BTC/USDT:USDT", "BTCUSDT", 1, {}))
    http = FakeHttp(adapter._raw)
    http.add("/fapi/v1/marginType", {"code": -4046, "msg": "No need to change margin type."},
             method="POST", status=400)
    run(adapter.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS))
    call = http.last("/fapi/v1/marginType")
    assert (call.body or call.query)["marginType"] == "CROSSED"
    http.add("/fapi/v1/leverage", {"leverage": 7, "maxNotionalValue": "1000000",
                                   "symbol": "BTCUSDT"}, method="POST")
    run(adapter.set_leverage("BTC/USDT:USDT", Decimal(7)))
    call = http.last("/fapi/v1/leverage")
    assert (call.body or call.query)["leverage"] == "7"
