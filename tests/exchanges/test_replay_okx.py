"""Replay of real OKX responses (tests/data/ccxt/response/okx.json) through our adapter."""

from __future__ import annotations

import copy
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

INSTRUMENTS = local("okx_instruments.json")
SINCE = datetime(2023, 1, 1, tzinfo=UTC)


def D(x) -> Decimal:
    return Decimal(str(x))


def okx(make_adapter, kind="linear", **config):
    adapter = make_adapter("okx", kind, **config)
    http = FakeHttp(adapter._raw)
    inst = "SPOT" if kind == "spot" else "SWAP"
    http.add("/api/v5/public/instruments", INSTRUMENTS[inst], query={"instType": inst})
    return adapter, http


def test_markets(make_adapter):
    adapter, http = okx(make_adapter)
    markets = run(adapter.load_markets())
    ada = markets["ADA/USDT:USDT"]
    assert (ada.kind, ada.contract_size, ada.price_tick, ada.amount_step) == (
        MarketKind.LINEAR, Decimal(100), Decimal("0.0001"), Decimal(1))
    assert "BTC/USD:BTC" not in markets  # the inverse adapter has its own market set
    assert http.paths() == ["GET /api/v5/public/instruments"]
    inv, _ = okx(make_adapter, "inverse")
    assert run(inv.load_markets())["BTC/USD:BTC"].kind is MarketKind.INVERSE


def test_sync_time_median(make_adapter):
    case = fixture_case("okx", "fetchTime", "Fetch time")
    adapter, http = okx(make_adapter, sync_time=True, time_sync_samples=3)
    http.add("/api/v5/public/time", case["httpResponse"])
    offset = run(adapter.sync_time(force=True))
    assert len([c for c in http.calls if c.path == "/api/v5/public/time"]) == 3
    local_now = adapter._raw.milliseconds()
    assert abs((local_now + offset) - case["parsedResponse"]) < 5_000
    assert adapter._raw.options["timeDifference"] == -offset


@pytest.mark.parametrize("description", ["spot balance"])
def test_fetch_balance_trading_account(make_adapter, description):
    for case in (fixture_case("okx", "fetchBalance", description),):
        adapter, http = okx(make_adapter)
        http.add("/api/v5/account/balance", case["httpResponse"])
        wallet = run(adapter.fetch_balance())
        assert http.paths()[-1] == "GET /api/v5/account/balance"
        assert wallet.wallet == "Trading account"
        parsed = case["parsedResponse"]
        assert set(wallet.balances) == set(parsed["total"])
        for code, bal in wallet.balances.items():
            assert (bal.total, bal.free, bal.used) == (
                D(parsed["total"][code]), D(parsed["free"][code]), D(parsed["used"][code]))
        assert wallet.get("TUSD").total == Decimal(3000)


def test_create_order_posts_clordid_and_no_broker_tag(make_adapter):
    case = fixture_case("okx", "createOrder", "type2 & type3 together")
    response = copy.deepcopy(case["httpResponse"])
    response["data"][0]["clOrdId"] = "seqL1"
    adapter, http = okx(make_adapter)
    http.add("/api/v5/trade/order", response, method="POST")
    order = run(adapter.create_order(OrderRequest(
        "BTC/USDT:USDT", Side.BUY, Decimal("0.01"), Decimal("60000"), "seqL1")))
    body = http.last("/api/v5/trade/order").body
    assert body["clOrdId"] == "seqL1" and "tag" not in body
    assert body["ordType"] == "post_only" and body["px"] == "60000" and body["sz"] == "0.01"
    assert body["instId"] == "BTC-USDT-SWAP" and body["tdMode"] == "cross"
    assert order.id == case["parsedResponse"]["id"] and order.client_order_id == "seqL1"


def test_hedge_mode_orders_carry_pos_side(make_adapter):
    case = fixture_case("okx", "createOrder", "type2 & type3 together")
    adapter, http = okx(make_adapter)
    http.add("/api/v5/trade/order", case["httpResponse"], method="POST")
    run(adapter.create_order(OrderRequest(
        "BTC/USDT:USDT", Side.SELL, Decimal("0.02"), Decimal("70000"), "tp2",
        reduce_only=True, position_side=PositionSide.LONG)))
    body = http.last("/api/v5/trade/order").body
    assert body["posSide"] == "long" and body["side"] == "sell" and "reduceOnly" not in body
    run(adapter.create_order(OrderRequest(
        "BTC/USDT:USDT", Side.SELL, Decimal("0.02"), Decimal("70000"), "tp3", reduce_only=True)))
    body = http.last("/api/v5/trade/order").body
    assert body["reduceOnly"] is True and "posSide" not in body


def test_fetch_open_orders(make_adapter):
    case = fixture_case("okx", "fetchOpenOrders",
                        "fetch swap limit open order with take profit and stop loss")
    adapter, http = okx(make_adapter)
    http.add("/api/v5/trade/orders-pending", case["httpResponse"])
    [order] = run(adapter.fetch_open_orders("ADA/USDT:USDT"))
    assert http.last("/api/v5/trade/orders-pending").query["instId"] == "ADA-USDT-SWAP"
    p = case["parsedResponse"][0]
    assert order.id == p["id"] and order.client_order_id == p["clientOrderId"]
    assert order.price == D(p["price"]) and order.amount == D(p["amount"])
    assert order.status is OrderStatus.OPEN and order.side is Side(p["side"])


