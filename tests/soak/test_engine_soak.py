"""Engine soak (make soak): 1,000 kills, 10,000 intents under exchange faults, and parity over the
whole month of candles over HTTP (real ccxt, the venue in lock-step and its parity profile)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from tests.trading import test_kills_and_faults as kills
from tests.trading.test_parity import SETS, backtest_fills

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_thousand_kills(alice, venue, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(kills, "KILLS", int(os.environ.get("SOAK_ENGINE_KILLS", "1000")))
    kills.test_kill_minus_nine_at_random_points(alice, venue, worker, tmp_path)


def test_ten_thousand_intents_under_faults(alice, venue, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(kills, "INTENTS", int(os.environ.get("SOAK_ENGINE_INTENTS", "10000")))
    kills.test_exchange_faults_no_duplicates_every_order_resolved(alice, venue, worker, tmp_path)


@pytest.mark.parametrize("name", list(SETS))
def test_parity_whole_month_over_http(name, alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    from sequence.catalog.services import (
        exchanges_ensure,
        offering_ensure,
        strategy_upsert,
        strategy_version_current,
    )
    from sequence.core.candles import load_rows
    from sequence.core.precision import Precision
    from sequence.strategy.params import Params
    from sequence.trading import services
    from sequence.trading.engine_jobs import step_bot
    from sequence.trading.launch import _next_number, needed_leverage
    from sequence.trading.models import Bot, Fill
    from sequence.vault.services import credential_store
    from sequence.venue import running_venue
    from sequence.venue.profile import MarketProfile
    from tests.trading.helpers import CANDLES

    days = float(os.environ.get("SOAK_PARITY_DAYS", "31"))
    rows = load_rows(str(CANDLES))[: int(days * 1440)]
    with running_venue(str(CANDLES), speed=0, rebase=False, profile=MarketProfile.parity(Decimal("0.0002")),
                       lockstep=True) as v:
        settings.BYBIT_API_URL = v.url
        settings.EGRESS_IPS = ["127.0.0.1"]
        account = v.admin.create_account("parity")
        v.admin.fund(account, "USDT", "10000", wallet="trading")
        key = v.admin.create_key(account, exchange="bybit", ips=["127.0.0.1"])
        exchanges_ensure()
        params = SETS[name]
        strategy = strategy_upsert(slug=f"parity-{name}", name=name, base_currency="USDT", min_balance=Decimal(100),
                                   params=params)
        offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives",
                                   symbol="BTC/USDT:USDT")
        credential = credential_store(owner=alice, exchange="bybit",
                                      fields={"api_key": key.api_key, "api_secret": key.secret})
        bot = services.bot_create(user=alice, offering=offering)
        Bot.objects.filter(pk=bot.pk).update(status="verifying")
        services.bot_credential_verified(bot_id=bot.pk, credential=credential,
                                         expires_at=timezone.now() + timedelta(days=90), expiry_source="assumed",
                                         first_key=True)
        p = Params.from_mapping(params)
        from sequence.trading.ports import port_for

        bot.refresh_from_db()
        bot.number = _next_number()
        port = port_for(bot)
        from sequence.exchanges.domain import PositionMode

        if p.sides == "both":
            async_to_sync(port.set_position_mode)(PositionMode.HEDGE, "BTC/USDT:USDT")
        services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                               number=bot.number, egress_ip="127.0.0.1", hedge=p.sides == "both",
                               leverage=needed_leverage(p))
        engine: list[tuple] = []
        seen: set[int] = set()
        for i in range(len(rows)):
            v.admin.step()
            async_to_sync(step_bot)(bot.pk, port=port, schedule=False)
            for f in Fill.objects.filter(bot=bot).exclude(pk__in=seen):
                seen.add(f.pk)
                engine.append((i, f.side, f.kind, f.price.normalize(), f.qty.normalize()))
        market = v.venue.markets["BTCUSDT-linear"]
        precision = Precision(tick=market.tick, lot=market.qty_step, min_qty=market.min_qty,
                              min_notional=getattr(market, "min_notional", None))
        expected = backtest_fills(params, rows, precision)
        engine.sort()
        expected.sort()
        assert engine == expected, (len(engine), len(expected))
        print(f"\nparity over HTTP, {name}: {len(rows)} candles, {len(engine)} fills, all equal")
