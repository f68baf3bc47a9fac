"""How a version move reaches a running bot, shown on the engine itself (in-process venue):
the move changes ``Bot.strategy_version``; each side's cycle keeps the version it began with
(its take-profit keeps the old markup), and the side's next cycle runs the new version."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.catalog.services import strategy_upsert, strategy_version_current
from sequence.trading import services
from sequence.trading.models import Bot, BotSide, Order
from tests.support.eventually import eventually
from tests.trading.helpers import live_bot, market_venue, run

pytestmark = pytest.mark.django_db


def take_profit_markup(bot) -> Decimal:
    tp = Order.objects.get(bot=bot, kind="take_profit", state="open")
    side = BotSide.objects.get(bot=bot, side="long")
    return tp.price / side.entry_price - 1


def test_a_moved_bot_keeps_its_cycles_version_and_trades_the_new_one_from_the_next_cycle(alice, operator):
    venue = market_venue()
    bot, port = live_bot(alice, venue, {"sides": "long", "market": "derivatives", "markup": 0.005},
                         balance="100000")

    def in_position():
        run(bot, port, venue, 1)
        return Order.objects.filter(bot=bot, kind="take_profit", state="open").exists()

    eventually(in_position, timeout=30, interval=0, what="the entry filled and a take-profit resting")
    assert abs(take_profit_markup(bot) - Decimal("0.005")) < Decimal("0.0005")
    v1 = bot.strategy_version
    s = v1.strategy
    strategy_upsert(slug=s.slug, name=s.name, base_currency=s.base_currency, min_balance=s.min_balance,
                    params={**v1.params, "markup": 0.02})
    v2 = strategy_version_current(strategy=type(s).objects.get(pk=s.pk))
    services.bot_strategy_version_move(bot_id=bot.pk, strategy_version=v2, actor=operator)
    v1.refresh_from_db()
    assert v1.params["markup"] == 0.005  # the old version is frozen
    cycle = BotSide.objects.get(bot=bot, side="long").cycle
    run(bot, port, venue, 1)
    assert Bot.objects.get(pk=bot.pk).strategy_version_id == v2.pk
    assert BotSide.objects.get(bot=bot, side="long").cycle == cycle  # same cycle ...
    assert abs(take_profit_markup(bot) - Decimal("0.005")) < Decimal("0.0005")  # ... its own version's markup
    assert BotSide.objects.get(bot=bot, side="long").strategy_version_id == v1.pk

    def next_cycle_in_position():
        run(bot, port, venue, 1)
        side = BotSide.objects.get(bot=bot, side="long")
        return side.cycle > cycle and Order.objects.filter(bot=bot, kind="take_profit", state="open",
                                                            cycle=side.cycle).exists()

    eventually(next_cycle_in_position, timeout=120, interval=0, what="the cycle closed and the next one in position")
    assert BotSide.objects.get(bot=bot, side="long").strategy_version_id == v2.pk
    assert abs(take_profit_markup(bot) - Decimal("0.02")) < Decimal("0.0005")  # the next cycle: the new version