def test_fetch_order_by_client_id(make_adapter):
    case = fixture_case("okx", "fetchOrder", "fetch spot order")
    adapter, http = okx(make_adapter, "spot")
    http.add("/api/v5/trade/order", case["httpResponse"], method="GET")
    p = case["parsedResponse"]
    order = run(adapter.fetch_order_by_client_id("LTC/USDT", p["clientOrderId"]))
    q = http.last("/api/v5/trade/order").query
    assert q == {"instId": "LTC-USDT", "clOrdId": p["clientOrderId"]}
    assert order.id == p["id"] and order.status is OrderStatus.FILLED
    assert order.filled == D(p["filled"]) and order.price == D(p["price"])


def test_fetch_order_by_client_id_not_found(make_adapter):
    adapter, http = okx(make_adapter, "spot")
    http.add("/api/v5/trade/order", {"code": "51603", "msg": "Order does not exist",
                                     "data": []}, method="GET")
    assert run(adapter.fetch_order_by_client_id("LTC/USDT", "nope1")) is None


def test_fetch_fills(make_adapter):
    case = fixture_case("okx", "fetchMyTrades", "Fetch spot trade")
    adapter, http = okx(make_adapter, "spot")
    http.add("/api/v5/trade/fills-history", case["httpResponse"])
    fills = run(adapter.fetch_fills(SINCE))
    assert http.last("/api/v5/trade/fills-history").query["begin"] == str(
        int(SINCE.timestamp() * 1000))
    for fill, p in zip(fills, case["parsedResponse"], strict=True):
        assert fill.id == p["id"] and fill.symbol == p["symbol"] == "LTC/USDT"
        assert fill.price == D(p["price"]) and fill.amount == D(p["amount"])
        assert fill.fee == D(p["fee"]["cost"]) and fill.fee_currency == p["fee"]["currency"]
        assert fill.client_order_id == p["info"]["clOrdId"]
        assert fill.maker is (p["takerOrMaker"] == "maker")


@pytest.mark.parametrize(("description", "kind", "symbol"), [
    ("fetch position", "linear", "LTC/USDT:USDT"),
    ("Inverse swap cross fetch position", "inverse", "BTC/USD:BTC"),
    ("Inverse swap isolated fetch position", "inverse", "BTC/USD:BTC"),
])
def test_fetch_positions(make_adapter, description, kind, symbol):
    case = fixture_case("okx", "fetchPosition", description)
    adapter, http = okx(make_adapter, kind)
    http.add("/api/v5/account/positions", case["httpResponse"])
    [pos] = run(adapter.fetch_positions([symbol]))
    p = case["parsedResponse"]
    assert pos.symbol == symbol and pos.side is PositionSide(p["side"])
    assert pos.size == D(p["contracts"]) and pos.entry_price == D(p["entryPrice"])
    assert pos.unrealized_pnl == D(p["unrealizedPnl"])
    assert pos.liquidation_price == (D(p["liquidationPrice"])
                                     if p["liquidationPrice"] is not None else None)


def test_fetch_ledger(make_adapter):
    case = fixture_case("okx", "fetchLedger", "fetch ledger")
    adapter, http = okx(make_adapter, "spot")
    # SINCE is older than the 7 days /account/bills covers: the 3-month archive is read
    http.add("/api/v5/account/bills-archive", case["httpResponse"])
    entries = run(adapter.fetch_ledger(SINCE, "USDT"))
    q = http.last("/api/v5/account/bills-archive").query
    assert q["ccy"] == "USDT" and q["begin"] == str(int(SINCE.timestamp() * 1000))
    for e, p in zip(entries, case["parsedResponse"], strict=True):
        assert e.id == p["id"] and e.kind is LedgerKind.TRADE
        assert e.amount == -abs(D(p["amount"])) and e.balance_after == D(p["after"])
        assert e.reference_id == p["referenceId"]


def test_position_mode_and_key_info_from_account_config(make_adapter):
    case = fixture_case("okx", "fetchAccounts", "Fetch accounts")
    adapter, http = okx(make_adapter)
    http.add("/api/v5/account/config", case["httpResponse"])
    data = case["httpResponse"]["data"][0]
    expected = PositionMode.HEDGE if data["posMode"] == "long_short_mode" else PositionMode.ONE_WAY
    assert run(adapter.fetch_position_mode()) is expected
    info = run(adapter.fetch_key_info())
    assert info.permissions == ("read_only", "withdraw", "trade")
    assert info.withdraw_permissions == ("withdraw",) and info.can_trade_derivatives
    assert info.ips == () and info.expires_at is None
    assert info.is_subaccount is (data["uid"] != data["mainUid"])
    assert info.label == "Ray2"


def test_set_position_mode(make_adapter):
    adapter, http = okx(make_adapter)
    http.add("/api/v5/account/set-position-mode",
             {"code": "0", "msg": "", "data": [{"posMode": "long_short_mode"}]}, method="POST")
    run(adapter.set_position_mode(PositionMode.HEDGE))
    assert http.last("/api/v5/account/set-position-mode").body == {"posMode": "long_short_mode"}
