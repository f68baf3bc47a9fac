"""Limits as the real exchanges enforce them: rate limits per key and endpoint group."""

from __future__ import annotations

import asyncio
import time

import ccxt.async_support as ccxt
import pytest

from sequence.venue import running_venue

LIN = "BTC/USDT:USDT"


@pytest.fixture(scope="module")
def limited():
    with running_venue(price=30000.0, speed=0, rate_limits=True) as v:
        yield v


def burst(make_ex, key, call, n):
    """``n`` concurrent calls without ccxt's own throttle: (successes, rate-limit errors)."""

    async def go():
        ex = make_ex(key, enableRateLimit=False)
        try:
            await ex.load_markets()
            results = await asyncio.gather(*(call(ex) for _ in range(n)), return_exceptions=True)
            return ex.last_response_headers, results
        finally:
            await ex.close()

    headers, results = asyncio.run(go())
    limited = [r for r in results if isinstance(r, ccxt.RateLimitExceeded)]
    others = [r for r in results if isinstance(r, Exception) and r not in limited]
    assert not others, others
    return len(results) - len(limited), limited, headers


def until_allowed(make_ex, key, call, deadline_s=5.0):
    """Poll (ccxt's throttle on) until one call passes again; returns the seconds it took."""
    start = time.monotonic()
    while True:
        ok, _, _ = burst(make_ex, key, call, 1)
        if ok:
            return time.monotonic() - start
        assert time.monotonic() - start < deadline_s, "the limit never reset"


def test_bybit_order_burst_is_limited_with_10006_and_recovers(limited):
    acct = limited.admin.create_account("burst")
    limited.admin.fund(acct, "USDT", "100000")
    key = limited.admin.create_key(acct, exchange="bybit")

    def create(ex):
        return ex.create_order(LIN, "limit", "buy", 0.001, 20000)

    ok, refused, headers = burst(limited.ccxt_bybit, key, create, 15)
    assert ok == 10 and len(refused) == 5  # /v5/order/create: 10 per second per key
    assert "10006" in str(refused[0])
    assert int(headers["X-Bapi-Limit"]) == 10 and "X-Bapi-Limit-Reset-Timestamp" in headers
    # another endpoint group is not affected, and the window ends within a second
    ok, refused, _ = burst(limited.ccxt_bybit, key, lambda ex: ex.fetch_balance(), 5)
    assert ok == 5 and not refused
    assert until_allowed(limited.ccxt_bybit, key, create) < 1.5
    limited.admin.set_limits(scale=10)
    try:
        assert burst(limited.ccxt_bybit, key, create, 15)[0] == 15
    finally:
        limited.admin.set_limits(scale=1)


def test_okx_balance_burst_is_limited_with_50011_and_recovers(limited):
    acct = limited.admin.create_account("burst-okx")
    limited.admin.fund(acct, "USDT", "1000")
    key = limited.admin.create_key(acct, exchange="okx")

    def balance(ex):
        return ex.fetch_balance()

    ok, refused, _ = burst(limited.ccxt_okx, key, balance, 14)
    assert ok == 10 and len(refused) == 4  # /account/balance: 10 per 2 s per key
    assert "50011" in str(refused[0])
    assert until_allowed(limited.ccxt_okx, key, balance) < 2.5
    other = limited.admin.create_key(acct, exchange="okx")  # the limit is per key
    assert burst(limited.ccxt_okx, other, balance, 10)[0] == 10


