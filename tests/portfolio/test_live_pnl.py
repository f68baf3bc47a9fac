"""Live PnL against the simulated exchange's own ledger: each closed cycle, to the ledger's precision.

A bot trades on an in-process venue (the engine through its exchange port, stepped by hand);
its results page's figures come from the engine's fills ledger via sequence.metrics, and are
checked against what the venue booked: the ledger rows of the cycle's own trade ids.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.portfolio.selectors import performance
from tests.trading.helpers import coin_spot_bot, live_bot, parity_venue, run, step

pytestmark = pytest.mark.django_db
PRECISION = Decimal("1e-12")  # the venue keeps 28 significant digits; USDT ledgers show 8 places


def _ledger_by_trade(venue, account_id):
    rows = {}
    for entry in venue.account(account_id).ledger:
        if entry.execution is not None:
            rows.setdefault(entry.execution.id, []).append(entry)
    return rows


def test_linear_bot_cycles_equal_the_venue_ledger(alice):
    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "both", "markup": 0.002, "initial_qty_pct": 0.02})
    run(bot, port, venue, 240)
    perf = performance(bot)
    closed = perf.closed
    assert {c.side for c in closed} == {"long", "short"}, "the window has closes on both sides"
    ledger = _ledger_by_trade(venue, bot.venue_account_id)
    for cycle in closed:
        rows = [e for tid in cycle.trade_ids for e in ledger[tid]]
        booked = sum((e.change for e in rows if e.coin == "USDT"), Decimal(0))
        assert abs(cycle.pnl("quote") - booked) <= PRECISION, (cycle.side, cycle.number)
        fees = sum((e.fee for e in rows), Decimal(0))
        assert abs(cycle.fees("quote") - fees) <= PRECISION
    # and in total: the wallet moved by the closed cycles' PnL less the open cycles' fees
    open_fees = sum((c.fees("quote") for c in perf.cycles if c.ending is None), Decimal(0))
    wallet = venue.account(bot.venue_account_id).balance("USDT") - Decimal(10000)
    assert abs(perf.realised - open_fees - wallet) <= PRECISION


def test_the_reports_liquidation_price_is_the_venues(alice):
    """sequence.metrics restates the venue's cross-margin formula for the backtest report: the
    same price for the positions a live bot holds (the venue rounds it to the tick)."""
    from sequence.metrics.series import liquidation_price

    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "both", "markup": 0.01, "wallet_exposure_limit": 3})
    run(bot, port, venue, 30)
    acct = venue.account(bot.venue_account_id)
    held = [p for p in acct.positions.values() if p.size > 0]
    assert len(held) == 2  # both sides open: each one's price depends on the other
    compared = 0
    for pos in held:
        upl, maintenance = venue._others(acct, pos)
        mine = liquidation_price("linear", "long" if pos.side == "buy" else "short", pos.size, pos.entry,
                                 acct.balance("USDT"), venue.profile.maintenance_margin, upl, maintenance)
        theirs = venue.liq_price(acct, pos)
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert venue._on_tick(pos, mine) == theirs
            compared += 1
    assert compared >= 1


def _bot(user, venue, *, slug, base, market, symbol, kind, params, coin, amount, hedge=False):
    """A live paper bot of any market on its own venue account (as tests.trading.helpers.live_bot)."""
    from asgiref.sync import async_to_sync

    from sequence.catalog.services import (
        exchanges_ensure,
        offering_ensure,
        strategy_upsert,
        strategy_version_current,
    )
    from sequence.strategy.params import Params
    from sequence.trading import services
    from sequence.trading.launch import _next_number, needed_leverage
    from sequence.trading.models import Bot
    from sequence.venue_port import VenuePort

    exchanges_ensure()
    strategy = strategy_upsert(slug=slug, name=slug, base_currency=base, min_balance=Decimal("0.001"), params=params)
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market=market, symbol=symbol)
    acct = venue.create_account(slug)
    venue.deposit(acct.id, coin, amount, wallet="trading")
    port = VenuePort(venue, acct.id, kind)
    bot = services.bot_create(user=user, offering=offering, kind=Bot.Kind.PAPER, venue_account_id=acct.id)
    Bot.objects.filter(pk=bot.pk).update(status="awaiting_launch")
    leverage = needed_leverage(Params.from_mapping(params)) if market == "derivatives" else Decimal(1)
    services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                           number=_next_number(), egress_ip="", hedge=hedge, leverage=leverage)
    if market == "derivatives":
        async_to_sync(port.set_leverage)(symbol, leverage)
    bot.refresh_from_db()
    return bot, port


def _run_until_closes(bot, port, venue, closes, limit):
    for _ in range(limit // 20):
        run(bot, port, venue, 20)
        perf = performance(bot)
        if len(perf.closed) >= closes:
            return perf
    pytest.fail(f"fewer than {closes} closed cycles in {limit} candles")


def test_spot_bot_cycles_equal_the_venue_ledger(alice):
    # USDT-base spot: a buy's fee is in BTC, a sell's in USDT; the take-profit sells the coin held
    venue = parity_venue(maker_fee="0.001")
    params = {"sides": "long", "market": "spot", "wallet_exposure_limit": 0.8, "maker_fee": 0.001,
              "markup": 0.003}
    bot, port = _bot(alice, venue, slug="spot-pnl", base="USDT", market="spot", symbol="BTC/USDT",
                     kind="spot", params=params, coin="USDT", amount="10000")
    perf = _run_until_closes(bot, port, venue, 2, 3000)
    ledger = _ledger_by_trade(venue, bot.venue_account_id)
    for cycle in perf.closed:
        rows = [e for tid in cycle.trade_ids for e in ledger[tid]]
        usdt = sum((e.change for e in rows if e.coin == "USDT"), Decimal(0))
        btc = sum((e.change for e in rows if e.coin == "BTC"), Decimal(0))
        # what the cycle left: its USDT, and the BTC dust the lot could not sell, at the exit price
        assert abs(cycle.pnl("quote") - (usdt + btc * cycle.last_price)) <= PRECISION
        assert abs(cycle.quote_left() - usdt) <= PRECISION
        assert cycle.ending == "take_profit"


def test_inverse_bot_pnl_in_btc_equals_the_venue_ledger(alice):
    venue = parity_venue()
    params = {"sides": "long", "contract": "inverse", "markup": 0.002, "initial_qty_pct": 0.02,
              "starting_balance": 1.0}
    bot, port = _bot(alice, venue, slug="inv-pnl", base="BTC", market="derivatives", symbol="BTC/USD:BTC",
                     kind="inverse", params=params, coin="BTC", amount="1")
    perf = _run_until_closes(bot, port, venue, 2, 2000)
    assert perf.unit == "BTC" and perf.unit_is_coin
    ledger = _ledger_by_trade(venue, bot.venue_account_id)
    for cycle in perf.closed:
        rows = [e for tid in cycle.trade_ids for e in ledger[tid]]
        booked = sum((e.change for e in rows if e.coin == "BTC"), Decimal(0))
        assert abs(cycle.pnl("coin") - booked) <= PRECISION, (cycle.number, cycle.pnl("coin"), booked)
    # the equity point's value: the venue's own equity in BTC (wallet + unrealised at the last price)
    from sequence.portfolio.services import snapshot
    from sequence.trading.selectors import bot_engine_state

    snap = snapshot(bot, *bot_engine_state(bot))
    acct = venue.account(bot.venue_account_id)
    assert snap.unit == "BTC" and abs(snap.equity - venue.equity(acct, "BTC")) <= PRECISION
    assert snap.usd == snap.equity * venue.last_price


def test_btc_base_spot_bot_pnl_in_btc_equals_the_venue_ledger(alice):
    """The short side of a BTC-base spot book: it sells BTC (fee in USDT) and buys more back
    (fee in BTC). Its PnL is the change in BTC; the USDT a cycle leaves over (the buy-back is a
    whole number of lots) is reported in USDT and in BTC at the close price, and is in the PnL."""
    import csv
    import io

    from sequence.portfolio.exports import cycles_csv
    from sequence.portfolio.services import snapshot
    from sequence.trading.selectors import bot_engine_state

    venue = parity_venue(maker_fee="0.001")
    bot, port = coin_spot_bot(alice, venue, {"maker_fee": 0.001, "markup": 0.003, "starting_balance": 1.0})
    perf = _run_until_closes(bot, port, venue, 2, 3000)
    assert perf.unit == "BTC" and perf.unit_is_coin and perf.spot_in_coin
    ledger = _ledger_by_trade(venue, bot.venue_account_id)
    csv_rows = {int(r["cycle"]): r for r in csv.DictReader(io.StringIO(cycles_csv(perf)))}
    for cycle in perf.closed:
        rows = [e for tid in cycle.trade_ids for e in ledger[tid]]
        btc = sum((e.change for e in rows if e.coin == "BTC"), Decimal(0))
        usdt = sum((e.change for e in rows if e.coin == "USDT"), Decimal(0))
        assert cycle.side == "short" and cycle.ending == "take_profit"
        assert btc > 0  # it bought back more BTC than it sold, net of both fees
        assert abs(cycle.quote_left() - usdt) <= PRECISION and Decimal(0) <= usdt < 1  # lot rounding's USDT
        assert abs(cycle.pnl("coin") - (btc + usdt / cycle.last_price)) <= PRECISION, cycle.number
        row = csv_rows[cycle.number]
        assert abs(Decimal(row["quote_left"]) - usdt) <= PRECISION
        assert abs(Decimal(row["quote_left_BTC"]) - usdt / cycle.last_price) <= PRECISION
        assert abs(Decimal(row["pnl_BTC"]) - Decimal(row["quote_left_BTC"]) - btc) <= PRECISION  # the change in BTC
    # the equity point's value: the BTC held plus the USDT the open cycle's sales hold, at the last price
    acct = venue.account(bot.venue_account_id)
    held = sum((e.change for c in perf.cycles if c.ending is None for tid in c.trade_ids
                for e in ledger[tid] if e.coin == "USDT"), Decimal(0))
    snap = snapshot(bot, *bot_engine_state(bot))
    assert snap.unit == "BTC" and abs(snap.equity - (acct.balance("BTC") + held / venue.last_price)) <= PRECISION
    assert snap.usd == snap.equity * venue.last_price


def test_funding_goes_to_the_cycle_whose_position_paid_it_and_reconciles_with_the_ledger(alice):
    """Funding switched on (0.01 % every 8 hours): the engine stores the venue's funding rows,
    and each side's cycles, with their funding, add up to what the venue booked on that
    side's position; the wallet moved by the closed cycles' PnL, the open ones' fees and
    funding, and nothing else."""
    from sequence.portfolio.exports import chart_data
    from sequence.trading.models import EngineEvent

    venue = parity_venue()
    venue.set_profile(venue.profile.updated(funding_rate="0.0001"))
    bot, port = live_bot(alice, venue, {"sides": "both", "markup": 0.004, "initial_qty_pct": 0.02})
    for i in range(1000):  # past 08:00 and 16:00 UTC; the bot steps every 5 minutes (orders rest between)
        assert venue.step() is not None
        if i % 5 == 0:
            step(bot, port)
    step(bot, port)
    acct = venue.account(bot.venue_account_id)
    settlements = [e for e in acct.ledger if e.type == "SETTLEMENT"]
    assert len(settlements) >= 4  # both positions, twice
    events = {e.data["id"]: e.data for e in EngineEvent.objects.filter(bot=bot, kind="funding")}
    assert set(events) == {e.id for e in settlements}  # each row once
    for e in settlements:
        side = "long" if e.position.idx == 1 else "short"
        assert (Decimal(events[e.id]["amount"]), events[e.id]["side"], events[e.id]["currency"]) == (
            e.change, side, "USDT")
    perf = performance(bot)
    assert perf.funding_outside == 0 and perf.funding_total == sum((e.change for e in settlements), Decimal(0))
    assert any(c.funding != 0 for c in perf.closed)  # a funded cycle closed
    for name, idx in (("long", 1), ("short", 2)):
        cycles = [c for c in perf.cycles if c.side == name]
        booked = sum((c.pnl("quote") if c.ending else c.funding - c.fees("quote") for c in cycles), Decimal(0))
        assert abs(booked - acct.positions[("BTCUSDT-linear", idx)].realized) <= PRECISION, name
    open_part = sum((c.funding - c.fees("quote") for c in perf.cycles if c.ending is None), Decimal(0))
    assert abs(perf.realised + open_part - (acct.balance("USDT") - Decimal(10000))) <= PRECISION
    summary = chart_data(perf)["summary"]
    assert Decimal(summary["funding_exact"]) == sum((c.funding for c in perf.closed), Decimal(0))
