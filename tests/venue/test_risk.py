"""Margin, liquidation and funding, each against a hand computation (formulas: risk.py)."""

from __future__ import annotations

import asyncio
import csv
from decimal import Decimal as D

import ccxt.async_support as ccxt
import pytest

from sequence.venue import MarketProfile, VenueError, running_venue
from tests.venue.helpers import make_venue
from tests.venue.test_fidelity import fixture, mismatches

# fees off so that the hand computations stay short; mmr is the tier-1 default 0.5 %
NO_FEES = MarketProfile.ideal().updated(maker_fee=D(0), taker_fee=D(0))
DAY = 86_400_000
D0 = 19675 * DAY  # a UTC midnight


def test_long_is_liquidated_after_a_drop_at_its_bankruptcy_price():
    # W = 1000 USDT, long q = 0.1 BTC at E = 30000, mmr = 0.005:
    #   liq  = (qE - W) / (q (1 - mmr)) = 2000 / 0.0995 = 20100.5025... -> 20100.6 (tick, up)
    #   bust = E - W / q = 20000
    #   at low 20101: equity 1000 - 989.9 = 10.1 > mm 0.005 * 0.1 * 20101 = 10.0505: alive
    #   at low 20100: equity 10 <= mm 10.05: liquidated
    candles = [(30000, 30000, 25000, 26000), (26000, 26000, 20101, 20500),
               (20500, 20500, 20100, 20400)]
    v, a = make_venue(candles, first=30000.0, usdt="1000", profile=NO_FEES)
    m = v.markets["BTCUSDT-linear"]
    v.place_order(a, m, side="buy", type_="market", qty="0.1")
    pos = a.positions[(m.key, 0)]
    assert v.liq_price(a, pos) == D("20100.6") and v.bust_price(a, pos) == D(20000)
    dca = v.place_order(a, m, side="buy", type_="limit", qty="0.001", price="15000")
    v.step()
    v.step()
    assert pos.size == D("0.1") and dca.status == "New"  # 20101 is not enough
    with pytest.raises(VenueError):  # the margin check counts the loss: 1000 - 950 left
        v.place_order(a, m, side="buy", type_="limit", qty="0.3", price="20000")
    v.step()
    assert pos.size == 0 and a.balance("USDT") == 0
    assert dca.status == "Cancelled" and dca.cancel_type == "CancelAllBeforeLiq"
    bust = a.executions[-1]
    assert (bust.exec_type, bust.price, bust.qty, bust.fee, bust.pnl) == (
        "BustTrade", D(20000), D("0.1"), 0, D(-1000))
    assert bust.order.source == "liquidation" and bust.order.status == "Filled"
    row = a.ledger[-1]
    assert (row.type, row.change, row.balance, row.execution) == ("LIQUIDATION", D(-1000), 0, bust)


def test_inverse_short_is_liquidated_after_a_rally():
    # W = 0.01 BTC, short q = 1000 USD at E = 20000 (s = -1), mmr = 0.005:
    #   liq  = q (s + mmr) / (s q / E + W) = -995 / -0.04 = 24875
    #   bust = s q / (s q / E + W) = -1000 / -0.04 = 25000
    #   pnl at bust = -q (1/E - 1/bust) = -1000 * 0.00001 = -0.01 BTC: the wallet ends at 0
    candles = [(20000, 24870, 20000, 24000), (24000, 24880, 23000, 24500)]
    v, a = make_venue(candles, first=20000.0, btc="0.01", profile=NO_FEES)
    m = v.markets["BTCUSD-inverse"]
    v.place_order(a, m, side="sell", type_="market", qty="1000")
    pos = a.positions[(m.key, 0)]
    assert v.liq_price(a, pos) == D(24875) and v.bust_price(a, pos) == D(25000)
    v.step()
    assert pos.size == 1000  # 24870 < 24875
    v.step()
    assert pos.size == 0 and a.balance("BTC") == 0
    bust = a.executions[-1]
    assert (bust.exec_type, bust.price, bust.side, bust.pnl) == (
        "BustTrade", D(25000), "buy", D("-0.01"))
    assert [(e.type, e.change) for e in a.ledger[-1:]] == [("LIQUIDATION", D("-0.01"))]


CANDLES_IN_DAY = 25 * 60 - 1


def day_of_candles(spikes: dict[int, float]) -> list[tuple]:
    """From 23:00 to 23:59 the next day (funding three times), flat 30000 candles;
    ``spikes`` maps an index to its close."""
    rows = []
    for i in range(CANDLES_IN_DAY):
        c = spikes.get(i, 30000.0)
        rows.append((30000.0, max(30000.0, c), min(30000.0, c), c, 2.0))
    return rows


# funding times end the candles 59 (00:00), 539 (08:00) and 1019 (16:00)
SPIKES = {59: 30000.0, 539: 31000.0, 1019: 29000.0}


