"""Real ccxt (async okx class) against the simulated exchange over HTTP."""

from __future__ import annotations

import asyncio

import ccxt.async_support as ccxt
import pytest

LIN = "BTC/USDT:USDT"
INV = "BTC/USD:BTC"


def run(venue, key, fn, **config):
    async def go():
        ex = venue.ccxt_okx(key, **config)
        try:
            return await fn(ex)
        finally:
            await ex.close()

    return asyncio.run(go())


def test_markets_balance_config_orders_positions(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="okx", permissions=["read_only", "trade"])

    async def fn(ex):
        await ex.load_markets()
        assert {LIN, INV, "BTC/USDT"} <= set(ex.markets)
        assert ex.markets[LIN]["contractSize"] == 0.01
        bal = await ex.fetch_balance()
        accounts = await ex.fetch_accounts()
        last = float((await ex.fetch_ticker(LIN))["last"])
        o = await ex.create_order(LIN, "limit", "buy", 1, round(last * 0.9, 1),
                                  {"clientOrderId": "okA1"})
        by_cid = await ex.fetch_order(None, LIN, {"clOrdId": "okA1"})
        opened = await ex.fetch_open_orders(LIN)
        await ex.cancel_order(o["id"], LIN)
        await ex.set_position_mode(True)
        await ex.create_order(LIN, "market", "buy", 2, None, {"posSide": "long"})
        await ex.create_order(LIN, "market", "sell", 1, None, {"posSide": "short"})
        await ex.create_order(INV, "market", "sell", 1, None, {"posSide": "short"})
        positions = await ex.fetch_positions()
        trades = await ex.fetch_my_trades(LIN)
        ledger = await ex.fetch_ledger("USDT", None, None, {"type": "swap"})
        return bal, accounts, o, by_cid, opened, positions, trades, ledger

    bal, accounts, o, by_cid, opened, positions, trades, ledger = run(venue, key, fn)
    assert bal["USDT"]["total"] == 10000.0 and bal["BTC"]["total"] == 1.0
    info = accounts[0]["info"]
    assert info["perm"] == "read_only,trade" and info["uid"] == info["mainUid"] == acct
    assert by_cid["id"] == o["id"] and [x["id"] for x in opened] == [o["id"]]
    got = {(p["symbol"], p["side"], p["contracts"]) for p in positions}
    assert got == {(LIN, "long", 2.0), (LIN, "short", 1.0), (INV, "short", 1.0)}
    assert len(trades) == 2 and all(t["fee"]["cost"] > 0 for t in trades)
    assert ledger and all(e["currency"] == "USDT" for e in ledger)


def test_errors_have_the_real_codes(venue, funded):
    acct = funded()
    good = venue.admin.create_key(acct, exchange="okx")
    wrong = good.__class__(**{**good.__dict__, "secret": "0" * 32})
    bad_phrase = good.__class__(**{**good.__dict__, "passphrase": "nope"})
    read_only = venue.admin.create_key(acct, exchange="okx", permissions=["read_only"])
    other_ip = venue.admin.create_key(acct, exchange="okx", ips=["10.1.2.3"])

    def expect(key, exc, code, fn=lambda ex: ex.fetch_balance(), **config):
        with pytest.raises(exc) as e:
            run(venue, key, fn, **config)
        assert code in str(e.value)

    expect(wrong, ccxt.AuthenticationError, "50113")
    expect(bad_phrase, ccxt.AuthenticationError, "50105")
    expect(other_ip, ccxt.PermissionDenied, "50110")
    expect(good, ccxt.InvalidNonce, "50102", options={"timeDifference": 60_000})
    expect(read_only, ccxt.ExchangeError, "50120",
           lambda ex: ex.create_order(LIN, "market", "buy", 1))
    expect(good, ccxt.InsufficientFunds, "51008",
           lambda ex: ex.create_order(LIN, "limit", "buy", 10000, 20000))

    async def dup(ex):
        await ex.create_order(LIN, "limit", "buy", 1, 15000, {"clientOrderId": "okdup"})
        await ex.create_order(LIN, "limit", "buy", 1, 15000, {"clientOrderId": "okdup"})

    expect(good, ccxt.InvalidOrder, "51016", dup)


def test_deposit_and_withdrawal_history(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="okx")
    venue.admin.deposit(acct, "USDT", "300")
    venue.admin.withdraw(acct, "USDT", "20")

    async def fn(ex):
        return (await ex.fetch_deposits(), await ex.fetch_withdrawals(),
                await ex.fetch_balance({"type": "funding"}))

    deposits, withdrawals, funding = run(venue, key, fn)
    assert [(d["amount"], d["status"]) for d in deposits] == [(300.0, "ok")]
    assert [w["amount"] for w in withdrawals] == [20.0]
    assert funding["USDT"]["total"] == 280.0
