"""BTC-base spot live (issue 13, DESIGN.md "Inverse and spot"): the short side sells BTC on
rallies and buys back more BTC, its balance and PnL counted in BTC."""

from __future__ import annotations

import os
from decimal import ROUND_FLOOR, Decimal

import pytest
from asgiref.sync import async_to_sync

from sequence.core.candles import load_rows
from sequence.trading.models import Bot, BotEngine, BotSide, Fill, Order
from tests.trading.helpers import (
    CANDLES,
    backtest_fills,
    coin_spot_bot,
    engine_fills,
    market_precision,
    parity_venue,
    run,
)

pytestmark = pytest.mark.django_db
PARITY_CANDLES = int(float(os.environ.get("PARITY_DAYS", "1")) * 1440)


def _side(bot) -> BotSide:
    return BotSide.objects.get(bot=bot, side="short")


def test_the_short_side_sells_btc_and_buys_back_more_with_the_usdt_it_holds(alice):
    venue = parity_venue(maker_fee="0.001")
    bot, port = coin_spot_bot(alice, venue, {"maker_fee": 0.001, "markup": 0.003}, usdt="50")
    run(bot, port, venue, 1)
    entry = Fill.objects.get(bot=bot, kind="entry")
    assert not entry.buy and entry.fee_currency == "USDT"  # a spot sale's fee is in USDT
    assert entry.qty == Decimal("0.01")  # B x WEL x initial_qty_pct = 1 x 1 x 0.01 BTC
    side = _side(bot)
    # the side's size is the USDT its own sale brought in, net of the fee; the client's own
    # 50 USDT are not the bot's
    assert side.size == entry.qty * entry.price - entry.fee and side.entry_price == entry.price
    from sequence.trading.selectors import bot_live

    assert bot_live(bot).unit == "USDT"  # the live panel labels that size in USDT
    engine = BotEngine.objects.get(bot=bot)
    acct = venue.account(bot.venue_account_id)
    # B: the BTC held plus the USDT the sale holds, at cost (the fee is the only loss so far)
    assert engine.balance == acct.balance("BTC") + side.size / side.entry_price
    assert engine.balance == Decimal(1) - entry.fee / entry.price and engine.balance_currency == "BTC"
    tp = Order.objects.get(bot=bot, kind="take_profit", state="open")
    assert tp.buy and tp.price <= side.entry_price * Decimal("0.997")
    lot = venue.markets["BTCUSDT-spot"].qty_step
    assert tp.qty == (side.size / tp.price).quantize(lot, rounding=ROUND_FLOOR)  # all the USDT held
    resting = {o.link_id: o for o in acct.open_orders.values()}[tp.client_order_id]
    assert resting.tif == "PostOnly" and not resting.reduce_only  # spot has no reduce-only
    for _ in range(3000):
        if _side(bot).cycle > 1:
            break
        run(bot, port, venue, 1)
    else:
        pytest.fail("the take-profit never filled")
    closed = Order.objects.get(bot=bot, kind="take_profit", cycle=1, state="filled")
    sold = Fill.objects.filter(bot=bot, cycle=1, buy=False)
    bought = Fill.objects.filter(bot=bot, order=closed)
    assert sum(f.qty for f in bought) == closed.qty and all(f.fee_currency == "BTC" for f in bought)
    gained = sum(f.qty - f.fee for f in bought) - sum(f.qty for f in sold)
    assert gained > 0  # more BTC than it sold
    usdt_left = sum(f.qty * f.price - f.fee for f in sold) - sum(f.qty * f.price for f in bought)
    assert Decimal(0) <= usdt_left < lot * closed.price  # less than one lot's worth: dust
    assert acct.balance("USDT") >= Decimal(50)  # the client's USDT was never spent
    assert Order.objects.filter(bot=bot, kind="entry", cycle=2).exists()  # the next cycle began


def test_engine_fills_equal_the_backtesters(alice):
    """Fill by fill (candle, kind, price, size in USDT) against the backtester over a day.

    With no fee: the venue charges a spot sale's fee in USDT (the side holds what is left of
    the proceeds and buys back with it), the backtester's coin-margined book charges every fee
    in BTC from B; the fills then keep their candles and kinds but their sizes part by about
    the fee (see test_the_short_side_sells_btc_and_buys_back_more_with_the_usdt_it_holds)."""
    params = {"sides": "short", "market": "spot", "wallet_exposure_limit": 1.0, "maker_fee": 0.0,
              "starting_balance": 1.0}
    venue = parity_venue(maker_fee="0")
    precision = market_precision(venue, "BTCUSDT-spot")
    bot, port = coin_spot_bot(alice, venue, params)
    rows = load_rows(str(CANDLES))[:PARITY_CANDLES]
    # the exchange's BTC, in the strategy's unit (USDT): exact, the plan sized it lots x price
    engine = engine_fills(bot, port, venue, rows, size=lambda f: f.qty * f.price)
    expected = backtest_fills(params, rows, precision)
    assert engine == expected
    assert sum(1 for f in expected if f[2] == "take_profit") >= 2 and any(f[2] == "dca" for f in expected)
    assert not Fill.objects.filter(bot=bot, foreign=True).exists()


def _launch(user, base: str, params: dict):
    from sequence.catalog.services import exchanges_ensure, offering_ensure, strategy_upsert
    from sequence.trading import services
    from sequence.trading.launch import launch

    exchanges_ensure()
    slug = f"launch-{base.lower()}-{params['sides']}"
    strategy = strategy_upsert(slug=slug, name=slug, base_currency=base, min_balance=Decimal("0.001"),
                               params={"market": "spot", **params})
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="spot", symbol="BTC/USDT")
    bot = services.bot_create(user=user, offering=offering, kind=Bot.Kind.PAPER, venue_account_id="1")
    Bot.objects.filter(pk=bot.pk).update(status="awaiting_launch")
    outcome = async_to_sync(launch)(bot.pk, None)
    bot.refresh_from_db()
    return outcome, bot


def test_launch_takes_a_short_only_btc_base_spot_strategy_and_refuses_the_wrong_side(alice):
    outcome, bot = _launch(alice, "BTC", {"sides": "short"})
    assert outcome == "live" and bot.status == "live" and not bot.hedge_mode and bot.leverage == 1
    outcome, bot = _launch(alice, "BTC", {"sides": "long"})
    assert "BTC base trades the short side" in outcome and "spend USDT" in outcome
    assert bot.status != "live" and bot.attention_reason == outcome
    outcome, bot = _launch(alice, "USDT", {"sides": "short"})
    assert "USDT base trades the long side" in outcome and "spend BTC" in outcome
    assert bot.status != "live"
    outcome, _ = _launch(alice, "USDT", {"sides": "long"})
    assert outcome == "live"
