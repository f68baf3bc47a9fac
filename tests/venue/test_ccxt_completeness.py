"""What ccxt calls with its default options works on both exchanges (issue 10 item 5).

Real ccxt (async) over HTTP: ``load_markets`` with ccxt's own defaults (Bybit asks for
option markets, OKX for ``/asset/currencies``), ``fetch_status``, amend, batch create and
cancel, trading fees, leverage, position history, and the exchanges' "not found" shapes.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import ccxt.async_support as ccxt
import pytest

LIN = "BTC/USDT:USDT"
SPOT = "BTC/USDT"


def run(make, fn):
    async def go():
        ex = make()
        try:
            return await fn(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


def default_bybit(venue, key):
    """ccxt's bybit exactly as shipped: only the keys and the base URL are ours."""
    ex = ccxt.bybit({"apiKey": key.api_key, "secret": key.secret})
    ex.urls["api"] = dict.fromkeys(("spot", "futures", "v2", "public", "private"), venue.url)
    return ex


def default_okx(venue, key):
    ex = ccxt.okx({"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase})
    ex.urls["api"] = {"rest": venue.url}
    return ex


def defaults(venue, exchange):
    """Builds, for a key, a ccxt client of ``exchange`` with ccxt's default options."""
    build = default_bybit if exchange == "bybit" else default_okx
    return lambda key: build(venue, key)


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_load_markets_and_status_with_ccxt_default_options(venue, funded, exchange):
    key = venue.admin.create_key(funded(), exchange=exchange)
    make = defaults(venue, exchange)
    venue.admin.advance(candles=3)
    since = venue.admin.requests()[-1]["seq"] if venue.admin.requests() else 0

    async def fn(ex):
        await ex.load_markets()
        return (set(ex.markets), set(ex.currencies), await ex.fetch_status(),
                await ex.fetch_order_book(LIN, 5), await ex.fetch_ohlcv(LIN, "1m", limit=3),
                await ex.fetch_trades(LIN, limit=5))

    markets, currencies, status, book, ohlcv, trades = run(lambda: make(key), fn)
    assert book["bids"][0][0] < book["asks"][0][0] and len(book["bids"]) == 5
    assert len(ohlcv) == 3 and all(c[3] <= min(c[1], c[4]) <= max(c[1], c[4]) <= c[2]
                                   for c in ohlcv)
    assert trades and all(t["symbol"] == LIN for t in trades)
    assert {SPOT, LIN, "BTC/USD:BTC"} <= markets
    assert not any(m.count("-") >= 3 for m in markets)  # no option markets are emulated
    assert {"BTC", "USDT"} <= currencies
    assert status["status"] == "ok"
    answered = venue.admin.requests(since)
    assert answered and all(r["status"] == 200 and r["code"] == "0" for r in answered), answered


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_amend_order_price_and_size(venue, funded, exchange):
    key = venue.admin.create_key(funded(), exchange=exchange)
    make = defaults(venue, exchange)
    size, bigger = (0.01, 0.02) if exchange == "bybit" else (1, 2)  # OKX: contracts

    async def fn(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        low, lower = round(last * 0.8, 1), round(last * 0.7, 1)
        o = await ex.create_order(LIN, "limit", "buy", size, low, {"clientOrderId": "amend1"})
        edited = await ex.edit_order(o["id"], LIN, "limit", "buy", bigger, lower)
        after = await ex.fetch_open_order(o["id"], LIN) if exchange == "bybit" else \
            await ex.fetch_order(o["id"], LIN)
        with pytest.raises(ccxt.BadRequest):  # nothing changes: refused
            await ex.edit_order(o["id"], LIN, "limit", "buy", bigger, lower)
        gone = await ex.cancel_order(o["id"], LIN)
        with pytest.raises(ccxt.OrderNotFound):  # it is cancelled: nothing to amend
            await ex.edit_order(o["id"], LIN, "limit", "buy", size, low)
        return o, edited, after, gone, lower

    o, edited, after, gone, lower = run(lambda: make(key), fn)
    assert edited["id"] == o["id"] == after["id"] == gone["id"]
    assert (after["price"], after["amount"], after["clientOrderId"]) == (lower, bigger, "amend1")
    assert after["status"] == "open"


def test_an_order_amended_across_the_quote_takes_liquidity(venue, funded):
    """An amendment to a price across the quote takes liquidity at once, at or better than
    the new price (the old one, far above, is never reached)."""
    key = venue.admin.create_key(funded(), exchange="bybit")

    async def place(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        o = await ex.create_order(LIN, "limit", "sell", 0.01, round(last * 1.5, 1))
        near = round(last * 0.999, 1)  # below the bid: the amended sell takes liquidity
        await ex.edit_order(o["id"], LIN, "limit", "sell", 0.01, near)
        return o["id"], near, await ex.fetch_my_trades(LIN)

    oid, near, trades = run(lambda: default_bybit(venue, key), place)
    mine = [t for t in trades if t["order"] == oid]
    assert mine and all(t["price"] >= near and t["side"] == "sell" for t in mine)
    assert all(t["takerOrMaker"] == "taker" for t in mine)


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_batch_create_and_cancel(venue, funded, exchange):
    key = venue.admin.create_key(funded(), exchange=exchange)
    make = defaults(venue, exchange)
    size = 0.01 if exchange == "bybit" else 1
    dup = "batch1"

    async def fn(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        px = round(last * 0.8, 1)
        made = await ex.create_orders([
            {"symbol": LIN, "type": "limit", "side": "buy", "amount": size, "price": px,
             "params": {"clientOrderId": dup}},
            {"symbol": LIN, "type": "limit", "side": "buy", "amount": size, "price": px - 10,
             "params": {"clientOrderId": dup}},  # the same client id: this one is refused
            {"symbol": LIN, "type": "limit", "side": "buy", "amount": size, "price": px - 20},
        ])
        ids = [o["id"] for o in made if o["id"]]
        opened = await ex.fetch_open_orders(LIN)
        cancelled = await ex.cancel_orders(ids, LIN)
        left = await ex.fetch_open_orders(LIN)
        return made, ids, opened, cancelled, left

    made, ids, opened, cancelled, left = run(lambda: make(key), fn)
    assert len(made) == 3 and len(ids) == 2 and not made[1]["id"]
    refused = made[1]["info"]
    assert str(refused.get("code", refused.get("sCode"))) in ("110072", "51016")
    assert {o["id"] for o in opened} == set(ids)
    assert sorted(o["id"] for o in cancelled) == sorted(ids)
    assert left == []


def test_trading_fees_and_leverage(venue, funded):
    acct = funded()
    bybit = venue.admin.create_key(acct, exchange="bybit")
    okx_acct = funded("okx-fees")
    okx = venue.admin.create_key(okx_acct, exchange="okx")

    async def by(ex):
        await ex.load_markets()
        await ex.set_leverage(5, LIN)
        return await ex.fetch_trading_fee(LIN), await ex.fetch_leverage(LIN)

    async def ok(ex):
        await ex.load_markets()
        await ex.set_leverage(7, LIN, {"mgnMode": "cross"})
        spot = await ex.fetch_trading_fee(SPOT)
        swap = await ex.fetch_trading_fee(LIN)
        return spot, swap, await ex.fetch_leverage(LIN, {"marginMode": "cross"})

    fee, lev = run(lambda: default_bybit(venue, bybit), by)
    spot, swap, olev = run(lambda: default_okx(venue, okx), ok)
    profile = venue.admin.profile()
    assert (fee["maker"], fee["taker"]) == (0.0002, 0.00055)  # the market's own (no override)
    assert profile["maker_fee"] is None and profile["taker_fee"] is None
    assert (spot["maker"], spot["taker"]) == (0.001, 0.001)
    assert (swap["maker"], swap["taker"]) == (0.0002, 0.00055)
    assert lev["longLeverage"] == lev["shortLeverage"] == 5
    assert olev["longLeverage"] == olev["shortLeverage"] == 7


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_position_history_after_a_round_trip(venue, funded, exchange):
    """Open 0.02 BTC long, close half, then the rest: two closing orders, two history rows
    with the hand-computed realised PnL (gross, less the opening and closing fees)."""
    key = venue.admin.create_key(funded(exchange + "-hist"), exchange=exchange)
    make = defaults(venue, exchange)
    unit = 0.01 if exchange == "bybit" else 1  # 0.01 BTC (OKX: one 0.01 BTC contract)

    async def fn(ex):
        await ex.load_markets()
        await ex.create_order(LIN, "market", "buy", 2 * unit)
        await ex.create_order(LIN, "market", "sell", unit, None, {"reduceOnly": True})
        await ex.create_order(LIN, "market", "sell", unit, None, {"reduceOnly": True})
        trades = await ex.fetch_my_trades(LIN)
        return trades, await ex.fetch_positions_history([LIN])

    trades, history = run(lambda: make(key), fn)
    assert len(history) == 2
    buy = next(t for t in trades if t["side"] == "buy")
    sells = [t for t in trades if t["side"] == "sell"]
    assert len(sells) == 2
    for row in history:
        raw = row["info"]
        sell = next(t for t in sells if abs(float(t["price"]) - float(
            raw.get("avgExitPrice", raw.get("closeAvgPx")))) < 1e-9)
        gross = 0.01 * (sell["price"] - buy["price"])
        fees = buy["fee"]["cost"] / 2 + sell["fee"]["cost"]
        realised = float(raw.get("closedPnl", raw.get("realizedPnl")))
        assert realised == pytest.approx(gross - fees, abs=1e-8)
        assert row["symbol"] == LIN


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_not_emulated_endpoints_answer_in_each_exchanges_not_found_shape(venue):
    status, body = _get(venue.url + "/v5/spot-lever-token/info")
    assert status == 404 and body["retCode"] == 10017 and set(body) >= {
        "retMsg", "result", "retExtInfo", "time"}
    status, body = _get(venue.url + "/api/v5/finance/savings/balance")
    assert status == 404 and body["code"] == "50115" and body["data"] == []


def test_ccxt_reads_the_not_found_shapes_as_errors(venue, funded):
    key = venue.admin.create_key(funded(), exchange="okx")

    async def fn(ex):
        with pytest.raises(ccxt.BadRequest):
            await ex.private_get_finance_savings_balance()

    run(lambda: default_okx(venue, key), fn)


def test_okx_batch_cancel_answers_each_item_on_its_own(venue, funded):
    """One good cancellation, an unknown instrument, an item without an id: code 2
    ("partially succeeded") and each item's own sCode; the good one is cancelled."""
    key = venue.admin.create_key(funded(), exchange="okx")

    async def fn(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        o = await ex.create_order(LIN, "limit", "buy", 1, round(last * 0.8, 1))
        answer = await ex.private_post_trade_cancel_batch_orders([
            {"instId": "BTC-USDT-SWAP", "ordId": o["id"]}, {"instId": "NOPE-SWAP", "ordId": "1"},
            {"instId": "BTC-USDT-SWAP"}])
        return o, answer, await ex.fetch_open_orders(LIN)

    o, answer, left = run(lambda: default_okx(venue, key), fn)
    assert answer["code"] == "2"
    assert [d["sCode"] for d in answer["data"]] == ["0", "51001", "51003"]
    assert answer["data"][0]["ordId"] == o["id"] and o["id"] not in [x["id"] for x in left]
