"""fetch_fills / fetch_ledger read everything since the cursor, page by page, as each venue
pages: Bybit by 7-day windows and ``nextPageCursor``, OKX back by bill id, Kraken by offset.

The fake venues below answer like the real ones (window limit, page size, ordering), so a
pager that stops early, skips a window or loops loses rows and the test fails."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from sequence.exchanges.domain import PositionSide
from tests.exchanges.conftest import run
from tests.exchanges.test_replay_bybit import bybit
from tests.exchanges.test_replay_okx import okx
from tests.exchanges.test_request_shape import kraken

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS


def now_ms() -> int:
    return int(time.time() * 1000)


# ------------------------------------------------------------------ Bybit
def bybit_execution(i: int, at_ms: int) -> dict:  # docs: GET /v5/execution/list
    return {"symbol": "BTCUSDT", "orderType": "Limit", "underlyingPrice": "",
            "orderLinkId": f"seq{i}", "side": "Buy", "indexPrice": "", "orderId": f"o{i}",
            "stopOrderType": "UNKNOWN", "leavesQty": "0", "execTime": str(at_ms),
            "isMaker": True, "execFee": "0.006", "feeRate": "0.0002", "execId": f"e{i}",
            "tradeIv": "", "blockTradeId": "", "markPrice": "30000", "execPrice": "30000",
            "markIv": "", "orderQty": "0.001", "orderPrice": "30000", "execValue": "30",
            "execType": "Trade", "execQty": "0.001", "closedSize": "0", "feeCurrency": ""}


def bybit_pager(rows: list[dict], time_key: str, page_size: int):
    """A Bybit list endpoint: at most 7 days per query, newest first, ``cursor`` pages."""
    def answer(call):
        start, end = int(call.query["startTime"]), int(call.query["endTime"])
        if end - start > WEEK_MS:
            return {"retCode": 10001, "retMsg": "The time range cannot exceed 7 days",
                    "result": {}, "retExtInfo": {}, "time": now_ms()}
        inside = sorted((r for r in rows if start <= int(r[time_key]) <= end),
                        key=lambda r: -int(r[time_key]))
        offset = int(call.query.get("cursor") or 0)
        page = inside[offset:offset + page_size]
        following = str(offset + page_size) if offset + page_size < len(inside) else ""
        return {"retCode": 0, "retMsg": "OK", "result": {
            "list": page, "nextPageCursor": following, "category": "linear"},
            "retExtInfo": {}, "time": now_ms()}
    return answer


def test_bybit_fills_read_every_7_day_window_to_its_last_page(make_adapter):
    now = now_ms()
    since = now - 15 * DAY_MS
    # three in the first window (two pages of two), none in the second, one in the last
    times = [since + DAY_MS, since + DAY_MS + 5, since + 2 * DAY_MS, now - 3600_000]
    rows = [bybit_execution(i, t) for i, t in enumerate(times)]
    adapter, http = bybit(make_adapter)
    http.add("/v5/execution/list", bybit_pager(rows, "execTime", page_size=2))
    fills = run(adapter.fetch_fills(datetime.fromtimestamp(since / 1000, UTC)))
    assert [f.id for f in fills] == ["e0", "e1", "e2", "e3"]  # all of them, oldest first
    assert [f.client_order_id for f in fills] == ["seq0", "seq1", "seq2", "seq3"]
    assert all(f.position_side is None for f in fills)  # Bybit executions carry no side
    calls = http.all("/v5/execution/list")
    windows = sorted({(int(c.query["startTime"]), int(c.query["endTime"])) for c in calls})
    assert windows[0][0] == since and windows[-1][1] >= now
    for (_, end), (start, _) in pairwise(windows):
        assert start == end + 1  # contiguous: no gap, no overlap
    assert len(windows) == 3
    assert [c.query.get("cursor") for c in calls].count("2") == 1  # the second page


def test_bybit_ledger_pages_by_cursor(make_adapter):
    now = now_ms()
    rows = [{"id": f"t{i}", "symbol": "BTCUSDT", "category": "linear", "side": "Buy",
             "transactionTime": str(now - 3 * DAY_MS + i), "type": "TRADE", "qty": "0.001",
             "size": "0.001", "currency": "USDT", "tradePrice": "30000", "funding": "",
             "fee": "0.006", "cashFlow": "0", "change": "-0.006",
             "cashBalance": str(1000 - i), "feeRate": "0.0002", "bonusChange": "",
             "tradeId": f"tr{i}", "orderId": f"o{i}", "orderLinkId": ""} for i in range(120)]
    adapter, http = bybit(make_adapter)
    http.add("/v5/account/transaction-log", bybit_pager(rows, "transactionTime", 50))
    entries = run(adapter.fetch_ledger(datetime.fromtimestamp((now - 4 * DAY_MS) / 1000, UTC)))
    assert len(entries) == 120 and len({e.id for e in entries}) == 120
    assert [c.query.get("cursor") for c in http.all("/v5/account/transaction-log")] == [
        None, "50", "100"]
    assert {c.query["limit"] for c in http.all("/v5/account/transaction-log")} == {"50"}


def test_bybit_funding_rows_name_their_market_and_the_positions_side(make_adapter):
    now = now_ms()

    def settlement(i, symbol, category, side, change):  # docs: GET /v5/account/transaction-log
        return {"id": f"f{i}", "symbol": symbol, "category": category, "side": side,
                "transactionTime": str(now - DAY_MS + i), "type": "SETTLEMENT", "qty": "0.01",
                "size": "0.01", "currency": "USDT", "tradePrice": "30000", "funding": change,
                "fee": "0", "cashFlow": "0", "change": change, "cashBalance": "1000", "feeRate": "",
                "bonusChange": "", "tradeId": "", "orderId": "", "orderLinkId": ""}

    rows = [settlement(0, "BTCUSDT", "linear", "Buy", "-0.03"), settlement(1, "BTCUSDT", "linear", "Sell", "0.03"),
            settlement(2, "ETHUSDT", "linear", "Buy", "-0.01"), settlement(3, "BTCUSD", "inverse", "Buy", "-1")]
    adapter, http = bybit(make_adapter)
    http.add("/v5/account/transaction-log", bybit_pager(rows, "transactionTime", 50))
    run(adapter.load_markets())
    entries = run(adapter.fetch_ledger(datetime.fromtimestamp((now - 2 * DAY_MS) / 1000, UTC)))
    got = {e.id: (e.kind.value, e.symbol, e.position_side, e.amount) for e in entries}
    assert got["f0"] == ("funding", "BTC/USDT:USDT", PositionSide.LONG, Decimal("-0.03"))
    assert got["f1"] == ("funding", "BTC/USDT:USDT", PositionSide.SHORT, Decimal("0.03"))
    assert got["f2"][1] in ("ETH/USDT:USDT", "ETHUSDT")  # another market of the account: not the bot's
    assert got["f3"][1] == "inverse:BTCUSD"  # another category's BTCUSD is not the linear one


# ------------------------------------------------------------------ OKX
def okx_fill(i: int, at_ms: int) -> dict:  # docs: GET /api/v5/trade/fills-history
    return {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "tradeId": f"{9000 + i}",
            "ordId": f"{5000 + i}", "clOrdId": f"seq{i}", "billId": f"{700000 + i}",
            "subType": "1", "tag": "", "fillPx": "30000", "fillSz": "1", "fillIdxPx": "",
            "fillPnl": "0", "fillPxVol": "", "fillPxUsd": "", "fillMarkVol": "",
            "fillFwdPx": "", "fillMarkPx": "", "side": "buy", "posSide": "long",
            "execType": "M", "feeCcy": "USDT", "fee": "-0.006", "ts": str(at_ms),
            "fillTime": str(at_ms)}


def okx_pager(rows: list[dict]):
    """OKX: newest first, 100 per page, ``after`` = older than that bill id, ``begin``."""
    def answer(call):
        out = sorted(rows, key=lambda r: -int(r["billId"]))
        if call.query.get("begin"):
            out = [r for r in out if int(r["ts"]) >= int(call.query["begin"])]
        if call.query.get("after"):
            out = [r for r in out if int(r["billId"]) < int(call.query["after"])]
        return {"code": "0", "msg": "", "data": out[:100]}
    return answer


def test_okx_fills_page_back_by_bill_id_and_carry_the_position_side(make_adapter):
    now = now_ms()
    rows = [okx_fill(i, now - 10 * DAY_MS + i * 1000) for i in range(230)]
    adapter, http = okx(make_adapter)
    http.add("/api/v5/trade/fills-history", okx_pager(rows))
    since = datetime.fromtimestamp((now - 11 * DAY_MS) / 1000, UTC)
    fills = run(adapter.fetch_fills(since))
    assert len(fills) == 230 and len({f.id for f in fills}) == 230
    assert [f.client_order_id for f in fills[:2]] == ["seq0", "seq1"]  # oldest first
    assert {f.position_side for f in fills} == {PositionSide.LONG}
    assert {f.reduce_only for f in fills} == {False}  # buys on the long side open it
    afters = [c.query.get("after") for c in http.all("/api/v5/trade/fills-history")]
    assert afters == [None, str(700000 + 130), str(700000 + 30)]


def test_okx_ledger_reads_recent_bills_or_the_archive(make_adapter):
    now = now_ms()
    bill = {"bal": "8694.2179403378290202", "balChg": "0.0219338232210000", "billId": "623",
            "ccy": "USDT", "clOrdId": "", "execType": "", "fee": "-0.000021955779",
            "fillFwdPx": "", "fillIdxPx": "", "fillMarkPx": "", "fillMarkVol": "",
            "fillPxUsd": "", "fillPxVol": "", "fillTime": str(now - DAY_MS), "from": "",
            "instId": "", "instType": "", "interest": "0", "mgnMode": "", "notes": "",
            "ordId": "", "pnl": "0", "posBal": "0", "posBalChg": "0", "px": "", "subType": "11",
            "sz": "1000", "tag": "", "to": "", "tradeId": "", "ts": str(now - DAY_MS),
            "type": "1"}
    for days, path in ((3, "/api/v5/account/bills"), (30, "/api/v5/account/bills-archive")):
        adapter, http = okx(make_adapter)
        http.add(path, {"code": "0", "msg": "", "data": [bill]})
        since = datetime.fromtimestamp((now - days * DAY_MS) / 1000, UTC)
        [entry] = run(adapter.fetch_ledger(since, "USDT"))
        assert entry.id == "623" and entry.amount == Decimal("0.021933823221")
        assert http.last(path).query["begin"] == str(now - days * DAY_MS)
        assert entry.symbol is None  # a transfer names no market


def test_okx_funding_bills_name_their_instrument(make_adapter):
    now = now_ms()
    bill = {"bal": "1000", "balChg": "-0.03", "billId": "700", "ccy": "USDT", "clOrdId": "",
            "execType": "", "fee": "0", "fillTime": str(now - DAY_MS), "from": "",
            "instId": "BTC-USDT-SWAP", "instType": "SWAP", "interest": "0", "mgnMode": "cross",
            "notes": "", "ordId": "", "pnl": "-0.03", "posBal": "0", "posBalChg": "0", "px": "30000",
            "subType": "173", "sz": "1", "tag": "", "to": "", "tradeId": "", "ts": str(now - DAY_MS),
            "type": "8"}
    adapter, http = okx(make_adapter)
    http.add("/api/v5/account/bills", {"code": "0", "msg": "", "data": [bill]})
    run(adapter.load_markets())
    [entry] = run(adapter.fetch_ledger(datetime.fromtimestamp((now - 2 * DAY_MS) / 1000, UTC), "USDT"))
    assert (entry.kind.value, entry.symbol, entry.amount) == ("funding", "BTC/USDT:USDT", Decimal("-0.03"))
    assert entry.position_side is None  # OKX bills do not say which side's position paid


# ------------------------------------------------------------------ Kraken
def test_kraken_fills_page_by_offset(make_adapter):
    base = datetime.now(UTC) - timedelta(days=2)
    trades = {f"T{i:05d}-AAAAA-BBBBBB": {
        "ordertxid": f"O{i:05d}-CCCCC-DDDDDD", "postxid": "TKH2SE-M7IF5-CFI7LT",
        "pair": "XXBTZUSD", "time": base.timestamp() + i, "type": "buy", "ordertype": "limit",
        "price": "30010.00000", "cost": "600.20000", "fee": "0.00000", "vol": "0.02000000",
        "margin": "0.00000", "leverage": "0", "misc": "", "trade_id": 40274859 + i,
        "maker": True} for i in range(120)}
    newest_first = sorted(trades.items(), key=lambda kv: -kv[1]["time"])

    def answer(call):  # Kraken: 50 per request, newest first, ``ofs`` = offset
        offset = int(call.body.get("ofs") or 0)
        return {"error": [], "result": {"count": len(trades),
                                        "trades": dict(newest_first[offset:offset + 50])}}

    adapter, http = kraken(make_adapter)
    http.add("/0/private/TradesHistory", answer, method="POST")
    fills = run(adapter.fetch_fills(base - timedelta(hours=1)))
    assert len(fills) == 120 and len({f.id for f in fills}) == 120
    assert [c.body["ofs"] for c in http.all("/0/private/TradesHistory")] == ["0", "50", "100"]


# ------------------------------------------------------------------ KuCoin, Binance: ranges
def test_kucoin_fills_split_full_ranges_whatever_the_venue_order(make_adapter):
    from tests.exchanges.test_port_settings import kucoin_futures

    now = now_ms()
    base = now - 10 * DAY_MS
    # 100 rows spread over ten days, and a burst of 150 in one hour: more than a page
    times = [base + i * (DAY_MS // 10) for i in range(100)]
    times += [now - 5 * DAY_MS + i * 20_000 for i in range(150)]
    rows = [{"symbol": "XBTUSDTM", "tradeId": f"t{i}", "orderId": f"o{i}", "side": "buy",
             "liquidity": "maker", "forceTaker": False, "price": "30000", "size": 1,
             "value": "30", "feeRate": "0.0002", "fixFee": "0", "feeCurrency": "USDT",
             "stop": "", "fee": "0.006", "orderType": "limit", "tradeType": "trade",
             "createdAt": t, "settleCurrency": "USDT", "tradeTime": t * 1_000_000,
             "marginMode": "CROSS"} for i, t in enumerate(times)]

    def answer(call):  # KuCoin futures: newest first, at most 7 days, pageSize rows
        start, end = int(call.query["startAt"]), int(call.query["endAt"])
        if end - start > 7 * DAY_MS:
            return {"code": "400100", "msg": "The query time range cannot exceed 7 days"}
        inside = sorted((r for r in rows if start <= r["createdAt"] <= end),
                        key=lambda r: -r["createdAt"])
        size = int(call.query.get("pageSize", 50))
        return {"code": "200000", "data": {"currentPage": 1, "pageSize": size,
                                           "totalNum": len(inside), "items": inside[:size]}}

    adapter, http = kucoin_futures(make_adapter)
    http.add("/api/v1/fills", answer)
    fills = run(adapter.fetch_fills(datetime.fromtimestamp((base - 1000) / 1000, UTC)))
    assert len(fills) == 250 and len({f.id for f in fills}) == 250
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills)
    calls = http.all("/api/v1/fills")
    assert all(int(c.query["endAt"]) - int(c.query["startAt"]) <= 7 * DAY_MS for c in calls)


def test_binance_fills_read_day_by_day(make_adapter):
    from tests.exchanges.test_request_shape import binance

    now = now_ms()
    times = [now - 3 * DAY_MS + i * 3_600_000 for i in range(60)]  # one an hour, 2.5 days
    rows = [{"symbol": "BTCUSDT", "id": 1000 + i, "orderId": 5000 + i, "price": "30000",
             "qty": "0.001", "quoteQty": "30", "commission": "0.00003",
             "commissionAsset": "BTC", "time": t, "isBuyer": True, "isMaker": True,
             "isBestMatch": True} for i, t in enumerate(times)]

    def answer(call):  # Binance myTrades: oldest first, at most 24 hours, ``limit`` rows
        start, end = int(call.query["startTime"]), int(call.query["endTime"])
        if end - start > DAY_MS:
            return {"code": -1127, "msg": "More than 24 hours between startTime and endTime."}
        inside = [r for r in rows if start <= r["time"] <= end]
        return inside[:int(call.query.get("limit", 500))]

    adapter, http = binance(make_adapter)
    http.add("/api/v3/myTrades", answer)
    fills = run(adapter.fetch_fills(datetime.fromtimestamp((now - 4 * DAY_MS) / 1000, UTC),
                                    "BTC/USDT"))
    assert [f.id for f in fills] == [str(1000 + i) for i in range(60)]
