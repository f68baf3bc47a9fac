"""Identities as the real exchanges issue them, client-id reuse rules, amendments in the book.

Engine-level (no HTTP) on hand-written candles, plus real ccxt over HTTP for what a client
sees: Bybit derivative order and execution ids are UUIDs (spot ones numeric, as in the
recorded responses), OKX ``billId`` differs from ``tradeId`` and a SPOT bill's ``sz`` is in
the row's currency, and no record is dated after the clock that serves it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal as D

import ccxt.async_support as ccxt
import pytest

from sequence.venue.engine import VenueError
from sequence.venue.feed import MINUTE_MS
from sequence.venue.profile import MarketProfile
from tests.venue.helpers import make_venue

LIN = "BTCUSDT-linear"
NUMERIC = re.compile(r"^\d+$")


def make(candles, **kw):
    return make_venue(candles, first=100.0, profile=MarketProfile.ideal(), **kw)


def step(v, n=1):
    v.clock.advance(n * MINUTE_MS)
    v.sync()


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def test_an_amended_order_rests_at_its_new_price_only():
    """Its old place in the book is stale: a candle reaching the old price fills nothing;
    one reaching the new price fills it there, as maker."""
    v, a = make([(100, 100, 89, 95), (95, 95, 79, 90)])
    m = v.markets[LIN]
    o = v.place_order(a, m, side="buy", type_="limit", qty="0.02", price="90")
    reserved = o.reserved
    v.amend_order(a, m, order_id=o.id, qty="0.01", price="80")
    assert (o.qty, o.price) == (D("0.01"), D(80)) and o.reserved < reserved
    step(v)  # low 89: under the old price 90, above the new 80
    assert o.status == "New" and not a.executions
    step(v)  # low 79
    assert o.status == "Filled" and [(x.price, x.qty, x.is_maker) for x in a.executions] == [
        (D(80), D("0.01"), True)]


def test_amend_refusals():
    v, a = make([(100, 100, 100, 100)])
    m = v.markets[LIN]
    o = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="90", tif="PostOnly")
    for change, kind in (({"price": "90"}, "amend_unchanged"), ({"price": "90.05"}, "bad_price"),
                         ({"price": "100"}, "post_only"), ({"qty": "0.0105"}, "bad_qty")):
        with pytest.raises(VenueError) as e:
            v.amend_order(a, m, order_id=o.id, **change)
        assert e.value.kind == kind
    with pytest.raises(VenueError) as e:  # 1190 x 90 / 10x: more margin than 10,000 USDT
        v.amend_order(a, m, order_id=o.id, qty="1190")
    assert e.value.kind == "insufficient" and (o.qty, o.price) == (D("0.01"), D(90))
    v.cancel_order(a, m, order_id=o.id)
    with pytest.raises(VenueError) as e:
        v.amend_order(a, m, order_id=o.id, price="80")
    assert e.value.kind == "finished"


def test_client_ids_bybit_never_reused_okx_free_once_the_order_ends():
    """Bybit v5 create-order: orderLinkId "always unique". OKX place-order: clOrdId "must be
    unique among the clOrdIds of all pending orders", so it is free again once the order is
    filled or cancelled, and then names the newest order."""
    v, a = make([(100, 100, 100, 100)])
    m = v.markets[LIN]
    first = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="90",
                          link_id="c1", source="bybit")
    v.cancel_order(a, m, order_id=first.id)
    with pytest.raises(VenueError) as e:
        v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="90", link_id="c1",
                      source="bybit")
    assert e.value.kind == "duplicate"

    okx = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="90", link_id="k1",
                        source="okx", reuse_link_id=True)
    with pytest.raises(VenueError) as e:  # still pending: refused
        v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="89", link_id="k1",
                      source="okx", reuse_link_id=True)
    assert e.value.kind == "duplicate"
    v.cancel_order(a, m, link_id="k1")
    again = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="88",
                          link_id="k1", source="okx", reuse_link_id=True)
    assert again.id != okx.id and v.find_order(a, link_id="k1") is again
    assert v.find_order(a, order_id=okx.id) is okx  # the first is still found by its own id


def test_bybit_derivative_ids_are_uuids_spot_and_okx_ids_numeric():
    v, a = make([(100, 100, 100, 100)], btc="1")
    lin, spot = v.markets[LIN], v.markets["BTCUSDT-spot"]
    by = v.place_order(a, lin, side="buy", type_="market", qty="0.01", source="bybit")
    by_spot = v.place_order(a, spot, side="sell", type_="market", qty="0.01", source="bybit")
    ok = v.place_order(a, lin, side="buy", type_="market", qty="0.01", source="okx")
    execs = {x.order.id: x for x in a.executions}
    assert is_uuid(by.id) and is_uuid(execs[by.id].id)
    assert NUMERIC.match(by_spot.id) and NUMERIC.match(execs[by_spot.id].id)
    assert NUMERIC.match(ok.id) and NUMERIC.match(execs[ok.id].id)
    for x in a.executions:  # every fill names its own ledger row, which is not the fill
        assert x.bill_id and x.bill_id != x.id
        assert any(e.id == x.bill_id and e.execution is x for e in a.ledger)


def test_okx_bills_and_fills_ids_and_spot_bill_sizes_over_ccxt(venue, funded):
    acct = funded("okx-ids")
    key = venue.admin.create_key(acct, exchange="okx")

    async def go():
        ex = venue.ccxt_okx(key)
        try:
            await ex.load_markets()
            await ex.create_order("BTC/USDT", "market", "buy", 0.001, None, {"tgtCcy": "base_ccy"})
            fills = await ex.private_get_trade_fills({"instType": "SPOT"})
            bills = await ex.private_get_account_bills({"instType": "SPOT"})
            return fills["data"], bills["data"]
        finally:
            await ex.close()

    fills, bills = asyncio.run(go())
    (fill,) = fills
    assert fill["billId"] != fill["tradeId"]
    rows = {b["ccy"]: b for b in bills if b["tradeId"] == fill["tradeId"]}
    assert set(rows) == {"BTC", "USDT"} and fill["billId"] in {b["billId"] for b in rows.values()}
    px, qty = D(fill["fillPx"]), D(fill["fillSz"])
    assert D(rows["BTC"]["sz"]) == qty  # the base coin row: the base coin bought
    assert D(rows["USDT"]["sz"]) == qty * px == -D(rows["USDT"]["balChg"])  # the quote spent


def _stamps(obj, out, path=""):
    """Every epoch-ms timestamp in a JSON answer, by the exchanges' names for them."""
    names = {"createdTime", "updatedTime", "execTime", "transactionTime", "cTime", "uTime",
             "fillTime", "ts", "successAt", "createTime", "updateTime", "timestamp"}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in names and isinstance(v, str | int) and str(v).isdigit() and v not in ("", "0"):
                out.append((f"{path}.{k}", int(v)))
            else:
                _stamps(v, out, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            _stamps(item, out, f"{path}[{i}]")
    return out


def test_no_record_is_dated_after_the_clock_that_serves_it(venue, funded):
    """Orders, fills, ledger rows, positions, funding and transfers, after trading, a funding
    time and a transfer, on both exchanges: every stamp is at or before the market clock
    (records) when served; the envelopes' ``time`` at or before the wall clock."""
    bacct, oacct = funded("clock-bybit"), funded("clock-okx")
    for acct in (bacct, oacct):
        venue.admin.transfer(acct, "USDT", "5", from_wallet="trading", to_wallet="funding")
    bkey = venue.admin.create_key(bacct, exchange="bybit")
    okey = venue.admin.create_key(oacct, exchange="okx")
    clock = venue.admin.clock()
    to_funding = (8 * 60 - (clock["market_ms"] // MINUTE_MS) % (8 * 60)) % (8 * 60)
    venue.admin.set_profile(funding_rate="0.0001")

    async def go():
        b, o = venue.ccxt_bybit(bkey), venue.ccxt_okx(okey)
        try:
            await b.load_markets()
            await o.load_markets()
            last = float((await b.fetch_ticker("BTC/USDT:USDT"))["last"])
            await b.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
            await b.create_order("BTC/USDT:USDT", "limit", "buy", 0.01, round(last * 0.9, 1))
            await o.create_order("BTC/USDT:USDT", "market", "buy", 1)
            await o.create_order("BTC/USDT:USDT", "limit", "buy", 1, round(last * 0.9, 1))
            venue.admin.advance(candles=to_funding + 2)  # past a funding time
            answers = [
                await b.private_get_v5_order_realtime({"category": "linear"}),
                await b.private_get_v5_order_history({"category": "linear"}),
                await b.private_get_v5_execution_list({"category": "linear"}),
                await b.private_get_v5_account_transaction_log({}),
                await b.private_get_v5_position_list({"category": "linear", "settleCoin": "USDT"}),
                await b.private_get_v5_asset_transfer_query_inter_transfer_list({}),
                await b.public_get_v5_market_tickers({"category": "linear"}),
                await b.public_get_v5_market_recent_trade({"category": "linear",
                                                          "symbol": "BTCUSDT"}),
                await o.private_get_trade_orders_pending({}),
                await o.private_get_trade_orders_history({"instType": "SWAP"}),
                await o.private_get_trade_fills({}),
                await o.private_get_account_bills({}),
                await o.private_get_account_positions({}),
                await o.public_get_market_trades({"instId": "BTC-USDT-SWAP"}),
            ]
            return answers
        finally:
            await b.close()
            await o.close()

    answers = asyncio.run(go())
    after = venue.admin.clock()
    stamps = []
    for answer in answers:
        envelope = answer.get("time")
        if envelope is not None:
            assert int(envelope) <= after["wall_ms"]
        _stamps(answer.get("result", answer.get("data")), stamps)
    assert len(stamps) > 20
    late = [(p, t) for p, t in stamps if t > after["market_ms"]]
    assert late == []
    funding = [r for r in answers[3]["result"]["list"] if r["type"] == "SETTLEMENT"]
    assert funding and all(int(r["transactionTime"]) % (8 * 3_600_000) == 0 for r in funding)


def test_ccxt_sees_uuid_ids_on_bybit_derivatives(venue, funded):
    key = venue.admin.create_key(funded("uuid"), exchange="bybit")

    async def go():
        ex = venue.ccxt_bybit(key)
        try:
            await ex.load_markets()
            o = await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
            trades = await ex.fetch_my_trades("BTC/USDT:USDT")
            public = await ex.fetch_trades("BTC/USDT:USDT")
            with pytest.raises(ccxt.InvalidOrder):  # Bybit never takes a link id twice
                for _ in range(2):
                    await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01, None,
                                          {"clientOrderId": "once"})
            return o, trades, public
        finally:
            await ex.close()

    o, trades, public = asyncio.run(go())
    assert is_uuid(o["id"]) and trades and all(is_uuid(t["id"]) for t in trades)
    assert public and all(is_uuid(t["id"]) for t in public)