def _raw(venue, key, call):
    async def go():
        ex = venue.ccxt_bybit(key)
        try:
            await ex.load_markets()
            return await call(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


def test_bybit_history_window_is_seven_days(venue, funded):
    key = venue.admin.create_key(funded(), exchange="bybit")
    old = _raw(venue, key, lambda ex: ex.create_order(LIN, "market", "buy", 0.01))
    old_ms = venue.admin.clock()["market_ms"]
    venue.admin.advance(candles=8 * 1440)  # eight days later
    new = _raw(venue, key, lambda ex: ex.create_order(LIN, "market", "sell", 0.01))

    def executions(**params):
        return lambda ex: ex.private_get_v5_execution_list({"category": "linear", **params})

    recent = _raw(venue, key, executions(limit=100))["result"]["list"]
    # default: the last 7 days; as on Bybit, the list also holds the funding payments
    assert [x["orderId"] for x in recent if x["execType"] == "Trade"] == [new["id"]]
    then = _raw(venue, key, executions(startTime=old_ms - 60_000, endTime=old_ms + 60_000,
                                       execType="Trade"))
    assert [x["orderId"] for x in then["result"]["list"]] == [old["id"]]
    with pytest.raises(ccxt.BadRequest, match="7 days"):
        _raw(venue, key, executions(startTime=old_ms - 60_000,
                                    endTime=old_ms + 8 * 86_400_000))
    log = _raw(venue, key, lambda ex: ex.private_get_v5_account_transaction_log(
        {"accountType": "UNIFIED", "category": "linear", "type": "TRADE", "limit": 50}))
    assert [r["orderId"] for r in log["result"]["list"]] == [new["id"]]
    funding = _raw(venue, key, lambda ex: ex.private_get_v5_account_transaction_log(
        {"accountType": "UNIFIED", "type": "SETTLEMENT", "limit": 50}))["result"]["list"]
    now = venue.admin.clock()["market_ms"]
    eight_h = 8 * 3_600_000
    due = [t for t in range((now - 7 * 86_400_000) // eight_h * eight_h, now + 1, eight_h)
           if t > old_ms and now - 7 * 86_400_000 <= t <= now]
    assert len(due) in (21, 22)  # held 8 days: 3 a day, those within the last 7 days
    assert sorted(int(r["transactionTime"]) for r in funding) == due
    assert sorted(int(x["execTime"]) for x in recent if x["execType"] == "Funding") == due


def test_bybit_pagination_stays_stable_while_orders_arrive(venue, funded):
    key = venue.admin.create_key(funded(), exchange="bybit")

    async def close_orders(ex, n, tag):
        return [(await ex.create_order(LIN, "market", "buy", 0.001, None,
                                       {"clientOrderId": f"{tag}{i}"}))["id"] for i in range(n)]

    first = _raw(venue, key, lambda ex: close_orders(ex, 5, "pg"))

    def history(cursor=""):
        return lambda ex: ex.private_get_v5_order_history(
            {"category": "linear", "limit": 2, **({"cursor": cursor} if cursor else {})})

    page = _raw(venue, key, history())["result"]
    seen = [o["orderId"] for o in page["list"]]
    _raw(venue, key, lambda ex: close_orders(ex, 3, "late"))  # records arrive between pages
    while page["nextPageCursor"]:
        assert "=" in page["nextPageCursor"] or page["nextPageCursor"].isalnum()  # opaque
        page = _raw(venue, key, history(page["nextPageCursor"]))["result"]
        seen += [o["orderId"] for o in page["list"]]
    assert len(seen) == len(set(seen)) and seen == list(reversed(first))


def test_bybit_minimum_order_value_and_client_id_characters(venue, funded):
    key = venue.admin.create_key(funded(), exchange="bybit")
    with pytest.raises(ccxt.InvalidOrder, match="110094"):  # 0.001 * 4000 = 4 < 5 USDT
        _raw(venue, key, lambda ex: ex.create_order(LIN, "limit", "buy", 0.001, 4000))
    with pytest.raises(ccxt.BadRequest, match="orderLinkId"):
        _raw(venue, key, lambda ex: ex.create_order(LIN, "limit", "buy", 0.001, 20000,
                                                    {"clientOrderId": "bad id!"}))
    ok = _raw(venue, key, lambda ex: ex.create_order(LIN, "limit", "buy", 0.001, 20000,
                                                     {"clientOrderId": "ok_id-1"}))
    assert ok["clientOrderId"] == "ok_id-1"
