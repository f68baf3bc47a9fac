"""Liquidity: the spread, the book walked by market orders, the volume cap on resting orders
(partial fills over several candles), and the market data endpoints through real ccxt."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from sequence.core.candles import load_rows
from sequence.venue import MarketProfile
from tests.venue.conftest import CANDLES
from tests.venue.helpers import make_venue

LIN = "BTC/USDT:USDT"


def run(make_ex, key, fn):
    async def go():
        ex = make_ex(key)
        try:
            return await fn(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


def test_a_large_resting_order_fills_ten_percent_of_each_candle():
    # five candles of volume 2 BTC that all reach 29990: 10 % = 0.2 BTC per candle
    candles = [(30000, 30010, 29980, 30000, 2)] * 5
    v, a = make_venue(candles, first=30000.0, usdt="100000")
    m = v.markets["BTCUSDT-linear"]
    o = v.place_order(a, m, side="buy", type_="limit", qty="1", price="29990")
    reserved = o.reserved
    v.step()
    assert o.status == "PartiallyFilled" and o.filled == D("0.2") and o.open
    assert o.reserved == reserved * D("0.8")  # what it still reserves shrinks with it
    for _ in range(4):
        v.step()
    assert o.status == "Filled" and o.filled == 1
    fills = [x for x in a.executions if x.order is o]
    assert [x.qty for x in fills] == [D("0.2")] * 5
    assert all(x.is_maker and x.price == D(29990) for x in fills)


def test_the_cap_is_per_order_and_the_ideal_profile_has_none():
    candles = [(30000, 30010, 29980, 30000, 1)]
    v, a = make_venue(candles, first=30000.0, usdt="100000")
    m = v.markets["BTCUSDT-linear"]
    one = v.place_order(a, m, side="buy", type_="limit", qty="0.5", price="29990")
    two = v.place_order(a, m, side="buy", type_="limit", qty="0.5", price="29985")
    v.step()
    assert one.filled == two.filled == D("0.1")  # independently: 10 % of 1 BTC each
    w, b = make_venue(candles, first=30000.0, usdt="100000", profile=MarketProfile.ideal())
    big = w.place_order(b, w.markets["BTCUSDT-linear"], side="buy", type_="limit", qty="5",
                        price="29990")
    w.step()
    assert big.status == "Filled"


def test_a_market_order_walks_the_book_and_stops_at_its_depth():
    profile = MarketProfile(book_depth=D("0.5"), book_levels=3)
    v, a = make_venue([(30000, 30010, 29990, 30000, 2)], first=30000.0, usdt="100000",
                      profile=profile)
    m = v.markets["BTCUSDT-linear"]
    bid, ask = v.quote(m)
    assert bid < ask and v.book(m)[1] == [(ask, D("0.5")), (ask + D("0.1"), D("0.5")),
                                          (ask + D("0.2"), D("0.5"))]
    o = v.place_order(a, m, side="buy", type_="market", qty="1.2")
    fills = [(x.price, x.qty) for x in a.executions if x.order is o]
    assert fills == [(ask, D("0.5")), (ask + D("0.1"), D("0.5")), (ask + D("0.2"), D("0.2"))]
    # average by hand: (0.5*ask + 0.5*(ask+0.1) + 0.2*(ask+0.2)) / 1.2
    assert o.avg_price == (D("0.5") * ask + D("0.5") * (ask + D("0.1"))
                           + D("0.2") * (ask + D("0.2"))) / D("1.2")
    big = v.place_order(a, m, side="sell", type_="market", qty="2")
    assert big.filled == D("1.5") and big.status == "PartiallyFilledCanceled"
    # a limit order crossing the book takes what is within its price and rests the rest
    lim = v.place_order(a, m, side="buy", type_="limit", qty="1", price=ask)
    assert lim.filled == D("0.5") and lim.status == "PartiallyFilled" and lim.id in a.open_orders


def test_book_trades_and_candles_through_real_ccxt(venue, funded):
    acct = funded()
    kb = venue.admin.create_key(acct, exchange="bybit")
    ko = venue.admin.create_key(acct, exchange="okx")
    venue.admin.advance(candles=5)
    market_ms = venue.admin.clock()["market_ms"]
    done = venue.admin.clock()["candles_done"]
    file_rows = load_rows(CANDLES)[done - 3:done]

    async def fn(ex):
        await ex.load_markets()
        return (await ex.fetch_order_book(LIN, 5), await ex.fetch_ohlcv(LIN, "1m", limit=3),
                await ex.fetch_trades(LIN, limit=5), await ex.fetch_ticker(LIN))

    for make_ex, key in ((venue.ccxt_bybit, kb), (venue.ccxt_okx, ko)):
        book, ohlcv, trades, ticker = run(make_ex, key, fn)
        assert book["bids"][0][0] < book["asks"][0][0]
        assert (book["bids"][0][0], book["asks"][0][0]) == (ticker["bid"], ticker["ask"])
        assert len(book["bids"]) == len(book["asks"]) == 5 and book["timestamp"] == market_ms
        assert [c[1:5] for c in ohlcv] == [list(r[1:5]) for r in file_rows]  # the file's prices
        assert ohlcv[-1][0] + 60_000 == market_ms
        assert trades and all(t["timestamp"] <= market_ms for t in trades)


def test_partial_fill_seen_through_fetch_order_and_fetch_my_trades(venue, funded):
    """The March 2023 file trades about 0.3 BTC a minute: 10 % is 0.03 BTC a candle, so a
    0.2 BTC (OKX: 20 contracts) bid fills over several candles."""
    acct = funded()
    keys = {"bybit": venue.admin.create_key(acct, exchange="bybit"),
            "okx": venue.admin.create_key(acct, exchange="okx")}
    makers = {"bybit": venue.ccxt_bybit, "okx": venue.ccxt_okx}
    amount = {"bybit": 0.2, "okx": 20}
    orders = {}
    for name in ("bybit", "okx"):
        async def place(ex, name=name):
            await ex.load_markets()
            bid = (await ex.fetch_ticker(LIN))["bid"]
            return await ex.create_order(LIN, "limit", "buy", amount[name], bid)

        orders[name] = run(makers[name], keys[name], place)
    seen = {}
    for _ in range(200):  # candles, not seconds: stop at the first partial state of each
        venue.admin.advance(candles=1)
        for name in ("bybit", "okx"):
            if name in seen:
                continue

            async def look(ex, name=name):
                o = await ex.fetch_order(orders[name]["id"], LIN, {"acknowledged": True})
                if not 0 < o["filled"] < o["amount"]:
                    return None
                trades = [t for t in await ex.fetch_my_trades(LIN) if t["order"] == o["id"]]
                return (o, trades) if len(trades) >= 2 else None

            got = run(makers[name], keys[name], look)
            if got is not None:
                seen[name] = got
        if len(seen) == 2:
            break
    assert set(seen) == {"bybit", "okx"}
    for name, (order, mine) in seen.items():
        assert order["status"] == "open" and order["remaining"] > 0
        assert len(mine) >= 2 and all(t["takerOrMaker"] == "maker" for t in mine)
        assert abs(sum(t["amount"] for t in mine) - order["filled"]) < 1e-9
        raw = order["info"].get("orderStatus") or order["info"].get("state")
        assert raw in ("PartiallyFilled", "partially_filled"), name
    for name in ("bybit", "okx"):
        run(makers[name], keys[name], lambda ex, n=name: ex.cancel_order(orders[n]["id"], LIN))


def test_okx_post_only_that_would_cross_is_canceled_its_own_way(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="okx")

    async def fn(ex):
        await ex.load_markets()
        ask = (await ex.fetch_ticker(LIN))["ask"]
        o = await ex.create_order(LIN, "limit", "buy", 1, ask, {"postOnly": True})
        return await ex.fetch_order(o["id"], LIN)

    o = run(venue.ccxt_okx, key, fn)
    assert o["status"] == "canceled" and o["filled"] == 0
    assert o["info"]["cancelSource"] == "31"
