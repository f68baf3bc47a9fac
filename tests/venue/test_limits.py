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
