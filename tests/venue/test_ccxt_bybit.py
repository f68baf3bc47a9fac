"""Real ccxt (async bybit class) against the simulated exchange over HTTP."""

from __future__ import annotations

import asyncio
import time

import ccxt.async_support as ccxt
import pytest

LIN = "BTC/USDT:USDT"
INV = "BTC/USD:BTC"


def run(venue, key, fn, **config):
    async def go():
        ex = venue.ccxt_bybit(key, **config)
        try:
            return await fn(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


def test_markets_balance_time_and_key_info(venue, funded):
    acct = funded()
    sub = venue.admin.create_account(name="bot", parent_id=acct)
    key = venue.admin.create_key(sub, exchange="bybit", ips=["127.0.0.1"],
                                 expires_at=int(time.time() * 1000) + 5 * 86_400_000)

    async def fn(ex):
        await ex.load_markets()
        assert {LIN, INV, "BTC/USDT"} <= set(ex.markets)
        assert ex.markets[INV]["inverse"] and ex.markets[LIN]["linear"]
        assert abs(await ex.fetch_time() - time.time() * 1000) < 5000
        bal = await ex.fetch_balance()
        info = await ex.private_get_v5_user_query_api()
        return bal, info["result"]

    bal, info = run(venue, key, fn)
    assert "USDT" not in bal["total"]  # the sub-account is empty
    assert info["isMaster"] is False and info["ips"] == ["127.0.0.1"]
    assert info["permissions"]["ContractTrade"] == ["Order", "Position"]
    assert info["readOnly"] == 0 and info["uta"] == 1 and info["deadlineDay"] in (4, 5)
    assert info["expiredAt"].endswith("Z")


def test_orders_by_client_id_trades_and_ledger(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")

    async def fn(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        low = round(last * 0.9, 1)
        o = await ex.create_order(LIN, "limit", "buy", 0.01, low, {"clientOrderId": "seqA1"})
        opened = await ex.fetch_open_orders(LIN)
        by_cid = await ex.fetch_order("", LIN, {"acknowledged": True, "orderLinkId": "seqA1"})
        canceled = await ex.cancel_order("", LIN, {"orderLinkId": "seqA1"})
        after = await ex.fetch_order(o["id"], LIN, {"acknowledged": True})
        po = await ex.create_order(LIN, "limit", "buy", 0.01, round(last * 1.01, 1),
                                   {"postOnly": True, "clientOrderId": "seqPO"})
        po_after = await ex.fetch_order(po["id"], LIN, {"acknowledged": True})
        mkt = await ex.create_order(LIN, "market", "buy", 0.01, None, {"clientOrderId": "seqM"})
        trades = await ex.fetch_my_trades(LIN)
        ledger = await ex.fetch_ledger("USDT")
        closed = await ex.fetch_closed_orders(LIN)
        return o, opened, by_cid, canceled, after, po_after, mkt, trades, ledger, closed

    o, opened, by_cid, _canceled, after, po_after, mkt, trades, ledger, closed = run(venue, key, fn)
    assert o["clientOrderId"] == "seqA1"
    assert [x["id"] for x in opened] == [o["id"]]
    assert by_cid["id"] == o["id"] and by_cid["status"] == "open"
    assert after["status"] == "canceled"
    assert po_after["status"] == "canceled" and po_after["filled"] == 0  # would have crossed
    assert len(trades) == 1 and trades[0]["order"] == mkt["id"]
    assert trades[0]["fee"]["currency"] == "USDT" and trades[0]["fee"]["cost"] > 0
    assert trades[0]["takerOrMaker"] == "taker"
    assert any(e["type"] == "trade" for e in ledger)
    assert "seqM" in {c["clientOrderId"] for c in closed}


def test_resting_order_fills_when_the_market_moves(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")
    state = {}

    async def place(ex):
        await ex.load_markets()
        last = float((await ex.fetch_ticker(LIN))["last"])
        state["price"] = round(last * 0.999, 1)
        return await ex.create_order(LIN, "limit", "buy", 0.01, state["price"])

    o = run(venue, key, place)
    for _ in range(60):  # up to 600 minutes of market time
        venue.admin.advance(candles=10)
        fetched = run(venue, key, lambda ex: ex.fetch_order(o["id"], LIN, {"acknowledged": True}))
        if fetched["status"] == "closed":
            break
    assert fetched["status"] == "closed" and fetched["average"] == state["price"]
    trades = run(venue, key, lambda ex: ex.fetch_my_trades(LIN))
    assert trades[0]["takerOrMaker"] == "maker" and trades[0]["price"] == state["price"]


def test_hedge_mode_positions_and_inverse_one_way(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")

    async def fn(ex):
        await ex.load_markets()
        await ex.set_position_mode(True, LIN)
        await ex.create_order(LIN, "market", "buy", 0.02, None, {"positionIdx": 1})
        await ex.create_order(LIN, "market", "sell", 0.01, None, {"positionIdx": 2})
        positions = await ex.fetch_positions([LIN])
        with pytest.raises(ccxt.BadRequest):
            await ex.set_position_mode(True, INV)
        await ex.create_order(INV, "market", "sell", 100)
        inverse = await ex.fetch_positions([INV])
        with pytest.raises(ccxt.InvalidOrder) as e:  # reduce-only on the wrong side
            await ex.create_order(INV, "market", "sell", 100, None, {"reduceOnly": True})
        assert "110017" in str(e.value)
        return positions, inverse

    positions, inverse = run(venue, key, fn)
    sides = {(p["side"], p["contracts"]) for p in positions if p["contracts"]}
    assert sides == {("long", 0.02), ("short", 0.01)}
    assert all(p["hedged"] for p in positions)
    assert inverse[0]["side"] == "short" and inverse[0]["contracts"] == 100
    assert inverse[0]["hedged"] is False


def test_errors_have_the_real_codes(venue, funded):
    acct = funded()
    good = venue.admin.create_key(acct, exchange="bybit")
    wrong = good.__class__(**{**good.__dict__, "secret": "x" * 36})
    expired = venue.admin.create_key(acct, exchange="bybit",
                                     expires_at=int(time.time() * 1000) - 1000)
    no_trade = venue.admin.create_key(acct, exchange="bybit",
                                      permissions={"ContractTrade": [], "Spot": []})
    other_ip = venue.admin.create_key(acct, exchange="bybit", ips=["10.1.2.3"])

    def expect(key, exc, code, fn=lambda ex: ex.fetch_balance(), **config):
        with pytest.raises(exc) as e:
            run(venue, key, fn, **config)
        assert code in str(e.value)

    expect(wrong, ccxt.AuthenticationError, "10004")
    expect(expired, ccxt.AuthenticationError, "33004")
    expect(other_ip, ccxt.PermissionDenied, "10010")
    expect(no_trade, ccxt.PermissionDenied, "10005",
           lambda ex: ex.create_order(LIN, "market", "buy", 0.01))
    expect(good, ccxt.InvalidNonce, "10002", options={"timeDifference": 10_000})
    expect(good, ccxt.InsufficientFunds, "110007",
           lambda ex: ex.create_order(LIN, "limit", "buy", 100, 20000))

    async def dup(ex):
        await ex.create_order(LIN, "limit", "buy", 0.01, 15000, {"clientOrderId": "dup1"})
        await ex.create_order(LIN, "limit", "buy", 0.01, 15000, {"clientOrderId": "dup1"})

    expect(good, ccxt.InvalidOrder, "110072", dup)

    async def resync(ex):  # T14: a clock 3 s fast is rejected until ccxt resyncs
        ex.options["timeDifference"] = -3000
        with pytest.raises(ccxt.InvalidNonce):
            await ex.fetch_balance()
        await ex.load_time_difference()
        return await ex.fetch_balance()

    assert run(venue, good, resync)["USDT"]["total"] == 10000.0


def test_deposits_withdrawals_and_transfers(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")
    venue.admin.deposit(acct, "USDT", "250")
    venue.admin.withdraw(acct, "USDT", "50")
    venue.admin.transfer(acct, "USDT", "100", from_wallet="funding", to_wallet="trading")

    async def fn(ex):
        return (await ex.fetch_deposits(), await ex.fetch_withdrawals(),
                await ex.fetch_ledger("USDT"), await ex.fetch_balance({"type": "funding"}))

    deposits, withdrawals, ledger, funding = run(venue, key, fn)
    assert [(d["amount"], d["status"]) for d in deposits] == [(250.0, "ok")]
    assert [(w["amount"], w["currency"]) for w in withdrawals] == [(50.0, "USDT")]
    assert ledger[0]["info"]["type"] == "TRANSFER_IN" and ledger[0]["amount"] == 100.0
    assert funding["USDT"]["total"] == 100.0


def test_faults_drop_after_accept_and_5xx(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")
    venue.admin.fault("drop", path="/v5/order/create", count=1)

    async def dropped(ex):
        await ex.load_markets()
        with pytest.raises(ccxt.NetworkError):
            await ex.create_order(LIN, "limit", "buy", 0.01, 15000, {"clientOrderId": "drop1"})
        # the order exists: look it up by client id, and a retry is a duplicate
        found = await ex.fetch_order("", LIN, {"acknowledged": True, "orderLinkId": "drop1"})
        with pytest.raises(ccxt.InvalidOrder):
            await ex.create_order(LIN, "limit", "buy", 0.01, 15000, {"clientOrderId": "drop1"})
        return found

    assert run(venue, key, dropped)["status"] == "open"
    venue.admin.fault("http_5xx", path="/v5/account/wallet-balance", count=1, status=503)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        run(venue, key, lambda ex: ex.fetch_balance())
    assert run(venue, key, lambda ex: ex.fetch_balance())["USDT"]["total"] == 10000.0
    venue.admin.fault("timeout", path="/v5/account/wallet-balance", count=1, seconds=2)
    with pytest.raises(ccxt.RequestTimeout):
        run(venue, key, lambda ex: ex.fetch_balance(), timeout=500)
    venue.admin.clear_faults()
