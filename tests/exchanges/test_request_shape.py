"""Request shape for KuCoin, Kraken, Binance and Binance US (no fixtures, no emulator).

ccxt's ``fetch`` is replaced by a recorder: each adapter method must send the endpoint and
parameters EXCHANGES.md names, and parse a reply written from the venue's documented example.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sequence.exchanges.domain import (
    LedgerKind,
    OrderRequest,
    OrderStatus,
    PositionMode,
    PositionSide,
    Side,
)
from sequence.exchanges.secret import Credentials
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import FakeHttp
from tests.exchanges.seed import seed

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
SINCE_MS = str(int(SINCE.timestamp() * 1000))


# ------------------------------------------------------------------ KuCoin
def kucoin(make_adapter, kind="spot"):
    adapter = make_adapter("kucoin", kind)
    if kind == "spot":
        seed(adapter, ("BTC/USDT", "BTC-USDT", None, {}))
    else:
        seed(adapter, ("BTC/USDT:USDT", "XBTUSDTM", 0.001, {"baseId": "XBT"}),
             ("BTC/USD:BTC", "XBTUSDM", 1, {"baseId": "XBT", "settleId": "XBT"}))
    http = FakeHttp(adapter._raw)
    # docs (GET /api/ua/v1/account/mode): the field is selfAccountMode (ccxt reads it)
    http.add("/api/ua/v1/account/mode", {"code": "200000", "data": {
        "selfAccountMode": "CLASSIC"}})
    return adapter, http


KUCOIN_ACCOUNTS = {"code": "200000", "data": [  # docs: GET /api/v1/accounts
    {"id": "5bd6e9286d99522a52e458de", "currency": "USDT", "type": "trade",
     "balance": "237582.04299", "available": "237582.032", "holds": "0.01099"}]}


def test_kucoin_spot_balance(make_adapter):
    adapter, http = kucoin(make_adapter)
    http.add("/api/v1/accounts", KUCOIN_ACCOUNTS)
    wallet = run(adapter.fetch_balance())
    assert http.last("/api/v1/accounts").query == {"type": "trade"}
    usdt = wallet.get("USDT")
    assert (usdt.total, usdt.free, usdt.used) == (
        Decimal("237582.04299"), Decimal("237582.032"), Decimal("0.01099"))
    assert wallet.wallet == "Trading account"


def test_kucoin_futures_balance_usdt_and_xbt(make_adapter):
    adapter, http = kucoin(make_adapter, "linear")
    overview = {"code": "200000", "data": {  # docs: GET /api/v1/account-overview
        "accountEquity": 99.8999305281, "unrealisedPNL": 0, "marginBalance": 99.8999305281,
        "positionMargin": 0, "orderMargin": 0, "frozenFunds": 0,
        "availableBalance": 99.8999305281, "currency": "USDT"}}
    http.add("/api/v1/account-overview", overview)
    wallet = run(adapter.fetch_balance())
    assert http.last("/api/v1/account-overview").query["currency"] == "USDT"
    assert wallet.get("USDT").free == Decimal("99.8999305281")
    inverse, http2 = kucoin(make_adapter, "inverse")
    http2.add("/api/v1/account-overview", {**overview, "data": {**overview["data"],
                                                                "currency": "XBT"}})
    run(inverse.fetch_balance())
    assert http2.last("/api/v1/account-overview").query["currency"] == "XBT"


def test_kucoin_create_cancel_and_lookup(make_adapter):
    adapter, http = kucoin(make_adapter)
    http.add("/api/v1/orders", {"code": "200000", "data": {
        "orderId": "670fd33bf9406e0007ab3945", "clientOid": "seqK1"}}, method="POST")
    order = run(adapter.create_order(OrderRequest(
        "BTC/USDT", Side.BUY, Decimal("0.001"), Decimal("50000"), "seqK1")))
    call = http.calls[-1]
    assert call.path in ("/api/v1/hf/orders", "/api/v1/orders")
    assert call.body["clientOid"] == "seqK1" and call.body["postOnly"] is True
    assert (call.body["price"], call.body["size"], call.body["side"]) == ("50000", "0.001", "buy")
    assert order.id == "670fd33bf9406e0007ab3945" and order.client_order_id == "seqK1"

    http.add("/api/v1/order/client-order/seqK1", {"code": "200000", "data": {
        "clientOid": "seqK1"}}, method="DELETE")
    run(adapter.cancel_order("BTC/USDT", client_order_id="seqK1"))
    assert http.calls[-1].method == "DELETE" and "seqK1" in http.calls[-1].path

    http.add("/api/v1/order/client-order/seqK1", {"code": "200000", "data": {
        "id": "670fd33bf9406e0007ab3945", "clientOid": "seqK1", "symbol": "BTC-USDT",
        "opType": "DEAL", "type": "limit", "side": "buy", "price": "50000", "size": "0.001",
        "funds": "0", "dealSize": "0", "dealFunds": "0", "fee": "0", "feeCurrency": "USDT",
        "timeInForce": "GTC", "postOnly": True, "active": True, "inOrderBook": True,
        "cancelExist": False, "createdAt": 1729090363000, "lastUpdatedAt": 1729090363000,
        "tradeType": "TRADE"}}, method="GET")
    found = run(adapter.fetch_order_by_client_id("BTC/USDT", "seqK1"))
    assert found.status is OrderStatus.OPEN and found.price == Decimal(50000)
    assert http.calls[-1].path == "/api/v1/order/client-order/seqK1"


def test_kucoin_duplicate_client_id_is_mapped(make_adapter):
    from sequence.exchanges.errors import DuplicateClientOrderIdError

    adapter, http = kucoin(make_adapter)
    http.add("/api/v1/orders", {"code": "126044", "msg": "clientOid duplicated"},
             method="POST", status=200)
    with pytest.raises(DuplicateClientOrderIdError):
        run(adapter.create_order(OrderRequest(
            "BTC/USDT", Side.BUY, Decimal("0.001"), Decimal("50000"), "seqK1")))


def test_kucoin_futures_hedge_order_position_mode_and_key(make_adapter):
    adapter, http = kucoin(make_adapter, "linear")
    http.add("/api/v2/getCrossUserLeverage", {"code": "200000", "data": {
        "symbol": "XBTUSDTM", "leverage": "3"}})
    http.add("/api/v1/orders", {"code": "200000", "data": {
        "orderId": "234125150956625920", "clientOid": "seqF1"}}, method="POST")
    run(adapter.create_order(OrderRequest(
        "BTC/USDT:USDT", Side.SELL, Decimal(1), Decimal("70000"), "seqF1",
        reduce_only=True, position_side=PositionSide.LONG)))
    body = http.last("/api/v1/orders").body
    assert body["clientOid"] == "seqF1" and body["positionSide"] == "LONG"
    assert body["symbol"] == "XBTUSDTM" and body["postOnly"] is True
    assert (body["marginMode"], body["leverage"]) == ("CROSS", 3)

    http.add("/api/v2/position/getPositionMode", {"code": "200000",
                                                  "data": {"positionMode": 1}})
    assert run(adapter.fetch_position_mode()) is PositionMode.HEDGE
    http.add("/api/v2/position/switchPositionMode", {"code": "200000",
                                                     "data": {"positionMode": 1}}, method="POST")
    run(adapter.set_position_mode(PositionMode.HEDGE))
    assert http.last("/api/v2/position/switchPositionMode").body == {"positionMode": "1"}

    spot, http2 = kucoin(make_adapter)
    http2.add("/api/v1/user/api-key", {"code": "200000", "data": {  # KuCoin SDK test
        "remark": "trade bot", "apiKey": "6705f5c311545b000157d3eb", "apiVersion": 3,
        "permission": "General,Spot,Futures", "ipWhitelist": "203.0.113.7",
        "createdAt": 1728443843000, "uid": 165111215, "isMaster": True}})
    info = run(spot.fetch_key_info())
    assert info.permissions == ("General", "Spot", "Futures") and info.ips == ("203.0.113.7",)
    assert info.transfer_permissions == () and info.is_subaccount is False


def test_kucoin_fills_and_ledger(make_adapter):
    adapter, http = kucoin(make_adapter)
    http.add("/api/v1/hf/fills", {"code": "200000", "data": {"items": [{
        "id": 19814995255305, "orderId": "6717422bd51c29000775ea03", "counterOrderId": "x",
        "tradeId": 11029373945659392, "symbol": "BTC-USDT", "side": "buy",
        "liquidity": "maker", "type": "limit", "forceTaker": False, "price": "67717.6",
        "size": "0.00001", "funds": "0.677176", "fee": "0.000677176", "feeRate": "0.001",
        "feeCurrency": "USDT", "stop": "", "tradeType": "TRADE", "taxRate": "0", "tax": "0",
        "createdAt": 1729577515473}], "lastId": 19814995255305}})
    http.add("/api/v1/fills", {"code": "200000", "data": {"items": [{
        "symbol": "BTC-USDT", "tradeId": "5c35c02709e4f67d5266954e",
        "orderId": "5c35c02703aa673ceec2a168", "counterOrderId": "x", "side": "buy",
        "liquidity": "maker", "forceTaker": False, "price": "67717.6", "size": "0.00001",
        "funds": "0.677176", "fee": "0.000677176", "feeRate": "0.001", "feeCurrency": "USDT",
        "stop": "", "type": "limit", "createdAt": 1729577515473, "tradeType": "TRADE"}]}})
    [fill] = run(adapter.fetch_fills(SINCE, "BTC/USDT"))
    assert fill.price == Decimal("67717.6") and fill.fee == Decimal("0.000677176")
    assert fill.maker is True
    fills = [c.query for c in http.calls if c.path.endswith("/fills")]
    q = fills[0]  # the first of 7-day ranges from SINCE to now (KuCoin's longest query)
    assert q["symbol"] == "BTC-USDT" and q["startAt"] == SINCE_MS
    assert int(q["endAt"]) - int(q["startAt"]) < 7 * 24 * 3600 * 1000
    assert [int(f["startAt"]) for f in fills[1:3]] == [int(f["endAt"]) + 1 for f in fills[:2]]

    http.add("/api/v1/accounts/ledgers", {"code": "200000", "data": {"items": [{
        "id": "611a1e7c6a053300067a88d9", "currency": "USDT", "amount": "10.00059547",
        "fee": "0", "balance": "0", "accountType": "MAIN", "bizType": "Transfer",
        "direction": "in", "createdAt": 1729577515473, "context": ""}]}})
    [entry] = run(adapter.fetch_ledger(SINCE, "USDT"))
    assert entry.kind is LedgerKind.TRANSFER and entry.amount == Decimal("10.00059547")
    q = http.first("/api/v1/accounts/ledgers").query
    assert q["currency"] == "USDT" and q["startAt"] == SINCE_MS
    assert int(q["endAt"]) - int(q["startAt"]) < 24 * 3600 * 1000  # ledgers: one day


# ------------------------------------------------------------------ Kraken
KRAKEN_SECRET = base64.b64encode(bytes(range(64))).decode()


def kraken(make_adapter):
    adapter = make_adapter("kraken", "spot", credentials=Credentials.of(
        "K" * 56, KRAKEN_SECRET))
    seed(adapter, ("BTC/USD", "XXBTZUSD", None, {"altname": "XBTUSD", "wsname": "XBT/USD"}))
    return adapter, FakeHttp(adapter._raw)


def test_kraken_balance_order_cancel_lookup(make_adapter):
    adapter, http = kraken(make_adapter)
    http.add("/0/private/BalanceEx", {"error": [], "result": {  # docs example
        "ZUSD": {"balance": "25435.21", "hold_trade": "8249.76"},
        "XXBT": {"balance": "1.2435", "hold_trade": "0.8423"}}}, method="POST")
    wallet = run(adapter.fetch_balance())
    assert wallet.get("USD").total == Decimal("25435.21")
    assert wallet.get("BTC").free == Decimal("1.2435") - Decimal("0.8423")

    http.add("/0/private/AddOrder", {"error": [], "result": {
        "descr": {"order": "buy 1.25000000 XBTUSD @ limit 27500.0"},
        "txid": ["OU22CG-KLAF2-FWUDD7"]}}, method="POST")
    order = run(adapter.create_order(OrderRequest(
        "BTC/USD", Side.BUY, Decimal("1.25"), Decimal("27500"), "seqKr1")))
    body = http.last("/0/private/AddOrder").body
    assert body["cl_ord_id"] == "seqKr1" and body["oflags"] == "post"
    assert (body["ordertype"], body["type"], body["price"], body["volume"]) == (
        "limit", "buy", "27500", "1.25")
    assert body["pair"] == "XXBTZUSD" and "nonce" in body
    assert order.id == "OU22CG-KLAF2-FWUDD7" and order.client_order_id == "seqKr1"

    http.add("/0/private/CancelOrder", {"error": [], "result": {"count": 1}}, method="POST")
    run(adapter.cancel_order("BTC/USD", client_order_id="seqKr1"))
    assert http.last("/0/private/CancelOrder").body["cl_ord_id"] == "seqKr1"

    open_order = {"refid": None, "userref": 0, "cl_ord_id": "seqKr1", "status": "open",
                  "opentm": 1688666559.8974, "starttm": 0, "expiretm": 0,
                  "descr": {"pair": "XBTUSD", "type": "buy", "ordertype": "limit",
                            "price": "27500.0", "price2": "0", "leverage": "none",
                            "order": "buy 1.25 XBTUSD @ limit 27500.0", "close": ""},
                  "vol": "1.25000000", "vol_exec": "0.37500000", "cost": "11253.7",
                  "fee": "0.00000", "price": "30010.0", "stopprice": "0.00000",
                  "limitprice": "0.00000", "misc": "", "oflags": "fciq,post"}
    http.add("/0/private/OpenOrders", {"error": [], "result": {"open": {
        "OU22CG-KLAF2-FWUDD7": open_order}}}, method="POST")
    found = run(adapter.fetch_order_by_client_id("BTC/USD", "seqKr1"))
    assert http.last("/0/private/OpenOrders").body["cl_ord_id"] == "seqKr1"
    assert found.id == "OU22CG-KLAF2-FWUDD7" and found.filled == Decimal("0.375")
    assert found.amount == Decimal("1.25") and found.status is OrderStatus.OPEN
    [o] = run(adapter.fetch_open_orders("BTC/USD"))
    assert o.client_order_id == "seqKr1"


def test_kraken_fills_ledger_key(make_adapter):
    adapter, http = kraken(make_adapter)
    http.add("/0/private/TradesHistory", {"error": [], "result": {"count": 1, "trades": {
        "THVRQM-33VKH-UCI7BS": {"ordertxid": "OQCLML-BW3P3-BUCMWZ",
                                "postxid": "TKH2SE-M7IF5-CFI7LT", "pair": "XXBTZUSD",
                                "time": 1704067796.8802, "type": "buy", "ordertype": "limit",
                                "price": "30010.00000", "cost": "600.20000",
                                "fee": "0.00000", "vol": "0.02000000", "margin": "0.00000",
                                "leverage": "0", "misc": "", "trade_id": 40274859,
                                "maker": True}}}}, method="POST")
    [fill] = run(adapter.fetch_fills(SINCE))
    body = http.last("/0/private/TradesHistory").body
    assert body["start"] == str(int(SINCE.timestamp()))
    assert fill.price == Decimal("30010") and fill.amount == Decimal("0.02")
    assert fill.order_id == "OQCLML-BW3P3-BUCMWZ" and fill.symbol == "BTC/USD"

    http.add("/0/private/Ledgers", {"error": [], "result": {"count": 1, "ledger": {
        "L4UESK-KG3EQ-UFO4T5": {"refid": "TJKLXX-PGMUI-4NTLXU", "time": 1704067300.1787,
                                "type": "deposit", "subtype": "", "aclass": "currency",
                                "asset": "ZUSD", "amount": "1000.0000", "fee": "0.0000",
                                "balance": "1000.0000"}}}}, method="POST")
    [entry] = run(adapter.fetch_ledger(SINCE))
    assert entry.kind is LedgerKind.DEPOSIT and entry.amount == Decimal(1000)
    assert entry.currency == "USD" and entry.balance_after == Decimal(1000)

    http.add("/0/private/GetApiKeyInfo", {"error": [], "result": {
        "name": "bot", "permissions": ["query-funds", "query-open-trades",
                                       "create-modify-orders", "cancel-close-orders"],
        "validUntil": "1767225600", "ipAllowlist": ["203.0.113.7"]}}, method="POST")
    info = run(adapter.fetch_key_info())
    assert info.can_trade_spot and not info.withdraw_permissions
    assert info.expires_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert run(adapter.fetch_position_mode()) is PositionMode.ONE_WAY


# ------------------------------------------------------------------ Binance / Binance US
def binance(make_adapter, kind="spot", exchange="binance"):
    adapter = make_adapter(exchange, kind)
    if kind == "spot":
        seed(adapter, ("BTC/USDT", "BTCUSDT", None, {"orderTypes": ["LIMIT", "LIMIT_MAKER"]}))
    elif kind == "linear":
        seed(adapter, ("BTC/USDT:USDT", "BTCUSDT", 1, {"orderTypes": ["LIMIT", "MARKET"]}))
    else:
        seed(adapter, ("BTC/USD:BTC", "BTCUSD_PERP", 100, {"orderTypes": ["LIMIT", "MARKET"]}))
    return adapter, FakeHttp(adapter._raw)


@pytest.mark.parametrize("exchange", ["binance", "binanceus"])
def test_binance_spot(make_adapter, exchange):
    adapter, http = binance(make_adapter, exchange=exchange)
    prefix = "/api/v3"
    http.add(f"{prefix}/account", {"makerCommission": 15, "canTrade": True,
                                   "accountType": "SPOT", "balances": [
        {"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"},
        {"asset": "USDT", "free": "120.5", "locked": "10"}], "permissions": ["SPOT"]})
    wallet = run(adapter.fetch_balance())
    assert http.last(f"{prefix}/account").query.keys() >= {"timestamp", "signature"}
    assert wallet.get("USDT").total == Decimal("130.5") and wallet.wallet == "Spot wallet"

    http.add(f"{prefix}/order", {"symbol": "BTCUSDT", "orderId": 28,
                                 "clientOrderId": "seqB1", "transactTime": 1507725176595,
                                 "price": "50000.00", "origQty": "0.001", "executedQty": "0",
                                 "status": "NEW", "timeInForce": "GTC", "type": "LIMIT_MAKER",
                                 "side": "BUY"}, method="POST")
    order = run(adapter.create_order(OrderRequest(
        "BTC/USDT", Side.BUY, Decimal("0.001"), Decimal("50000"), "seqB1")))
    body = http.last(f"{prefix}/order").body or http.last(f"{prefix}/order").query
    assert body["newClientOrderId"] == "seqB1" and body["type"] == "LIMIT_MAKER"
    assert (body["price"], body["quantity"], body["side"]) == ("50000", "0.001", "BUY")
    assert order.client_order_id == "seqB1" and order.status is OrderStatus.OPEN

    http.add(f"{prefix}/order", {"symbol": "BTCUSDT", "orderId": 28,
                                 "origClientOrderId": "seqB1", "clientOrderId": "c1",
                                 "price": "50000.00", "origQty": "0.001", "executedQty": "0",
                                 "status": "CANCELED", "type": "LIMIT_MAKER", "side": "BUY"},
             method="DELETE")
    run(adapter.cancel_order("BTC/USDT", client_order_id="seqB1"))
    call = http.calls[-1]
    assert call.method == "DELETE" and call.query["origClientOrderId"] == "seqB1"

    http.add(f"{prefix}/order", {"symbol": "BTCUSDT", "orderId": 28, "clientOrderId": "seqB1",
                                 "price": "50000.00", "origQty": "0.001", "executedQty": "0",
                                 "status": "NEW", "type": "LIMIT_MAKER", "side": "BUY",
                                 "time": 1507725176595}, method="GET")
    found = run(adapter.fetch_order_by_client_id("BTC/USDT", "seqB1"))
    assert http.calls[-1].query["origClientOrderId"] == "seqB1"
    assert found.id == "28" and found.amount == Decimal("0.001")

    http.add(f"{prefix}/myTrades", [{"symbol": "BTCUSDT", "id": 28457, "orderId": 100234,
                                     "price": "4.00000100", "qty": "12.00000000",
                                     "quoteQty": "48.000012", "commission": "10.10000000",
                                     "commissionAsset": "BNB", "time": 1704067300000,
                                     "isBuyer": True, "isMaker": False, "isBestMatch": True}])
    [fill] = run(adapter.fetch_fills(SINCE, "BTC/USDT"))
    q = http.first(f"{prefix}/myTrades").query
    assert q["symbol"] == "BTCUSDT" and q["startTime"] == SINCE_MS
    assert int(q["endTime"]) - int(q["startTime"]) < 24 * 3600 * 1000  # Binance: 24 hours
    assert fill.price == Decimal("4.000001") and fill.fee_currency == "BNB"

    http.add("/sapi/v1/account/apiRestrictions", {
        "ipRestrict": False, "createTime": 1698645219000, "enableReading": True,
        "enableWithdrawals": False, "enableInternalTransfer": False,
        "enableMargin": False, "enableFutures": False, "permitsUniversalTransfer": False,
        "enableVanillaOptions": False, "enableSpotAndMarginTrading": True})
    info = run(adapter.fetch_key_info())
    assert info.can_trade_spot and info.ips == () and not info.transfer_permissions


def test_binance_spot_ledger_reads_capital_history(make_adapter):
    adapter, http = binance(make_adapter)
    http.add("/sapi/v1/capital/deposit/hisrec", [{
        "id": "769800519366885376", "amount": "0.001", "coin": "BNB", "network": "BNB",
        "status": 1, "address": "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
        "addressTag": "101764890", "txId": "98A3EA560C6B3336D348B6C83F0F95ECE4F1F5919E94BD",
        "insertTime": 1704067300000, "transferType": 0, "confirmTimes": "1/1"}])
    http.add("/sapi/v1/capital/withdraw/history", [])
    [entry] = run(adapter.fetch_ledger(SINCE))
    assert entry.kind is LedgerKind.DEPOSIT and entry.amount == Decimal("0.001")
    assert http.last("/sapi/v1/capital/deposit/hisrec").query["startTime"] == SINCE_MS
    assert http.last("/sapi/v1/capital/withdraw/history").method == "GET"


@pytest.mark.parametrize(("kind", "prefix", "symbol", "mid"), [
    ("linear", "/fapi", "BTC/USDT:USDT", "BTCUSDT"),
    ("inverse", "/dapi", "BTC/USD:BTC", "BTCUSD_PERP"),
])
def test_binance_futures(make_adapter, kind, prefix, symbol, mid):
    adapter, http = binance(make_adapter, kind)
    http.add(f"{prefix}/v1/order", {"orderId": 22542179, "symbol": mid, "status": "NEW",
                                    "clientOrderId": "seqBF1", "price": "70000",
                                    "origQty": "1", "executedQty": "0", "reduceOnly": False,
                                    "side": "SELL", "positionSide": "LONG",
                                    "timeInForce": "GTX", "type": "LIMIT",
                                    "updateTime": 1566818724722}, method="POST")
    order = run(adapter.create_order(OrderRequest(
        symbol, Side.SELL, Decimal(1), Decimal(70000), "seqBF1", reduce_only=True,
        position_side=PositionSide.LONG)))
    body = http.last(f"{prefix}/v1/order").body or http.last(f"{prefix}/v1/order").query
    assert body["newClientOrderId"] == "seqBF1" and body["positionSide"] == "LONG"
    assert body["timeInForce"] == "GTX" and "reduceOnly" not in body
    assert order.position_side is PositionSide.LONG

    http.add(f"{prefix}/v1/positionSide/dual", {"dualSidePosition": True}, method="GET")
    assert run(adapter.fetch_position_mode(symbol)) is PositionMode.HEDGE
    http.add(f"{prefix}/v1/positionSide/dual", {"code": 200, "msg": "success"}, method="POST")
    run(adapter.set_position_mode(PositionMode.HEDGE, symbol))
    call = http.calls[-1]
    assert call.method == "POST" and (call.body or call.query)["dualSidePosition"] == "true"


def kucoin_spot_hf(make_adapter):
    adapter, http = kucoin(make_adapter)
    # what load_markets asks a keyed account (GET /api/v1/hf/accounts/opened): HF migrated
    http.add("/api/v1/hf/accounts/opened", {"code": "200000", "data": True})
    run(adapter._raw.load_migration_status())
    return adapter, http


def test_kucoin_high_frequency_account_paths(make_adapter):
    adapter, http = kucoin_spot_hf(make_adapter)
    http.add("/api/v1/hf/orders", {"code": "200000", "data": {
        "orderId": "670fd33bf9406e0007ab3945", "clientOid": "seqK1"}}, method="POST")
    run(adapter.create_order(OrderRequest(
        "BTC/USDT", Side.BUY, Decimal("0.001"), Decimal("50000"), "seqK1")))
    body = http.last("/api/v1/hf/orders").body
    assert (body["clientOid"], body["symbol"], body["postOnly"]) == ("seqK1", "BTC-USDT", True)
    http.add("/api/v1/hf/orders/client-order/seqK1", {"code": "200000", "data": {
        "clientOid": "seqK1"}}, method="DELETE")
    run(adapter.cancel_order("BTC/USDT", client_order_id="seqK1"))
    assert http.calls[-1].method == "DELETE"
    assert http.calls[-1].query == {"symbol": "BTC-USDT"}
    http.add("/api/v1/hf/orders/client-order/seqK1", {"code": "200000", "data": {
        "id": "670fd33bf9406e0007ab3945", "clientOid": "seqK1", "symbol": "BTC-USDT",
        "opType": "DEAL", "type": "limit", "side": "buy", "price": "50000", "size": "0.001",
        "funds": "0", "dealSize": "0", "dealFunds": "0", "fee": "0", "feeCurrency": "USDT",
        "timeInForce": "GTC", "postOnly": True, "active": True, "inOrderBook": True,
        "cancelExist": False, "createdAt": 1729090363000, "lastUpdatedAt": 1729090363000,
        "tradeType": "TRADE"}}, method="GET")
    found = run(adapter.fetch_order_by_client_id("BTC/USDT", "seqK1"))
    assert found.client_order_id == "seqK1" and found.status is OrderStatus.OPEN
    http.add("/api/v1/accounts", {"code": "200000", "data": [  # docs: GET /api/v1/accounts
        {"id": "1", "currency": "USDT", "type": "trade_hf", "balance": "10", "available": "8",
         "holds": "2"}]})
    wallet = run(adapter.fetch_balance())
    assert http.last("/api/v1/accounts").query == {"type": "trade_hf"}
    assert wallet.get("USDT").used == Decimal(2)
    http.add("/api/v1/hf/accounts/ledgers", {"code": "200000", "data": []})
    assert run(adapter.fetch_ledger(SINCE, "USDT")) == []
    assert http.last("/api/v1/hf/accounts/ledgers").query["currency"] == "USDT"
    assert not [p for p in http.paths() if p.endswith(("/api/v1/orders", "/api/v1/fills"))]


def test_kucoin_unified_spot_paths(make_adapter):
    adapter = make_adapter("kucoin", "spot")
    seed(adapter, ("BTC/USDT", "BTC-USDT", None, {}))
    http = FakeHttp(adapter._raw)
    http.add("/api/ua/v1/account/mode", {"code": "200000", "data": {
        "selfAccountMode": "UNIFIED"}})
    http.add("/api/ua/v1/unified/order/place", {"code": "200000", "data": {
        "orderId": "426319129738321920", "tradeType": "SPOT", "ts": 1774455603216000000,
        "clientOid": "seqK1"}}, method="POST")
    order = run(adapter.create_order(OrderRequest(
        "BTC/USDT", Side.BUY, Decimal("0.001"), Decimal("50000"), "seqK1")))
    body = http.last("/api/ua/v1/unified/order/place").body
    assert (body["tradeType"], body["side"], body["orderType"], body["size"],
            body["price"], body["postOnly"]) == ("SPOT", "BUY", "LIMIT", "0.001", "50000", True)
    assert order.client_order_id == "seqK1"
    http.add("/api/ua/v1/unified/order/cancel", {"code": "200000", "data": {
        "clientOid": "seqK1"}}, method="POST")
    run(adapter.cancel_order("BTC/USDT", client_order_id="seqK1"))
    assert http.last("/api/ua/v1/unified/order/cancel").body == {
        "clientOid": "seqK1", "symbol": "BTC-USDT", "tradeType": "SPOT"}
    assert [p for p in http.paths() if "/api/ua/v1/" not in p] == []
