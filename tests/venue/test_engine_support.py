"""What the trading engine's tests need: the parity profile, lock-step, the request log,
best bid/ask on the tickers at market time, and the margin-mode and leverage calls."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import ccxt.async_support as ccxt
import pytest

from sequence.venue import MarketProfile, running_venue
from sequence.venue.feed import MINUTE_MS
from tests.support.strategy_data import MAIN_SET
from tests.venue.helpers import make_venue

LIN = "BTC/USDT:USDT"
CANDLES = str(MAIN_SET)


def run(make_ex, key, fn):
    async def go():
        ex = make_ex(key)
        try:
            return await fn(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


# ---------------------------------------------------------------- in process
def test_parity_profile_fills_an_order_at_the_last_close_at_once_as_maker():
    fee = D("0.0001")
    v, a = make_venue([(100, 101, 99, 100)], first=100.0, profile=MarketProfile.parity(fee))
    m = v.markets["BTCUSDT-linear"]
    assert v.quote(m) == (D(100), D(100))
    buy = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="100", tif="PostOnly")
    sell = v.place_order(a, m, side="sell", type_="limit", qty="0.01", price="100",
                         tif="PostOnly")
    assert buy.status == sell.status == "Filled"
    fills = a.executions[-2:]
    assert [(x.price, x.is_maker, x.fee_rate) for x in fills] == [(D(100), True, fee)] * 2
    assert fills[0].fee == D("0.01") * 100 * fee  # 0.0001 USDT, by hand
    # strictly crossing still behaves as before: post-only cancelled, a limit takes
    po = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="100.1",
                       tif="PostOnly")
    assert po.status == "Cancelled" and po.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    taker = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="100.1")
    assert taker.status == "Filled" and a.executions[-1].price == D(100)
    assert not a.executions[-1].is_maker and a.executions[-1].fee_rate == m.taker_fee


def test_default_profile_has_a_spread_and_post_only_at_the_bid_rests():
    v, a = make_venue([(30000, 30010, 29990, 30000, 2)], first=30000.0)
    m = v.markets["BTCUSDT-linear"]
    bid, ask = v.quote(m)
    # 1 bp of 30000 is 3: bid rounded down, ask up to the 0.1 tick
    assert (bid, ask) == (D("29998.5"), D("30001.5"))
    o = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price=bid, tif="PostOnly")
    assert o.status == "New" and o.id in a.open_orders
    mkt = v.place_order(a, m, side="buy", type_="market", qty="0.01")
    assert mkt.status == "Filled" and a.executions[-1].price == ask


def test_step_processes_exactly_one_candle_and_moves_the_clock_to_its_end():
    v, _ = make_venue([(100, 101, 99, 100.5, 1), (100.5, 102, 100, 101, 1)], start=60_000)
    assert v.now() == 60_000 and v.candles_done == 0
    first = v.step()
    assert first[0] == 60_000 and first[4] == D("100.5")
    assert v.now() == 2 * MINUTE_MS and v.candles_done == 1 and v.last_price == D("100.5")
    assert v.step()[4] == D(101) and v.now() == 3 * MINUTE_MS
    assert v.step() is None and v.candles_done == 2  # the feed has no more candles


def test_set_profile_refuses_nonsense():
    v, _ = make_venue([(100, 101, 99, 100)])
    with pytest.raises(Exception, match="participation"):
        v.set_profile(MarketProfile(participation=D(2)))
    with pytest.raises(Exception, match="unknown profile"):
        v.profile.updated(colour="red")


# ---------------------------------------------------------------- over HTTP
@pytest.fixture(scope="module")
def served():
    with running_venue(CANDLES, speed=0, lockstep=True) as v:
        yield v


@pytest.fixture
def account(served):
    acct = served.admin.create_account(name="engine")
    served.admin.fund(acct, "USDT", "10000")
    return acct


def test_lockstep_step_and_tickers_at_market_time_on_both_exchanges(served, account):
    admin = served.admin
    assert admin.clock()["lockstep"] is True and admin.clock()["speed"] == 0
    before = admin.clock()["market_ms"]
    stepped = admin.step(candles=3)
    assert len(stepped["candles"]) == 3
    market_ms = stepped["clock"]["market_ms"]
    assert market_ms == stepped["candles"][-1]["ts"] + MINUTE_MS and market_ms > before
    assert admin.clock()["market_ms"] == market_ms  # the clock does not move by itself
    with pytest.raises(Exception, match="lock-step"):
        admin.set_speed(10)
    kb = admin.create_key(account, exchange="bybit")
    ko = admin.create_key(account, exchange="okx")

    async def ticker(ex):
        return await ex.fetch_ticker(LIN)

    tb = run(served.ccxt_bybit, kb, ticker)
    to = run(served.ccxt_okx, ko, ticker)
    close = float(stepped["candles"][-1]["close"])
    for t in (tb, to):
        assert t["timestamp"] == market_ms
        assert t["bid"] < close < t["ask"] and t["last"] == close
    assert (tb["bid"], tb["ask"]) == (to["bid"], to["ask"])
    admin.set_profile("parity", maker_fee="0.0001")
    tb = run(served.ccxt_bybit, kb, ticker)
    assert tb["bid"] == tb["ask"] == close
    assert admin.profile()["maker_fee"] == "0.0001" and admin.profile()["participation"] is None
    admin.set_profile("default")


def test_request_log_shows_every_exchange_request(served, account):
    admin = served.admin
    kb = admin.create_key(account, exchange="bybit")
    ko = admin.create_key(account, exchange="okx")
    admin.clear_requests()

    async def bybit(ex):
        await ex.load_markets()
        last = (await ex.fetch_ticker(LIN))["last"]
        await ex.create_order(LIN, "limit", "buy", 0.01, round(last * 0.9, 1),
                              {"clientOrderId": "logB1"})
        with pytest.raises(ccxt.InvalidOrder):  # a duplicate: the log keeps its code
            await ex.create_order(LIN, "limit", "buy", 0.01, round(last * 0.9, 1),
                                  {"clientOrderId": "logB1"})

    async def okx(ex):
        await ex.load_markets()
        await ex.create_order(LIN, "limit", "buy", 1, 15000, {"clientOrderId": "logO1"})

    run(served.ccxt_bybit, kb, bybit)
    run(served.ccxt_okx, ko, okx)
    admin.account(account)  # admin requests are not logged
    log = admin.requests()
    assert log == [r.public() for r in served.venue.request_log.records()]
    assert all(r["path"].startswith(("/v5/", "/api/v5/")) for r in log)
    creates = [r for r in log if r["method"] == "POST" and "order" in r["path"]]
    assert [(r["key"], r["client_order_id"], r["code"]) for r in creates] == [
        (kb.api_key, "logB1", "0"), (kb.api_key, "logB1", "110072"), (ko.api_key, "logO1", "0")]
    assert all(r["start_ms"] <= r["end_ms"] and r["status"] == 200 for r in log)
    public = [r for r in log if r["path"] == "/v5/market/instruments-info"]
    assert public and public[0]["key"] == ""  # public calls carry no key
    text = repr(log)
    assert kb.secret not in text and ko.secret not in text and ko.passphrase not in text
    assert admin.clear_requests() == len(log) and admin.requests() == []
    admin.call("POST", "/admin/requests", {"size": 2})
    run(served.ccxt_bybit, kb, lambda ex: ex.fetch_balance())
    run(served.ccxt_bybit, kb, lambda ex: ex.fetch_balance())
    run(served.ccxt_bybit, kb, lambda ex: ex.fetch_balance())
    assert len(admin.requests()) == 2  # a bounded ring buffer
    admin.call("POST", "/admin/requests", {"size": 100_000})


def test_margin_mode_and_leverage_calls_as_ccxt_sends_them(served, account):
    kb = served.admin.create_key(account, exchange="bybit")
    ko = served.admin.create_key(account, exchange="okx")

    async def bybit(ex):
        await ex.load_markets()
        await ex.set_margin_mode("isolated")
        isolated = (await ex.private_get_v5_account_info())["result"]["marginMode"]
        await ex.set_margin_mode("cross")
        cross = (await ex.private_get_v5_account_info())["result"]["marginMode"]
        await ex.set_leverage(7, LIN)
        with pytest.raises(ccxt.BadRequest, match="110043"):  # as Bybit: not modified
            await ex.set_leverage(7, LIN)
        return isolated, cross, await ex.fetch_leverage(LIN)

    isolated, cross, lev = run(served.ccxt_bybit, kb, bybit)
    assert (isolated, cross) == ("ISOLATED_MARGIN", "REGULAR_MARGIN")
    assert lev["longLeverage"] == lev["shortLeverage"] == 7

    async def okx(ex):
        await ex.load_markets()
        await ex.set_margin_mode("cross", LIN, {"lever": 3})
        first = await ex.fetch_leverage(LIN)
        await ex.set_leverage(4, LIN, {"mgnMode": "cross"})
        await ex.set_leverage(4, LIN, {"mgnMode": "cross"})  # OKX accepts an unchanged one
        return first, await ex.fetch_leverage(LIN), await ex.fetch_positions([LIN])

    first, second, _ = run(served.ccxt_okx, ko, okx)
    assert first["marginMode"] == "cross" and first["longLeverage"] == 3
    assert second["longLeverage"] == 4
    with pytest.raises(ccxt.BadRequest):
        run(served.ccxt_okx, ko, lambda ex: ex.private_get_account_leverage_info(
            {"instId": "BTC-USDT-SWAP"}))
