"""Replay of real Bybit responses (tests/data/ccxt/response/bybit.json) through our adapter.

Only ``fetch`` is replaced; ccxt builds and signs each request, parses each reply, and our
adapter turns the unified structure into Decimal domain objects. Expected values come from
the fixture's ``parsedResponse`` (ccxt's own reading of the same reply) and from the raw reply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sequence.exchanges.domain import (
    LedgerKind,
    MarketKind,
    OrderRequest,
    OrderStatus,
    PositionMode,
    PositionSide,
    Side,
)
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import FakeHttp, fixture_case, local

INSTRUMENTS = local("bybit_instruments.json")
SINCE = datetime(2023, 1, 1, tzinfo=UTC)


def D(x) -> Decimal:
    return Decimal(str(x))


EMPTY_PAGE = {"retCode": 0, "retMsg": "OK", "result": {"list": [], "nextPageCursor": ""},
              "time": 1700000000000}


def history(http, path, reply):
    """The recorded reply for the first page, empty pages (no cursor) after it."""
    http.add(path, EMPTY_PAGE)
    http.add(path, reply, times=1)


def bybit(make_adapter, kind="linear"):
    adapter = make_adapter("bybit", kind)
    http = FakeHttp(adapter._raw)
    cat = {"spot": "spot", "linear": "linear", "inverse": "inverse"}[kind]
    http.add("/v5/market/instruments-info", INSTRUMENTS[cat], query={"category": cat})
    http.add("/v5/market/instruments-info", INSTRUMENTS["empty"],
             query={"category": cat, "status": "PreLaunch"})
    return adapter, http


def test_markets_loaded_once_and_shared(make_adapter):
    adapter, http = bybit(make_adapter)
    markets = run(adapter.load_markets())
    btc = markets["BTC/USDT:USDT"]
    assert btc.kind is MarketKind.LINEAR
    assert btc.price_tick == Decimal("0.1") and btc.amount_step == Decimal("0.001")
    assert btc.min_amount == Decimal("0.001") and btc.contract_size == Decimal(1)
    assert btc.settle == "USDT" and btc.exchange_symbol == "BTCUSDT"
    loads = len(http.calls)
    assert [c.query.get("category") for c in http.calls] == ["linear", "linear"]
    # a second adapter on the same exchange shares the markets: no request at all
    other, http2 = bybit(make_adapter)
    assert run(other.load_markets())["LTC/USDT:USDT"].amount_step == Decimal("0.1")
    assert http2.calls == [] and loads == 2
    assert other._raw.markets is not None


def test_spot_and_inverse_markets(make_adapter):
    spot, _ = bybit(make_adapter, "spot")
    m = run(spot.load_markets())["BTC/USDT"]
    assert (m.kind, m.amount_step, m.min_cost, m.contract_size) == (
        MarketKind.SPOT, Decimal("0.000001"), Decimal(1), None)
    inv, _ = bybit(make_adapter, "inverse")
    m = run(inv.load_markets())["BTC/USD:BTC"]
    assert (m.kind, m.settle, m.price_tick) == (MarketKind.INVERSE, "BTC", Decimal("0.5"))


def test_fetch_balance_unified_wallet(make_adapter):
    case = fixture_case("bybit", "fetchBalance", "balance after availableToWithdraw update")
    adapter, http = bybit(make_adapter)
    http.add("/v5/account/wallet-balance", case["httpResponse"])
    wallet = run(adapter.fetch_balance())
    assert http.last("/v5/account/wallet-balance").query == {"accountType": "UNIFIED"}
    assert wallet.wallet == "Unified Trading account"
    parsed = case["parsedResponse"]
    assert set(wallet.balances) == set(parsed["total"])
    for code, bal in wallet.balances.items():
        assert bal.total == D(parsed["total"][code])
        assert bal.free == D(parsed["free"][code])
        assert bal.used == D(parsed["used"][code])
        assert isinstance(bal.total, Decimal)
    coins = {c["coin"]: c for c in case["httpResponse"]["result"]["list"][0]["coin"]}
    assert wallet.get("USDT").total == Decimal(coins["USDT"]["walletBalance"])
    assert wallet.get("NOPE").total == 0


def test_create_post_only_order_sends_our_client_id(make_adapter):
    case = fixture_case("bybit", "createOrder", "create spot order")
    adapter, http = bybit(make_adapter, "spot")
    http.add("/v5/order/create", case["httpResponse"], method="POST")
    order = run(adapter.create_order(OrderRequest(
        "LTC/USDT", Side.BUY, Decimal("0.1"), Decimal("60"), "seqA1b2C3")))
    body = http.last("/v5/order/create").body
    assert body["orderLinkId"] == "seqA1b2C3"
    assert body["timeInForce"] == "PostOnly" and body["category"] == "spot"
    assert (body["qty"], body["price"], body["side"]) == ("0.1", "60", "Buy")
    assert order.id == case["parsedResponse"]["id"]
    # the venue echoes its own orderLinkId for this recorded spot order
    assert order.client_order_id == case["parsedResponse"]["clientOrderId"]


def test_create_reduce_only_hedge_order(make_adapter):
    case = fixture_case("bybit", "createOrder", "create spot order")
    adapter, http = bybit(make_adapter, "linear")
    http.add("/v5/order/create", case["httpResponse"], method="POST")
    run(adapter.create_order(OrderRequest(
        "BTC/USDT:USDT", Side.SELL, Decimal("0.001"), Decimal("90000"), "tp1",
        reduce_only=True, position_side=PositionSide.LONG)))
    body = http.last("/v5/order/create").body
    assert body == {"symbol": "BTCUSDT", "side": "Sell", "orderType": "Limit",
                    "timeInForce": "PostOnly", "price": "90000", "category": "linear",
                    "qty": "0.001", "reduceOnly": True, "positionIdx": 1,
                    "orderLinkId": "tp1"}


def test_fetch_open_order_by_client_id(make_adapter):
    case = fixture_case("bybit", "fetchOpenOrder", "Fetch an open swap order by its ID and symbol")
    raw = case["httpResponse"]["result"]["list"][0]
    response = {**case["httpResponse"]}
    response["result"] = {**response["result"],
                          "list": [{**raw, "orderLinkId": "seq42"}]}
    adapter, http = bybit(make_adapter)
    http.add("/v5/order/realtime", response)
    order = run(adapter.fetch_order_by_client_id("BTC/USDT:USDT", "seq42"))
    q = http.last("/v5/order/realtime").query
    assert q["orderLinkId"] == "seq42" and q["category"] == "linear"
    p = case["parsedResponse"]
    assert order.id == p["id"] and order.status is OrderStatus.OPEN
    assert order.price == D(p["price"]) and order.amount == D(p["amount"])
    assert order.side is Side(p["side"]) and order.client_order_id == "seq42"
    assert order.remaining == D(p["remaining"]) and order.filled == D(p["filled"])


def test_fetch_open_orders(make_adapter):
    case = fixture_case("bybit", "fetchOpenOrder", "Fetch an open swap order by its ID and symbol")
    adapter, http = bybit(make_adapter)
    http.add("/v5/order/realtime", case["httpResponse"])
    orders = run(adapter.fetch_open_orders("BTC/USDT:USDT"))
    assert [o.id for o in orders] == [case["parsedResponse"]["id"]]
    assert orders[0].position_side is None  # positionIdx 0: one-way


def test_fetch_closed_order_by_client_id_falls_back_to_history(make_adapter):
    case = fixture_case("bybit", "fetchClosedOrder", "Fetch swap closed order by its ID and symbol")
    empty = {"retCode": 0, "retMsg": "OK", "result": {"list": [], "nextPageCursor": ""}}
    adapter, http = bybit(make_adapter)
    http.add("/v5/order/realtime", empty)
    http.add("/v5/order/history", case["httpResponse"])
    # the recorded order has no orderLinkId: look up by the id the venue gave it
    cid = ""
    order = run(adapter.fetch_order_by_client_id("BTC/USDT:USDT", "x" + cid))
    assert order is None  # not ours
    assert http.paths()[-2:] == ["GET /v5/order/realtime", "GET /v5/order/history"]


def test_fetch_closed_orders_parse(make_adapter):
    case = fixture_case("bybit", "fetchClosedOrders", "Fetch swap closed orders by the symbol")
    lst = case["httpResponse"]["result"]["list"]
    response = {**case["httpResponse"], "result": {
        **case["httpResponse"]["result"], "list": [{**lst[0], "orderLinkId": "dca7"}]}}
    adapter, http = bybit(make_adapter)
    http.add("/v5/order/realtime", {"retCode": 0, "retMsg": "OK", "result": {"list": []}})
    http.add("/v5/order/history", response)
    order = run(adapter.fetch_order_by_client_id("BTC/USDT:USDT", "dca7"))
    first = next(p for p in case["parsedResponse"] if p["id"] == lst[0]["orderId"])
    assert order.status is OrderStatus.FILLED
    assert order.filled == D(first["filled"]) and order.amount == D(first["amount"])


def test_fetch_positions(make_adapter):
    case = fixture_case("bybit", "fetchPositions", "Fetch linear position")
    adapter, http = bybit(make_adapter)
    http.add("/v5/position/list", case["httpResponse"])
    positions = run(adapter.fetch_positions(["LTC/USDT:USDT"]))
    q = http.last("/v5/position/list").query
    assert q["symbol"] == "LTCUSDT" and q["category"] == "linear"
    p = case["parsedResponse"][0]
    [pos] = positions
    assert pos.symbol == "LTC/USDT:USDT" and pos.side is PositionSide(p["side"])
    assert pos.size == D(p["contracts"]) and pos.entry_price == D(p["entryPrice"])
    assert pos.unrealized_pnl == D(p["unrealizedPnl"]) and pos.leverage == D(p["leverage"])
    assert pos.mark_price == Decimal("71.1") and pos.hedged is False


def test_flat_position_is_omitted_and_mode_one_way(make_adapter):
    case = fixture_case("bybit", "fetchPosition", "linear position")
    adapter, http = bybit(make_adapter)
    http.add("/v5/position/list", case["httpResponse"])
    assert run(adapter.fetch_positions(["LTC/USDT:USDT"])) == []
    assert run(adapter.fetch_position_mode("LTC/USDT:USDT")) is PositionMode.ONE_WAY


def test_hedge_mode_detected_from_position_idx(make_adapter):
    case = fixture_case("bybit", "fetchPositions", "Fetch linear position")
    row = case["httpResponse"]["result"]["list"][0]
    response = {**case["httpResponse"], "result": {**case["httpResponse"]["result"], "list": [
        {**row, "positionIdx": 1, "side": "Buy"}, {**row, "positionIdx": 2, "side": "Sell"}]}}
    adapter, http = bybit(make_adapter)
    http.add("/v5/position/list", response)
    assert run(adapter.fetch_position_mode("LTC/USDT:USDT")) is PositionMode.HEDGE
    sides = {p.side for p in run(adapter.fetch_positions(["LTC/USDT:USDT"]))}
    assert sides == {PositionSide.LONG, PositionSide.SHORT}


@pytest.mark.parametrize(("description", "kind", "symbol"), [
    ("spot private trade", "spot", "BTC/USDT"),
    ("spot trades without symbol", "spot", None),
    ("swap trades without symbol", "linear", None),
])
def test_fetch_fills(make_adapter, description, kind, symbol):
    case = fixture_case("bybit", "fetchMyTrades", description)
    adapter, http = bybit(make_adapter, kind)
    history(http, "/v5/execution/list", case["httpResponse"])
    fills = run(adapter.fetch_fills(SINCE, symbol))
    q = http.first("/v5/execution/list").query
    assert q["execType"] == "Trade" and q["startTime"] == str(int(SINCE.timestamp() * 1000))
    assert len(fills) == len(case["parsedResponse"])
    for fill, p in zip(fills, case["parsedResponse"], strict=True):
        assert fill.id == p["id"] and fill.order_id == p["order"]
        assert fill.price == D(p["price"]) and fill.amount == D(p["amount"])
        assert fill.fee == D(p["fee"]["cost"]) and fill.fee_currency == p["fee"]["currency"]
        assert fill.symbol == p["symbol"] and fill.side is Side(p["side"])
        assert fill.client_order_id == (p["info"]["orderLinkId"] or None)
        assert fill.timestamp == datetime.fromtimestamp(p["timestamp"] / 1000, UTC)


def test_funding_rows_are_not_fills(make_adapter):
    case = fixture_case("bybit", "fetchMyTrades", "Swap private trade")
    assert case["httpResponse"]["result"]["list"][0]["execType"] == "Funding"
    adapter, http = bybit(make_adapter)
    history(http, "/v5/execution/list", case["httpResponse"])
    assert run(adapter.fetch_fills(SINCE, "LTC/USDT:USDT")) == []


def test_fetch_ledger(make_adapter):
    case = fixture_case("bybit", "fetchLedger", "fetch ledger")
    adapter, http = bybit(make_adapter)
    history(http, "/v5/account/transaction-log", case["httpResponse"])
    entries = run(adapter.fetch_ledger(SINCE, "USDT"))
    assert {c.query["currency"] for c in http.all("/v5/account/transaction-log")} == {"USDT"}
    p = case["parsedResponse"][0]
    e = entries[0]
    assert e.id == p["id"] and e.currency == "USDT"
    assert e.kind is LedgerKind.FUNDING and e.exchange_type == "SETTLEMENT"
    assert e.amount == -D(p["amount"]) and e.balance_after == D(p["after"])
    assert len(entries) == len(case["parsedResponse"])