def test_funding_over_a_day_one_row_per_position_and_side():
    # r = 0.0001; hedge mode: long 0.1 and short 0.05 BTCUSDT, and a one-way inverse long of
    # 1000 USD. Per funding time: long pays 0.1 * close * r, short receives 0.05 * close * r,
    # the inverse long pays 1000 / close * r BTC.
    profile = NO_FEES.updated(funding_rate=D("0.0001"))
    v, a = make_venue(day_of_candles(SPIKES), first=30000.0, profile=profile, btc="1",
                      start=D0 - 3_600_000)
    lin, inv = v.markets["BTCUSDT-linear"], v.markets["BTCUSD-inverse"]
    v.set_position_mode(a, lin, True)
    v.place_order(a, lin, side="buy", type_="market", qty="0.1", position_idx=1)
    v.place_order(a, lin, side="sell", type_="market", qty="0.05", position_idx=2)
    v.place_order(a, inv, side="buy", type_="market", qty="1000")
    while v.step() is not None:
        pass
    rows = [(e.time, e.coin, e.position.idx, e.change) for e in a.ledger
            if e.type == "SETTLEMENT"]
    r = D("0.0001")
    expected = []
    for t, close in ((D0, D(30000)), (D0 + 8 * 3_600_000, D(31000)),
                     (D0 + 16 * 3_600_000, D(29000))):
        expected += [(t, "USDT", 1, -D("0.1") * close * r), (t, "USDT", 2, D("0.05") * close * r),
                     (t, "BTC", 0, -D(1000) / close * r)]
    assert sorted(rows) == sorted(expected)
    assert sum(c for _, coin, _, c in rows if coin == "USDT") == D("-0.45")  # -0.9 + 0.45
    assert a.balance("USDT") == D(10000) - D("0.45")


def test_funding_and_liquidation_rows_through_real_ccxt(tmp_path):
    path = tmp_path / "day.csv"
    candles = day_of_candles(SPIKES)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        for i, c in enumerate(candles):
            w.writerow([D0 - 3_600_000 + i * 60_000, *c])
    with running_venue(str(path), speed=0, rebase=False, profile=NO_FEES.updated(
            funding_rate=D("0.0001"))) as venue:
        acct = venue.admin.create_account("funded")
        venue.admin.fund(acct, "USDT", "10000")
        kb = venue.admin.create_key(acct, exchange="bybit")
        ko = venue.admin.create_key(acct, exchange="okx")

        async def open_long(ex):
            await ex.load_markets()
            await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.1)

        asyncio.run(_with(venue.ccxt_bybit(kb), open_long))
        venue.admin.step(candles=CANDLES_IN_DAY)

        async def bybit(ex):
            return await ex.private_get_v5_account_transaction_log(
                {"accountType": "UNIFIED", "type": "SETTLEMENT", "category": "linear"})

        async def okx(ex):
            return await ex.private_get_account_bills({"type": "8"})

        async def funding(ex):
            await ex.load_markets()
            raw = await ex.private_get_v5_execution_list({"category": "linear",
                                                          "execType": "Funding"})
            return raw, await ex.fetch_funding_history("BTC/USDT:USDT"), \
                await ex.fetch_my_trades("BTC/USDT:USDT", None, None, {"execType": "Trade"})

        by = asyncio.run(_with(venue.ccxt_bybit(kb), bybit))["result"]["list"]
        ok = asyncio.run(_with(venue.ccxt_okx(ko), okx))["data"]
        raw, history, trades = asyncio.run(_with(venue.ccxt_bybit(kb), funding))
    # the same payments as Bybit's executions of execType Funding (what ccxt reads as the
    # funding history), in the recorded response's shape; the fills stay apart
    assert sorted((h["amount"], h["timestamp"]) for h in history) == sorted(
        (-float(r["funding"]), int(r["transactionTime"])) for r in by)
    assert {float(r["feeRate"]) for r in raw["result"]["list"]} == {0.0001}
    assert mismatches(fixture("bybit", "fetchFundingHistory", 0), raw) == []
    assert len(trades) == 1 and trades[0]["info"]["execType"] == "Trade"
    assert [(r["funding"], r["change"], r["symbol"], r["side"]) for r in by] == [
        ("-0.29", "-0.29", "BTCUSDT", "Buy"), ("-0.31", "-0.31", "BTCUSDT", "Buy"),
        ("-0.3", "-0.3", "BTCUSDT", "Buy")]
    assert [int(r["transactionTime"]) for r in by] == [D0 + 16 * 3_600_000, D0 + 8 * 3_600_000,
                                                       D0]
    assert [(r["balChg"], r["subType"], r["instId"]) for r in ok] == [
        ("-0.29", "173", "BTC-USDT-SWAP"), ("-0.31", "173", "BTC-USDT-SWAP"),
        ("-0.3", "173", "BTC-USDT-SWAP")]


async def _with(ex, fn):
    try:
        return await fn(ex)
    finally:
        await ex.close()


def test_reported_liq_price_and_margin_rejection_over_http(venue, funded):
    acct = funded()
    key = venue.admin.create_key(acct, exchange="bybit")

    async def fn(ex):
        await ex.load_markets()
        await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.1)
        [pos] = [p for p in await ex.fetch_positions(["BTC/USDT:USDT"]) if p["contracts"]]
        with pytest.raises(ccxt.InsufficientFunds):
            await ex.create_order("BTC/USDT:USDT", "limit", "buy", 10, 10000)
        await ex.create_order("BTC/USDT:USDT", "market", "sell", 0.1, None,
                              {"reduceOnly": True})
        return pos

    pos = asyncio.run(_with(venue.ccxt_bybit(key), fn))
    # long 0.1 at E, wallet W = 10000 - fee: liq = (qE - W) / (q (1 - mmr)) < 0: none
    assert pos["liquidationPrice"] is None and pos["info"]["liqPrice"] == ""
