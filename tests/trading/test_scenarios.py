"""Engine scenarios: partial fills, a deposit mid-cycle, a manual order, pause with a position,
overlapping pause reasons."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.trading import services
from sequence.trading.models import Bot, BotSide, EngineEvent, Fill, Order
from sequence.trading.services import TransitionError
from tests.trading.helpers import live_bot, market_venue, parity_venue, run, step

pytestmark = pytest.mark.django_db


def live_orders(bot):
    return {o.client_order_id: o for o in Order.objects.filter(bot=bot, state="open")}


def test_partial_fills_keep_resting_and_the_take_profit_covers_the_whole_position(alice):
    venue = market_venue()  # spread 1 bp, 10% of each candle's volume per order
    bot, port = live_bot(alice, venue, {"sides": "long", "initial_qty_pct": 0.05}, balance="1000000")
    seen_partial: dict[str, list] = {}

    def look(i):
        for o in Order.objects.filter(bot=bot, state="open", filled__gt=0).exclude(kind="take_profit"):
            seen_partial.setdefault(o.client_order_id, []).append((o.filled, o.qty, o.price))
        side = BotSide.objects.get(bot=bot, side="long")
        tp = Order.objects.filter(bot=bot, kind="take_profit", state="open").first()
        if tp is not None and side.size > 0:
            assert tp.qty - tp.filled == side.size, (i, tp.qty, tp.filled, side.size)

    run(bot, port, venue, 120, look)
    partial = {cid: v for cid, v in seen_partial.items() if len(v) >= 2}
    assert partial, "a 2 BTC entry fills over several candles"
    for states in partial.values():
        assert len({(q, p) for _, q, p in states}) == 1  # resting unchanged: same id, size, price
        assert [f for f, _, _ in states] == sorted(f for f, _, _ in states)
    fills = Fill.objects.filter(bot=bot, client_order_id__in=list(partial))
    assert fills.count() >= 2  # several executions of one order


def test_a_deposit_mid_cycle_changes_no_size_until_the_next_cycle(alice):
    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "long"}, balance="10000")
    run(bot, port, venue, 3)
    side = BotSide.objects.get(bot=bot, side="long")
    assert side.size > 0
    before = {(o.kind, o.level): (o.client_order_id, o.qty) for o in Order.objects.filter(bot=bot, state="open")}
    first_entry = Order.objects.filter(bot=bot, kind="entry", state="filled").first().qty
    venue.deposit(bot.venue_account_id, "USDT", "10000", wallet="trading")
    run(bot, port, venue, 1)
    after = {(o.kind, o.level): (o.client_order_id, o.qty) for o in Order.objects.filter(bot=bot, state="open")}
    same_cycle = BotSide.objects.get(bot=bot, side="long").cycle == side.cycle
    if same_cycle:
        for slot, (cid, qty) in before.items():
            if slot in after and slot[0] == "dca" and after[slot][0] != cid:
                assert after[slot][1] == qty  # a DCA size does not change with the deposit
    assert EngineEvent.objects.filter(bot=bot, kind="deposit").exists()
    # the next cycle's entry is sized from the balance read at its start, deposit included
    for _ in range(2000):
        if BotSide.objects.get(bot=bot, side="long").cycle > side.cycle:
            break
        run(bot, port, venue, 1)
    else:
        pytest.fail("no take-profit in 2000 candles")
    run(bot, port, venue, 1)
    next_entry = Order.objects.filter(bot=bot, kind="entry", cycle=side.cycle + 1).first()
    assert next_entry is not None and next_entry.qty >= first_entry * Decimal("1.8")


def test_a_manual_order_on_the_account_is_foreign_activity(alice):
    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "both"})
    run(bot, port, venue, 2)
    acct = venue.account(bot.venue_account_id)
    market = venue.markets["BTCUSDT-linear"]
    venue.place_order(acct, market, side="buy", type_="limit", qty="0.01", price="1000", position_idx=1,
                      link_id="manual-1")
    venue.place_order(acct, market, side="buy", type_="market", qty="0.01", position_idx=1, link_id="manual-2")
    run(bot, port, venue, 1)
    events = list(EngineEvent.objects.filter(bot=bot, kind="foreign_activity").values_list("data", flat=True))
    assert any(e["what"] == "open order" and e["client_order_id"] == "manual-1" for e in events)
    assert any(e["what"] == "fill" and e["client_order_id"] == "manual-2" for e in events)
    assert Fill.objects.filter(bot=bot, foreign=True, client_order_id="manual-2").exists()
    assert "manual-1" in {o.link_id for o in acct.open_orders.values()}  # left alone: the client's order


def test_paused_with_a_position_keeps_only_the_take_profit_then_resume(alice):
    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "both"})
    run(bot, port, venue, 2)
    services.bot_pause(bot_id=bot.pk, reason="operator")
    step(bot, port)
    rest = list(venue.account(bot.venue_account_id).open_orders.values())
    assert rest and all(o.reduce_only for o in rest)  # position managed, nothing new
    assert BotSide.objects.filter(bot=bot, size__gt=0).count() == len(rest)
    services.bot_resume(bot_id=bot.pk, reason="operator")
    step(bot, port)
    assert any(not o.reduce_only for o in venue.account(bot.venue_account_id).open_orders.values())


def test_overlapping_pause_reasons_each_resume_clears_its_own(alice):
    venue = parity_venue()
    bot, _ = live_bot(alice, venue, {"sides": "long"})
    services.bot_pause(bot_id=bot.pk, reason="operator")
    services.bot_pause(bot_id=bot.pk, reason="withdrawal")
    services.bot_resume(bot_id=bot.pk, reason="operator")
    bot.refresh_from_db()
    assert bot.status == "paused" and bot.pause_reasons == ["withdrawal"]
    with pytest.raises(TransitionError):
        services.bot_resume(bot_id=bot.pk, reason="compliance")
    services.bot_resume(bot_id=bot.pk, reason="withdrawal")
    bot.refresh_from_db()
    assert bot.status == "live" and bot.pause_reasons == []
    services.bot_stop(bot_id=bot.pk, actor=None)
    with pytest.raises(TransitionError):
        services.bot_pause(bot_id=bot.pk, reason="operator")
    assert Bot.objects.get(pk=bot.pk).status == "stopped"


def test_spot_position_is_the_coin_bought_net_of_fees_and_its_take_profit_sells_it(alice):
    from sequence.catalog.services import (
        exchanges_ensure,
        offering_ensure,
        strategy_upsert,
        strategy_version_current,
    )
    from sequence.trading.launch import _next_number
    from sequence.venue_port import VenuePort

    venue = parity_venue(maker_fee="0.001")
    exchanges_ensure()
    strategy = strategy_upsert(slug="spot-t", name="Spot", base_currency="USDT", min_balance=Decimal(100),
                               params={"sides": "long", "market": "spot", "wallet_exposure_limit": 0.8,
                                       "maker_fee": 0.001})
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="spot", symbol="BTC/USDT")
    acct = venue.create_account("spot")
    venue.deposit(acct.id, "USDT", "10000", wallet="trading")
    port = VenuePort(venue, acct.id, "spot")
    bot = services.bot_create(user=alice, offering=offering, kind=Bot.Kind.PAPER, venue_account_id=acct.id)
    Bot.objects.filter(pk=bot.pk).update(status="awaiting_launch")
    services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                           number=_next_number(), egress_ip="", hedge=False, leverage=Decimal(1))
    bot.refresh_from_db()
    run(bot, port, venue, 2)
    entry = Fill.objects.get(bot=bot, kind="entry")
    side = BotSide.objects.get(bot=bot, side="long")
    assert side.size == entry.qty - entry.fee  # the fee is charged in BTC on a spot buy
    assert entry.fee_currency == "BTC"
    tp = Order.objects.get(bot=bot, kind="take_profit", state="open")
    assert tp.qty <= side.size and side.size - tp.qty < Decimal("0.000001")  # all of it, down to the lot
    resting = {o.link_id: o for o in venue.account(acct.id).open_orders.values()}
    assert not resting[tp.client_order_id].reduce_only  # spot has no reduce-only
    for _ in range(3000):
        if BotSide.objects.get(bot=bot, side="long").cycle > 1:
            break
        run(bot, port, venue, 1)
    else:
        pytest.fail("the spot take-profit never filled")
    closed = Order.objects.get(bot=bot, kind="take_profit", cycle=1, state="filled")
    assert sum(f.qty for f in Fill.objects.filter(bot=bot, order=closed)) == closed.qty
    assert Order.objects.filter(bot=bot, kind="entry", cycle=2).exists()  # the next cycle began


def test_a_balance_below_the_market_minimum_needs_attention_and_the_client_is_told(alice):
    from sequence.notifications.models import OutboundEmail

    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "long", "wallet_exposure_limit": 0.5}, balance="4")
    run(bot, port, venue, 1)
    bot.refresh_from_db()
    assert bot.status == "needs_attention" and "minimum" in bot.attention_reason
    assert not Order.objects.filter(bot=bot).exists()  # nothing was sent
    email = OutboundEmail.objects.get(kind="bot_needs_attention", user=alice)
    assert "minimum" in email.context["reason"]
