"""Parity over HTTP, the whole month (make soak; issue 9 item 13).

The in-process parity test (tests/trading/test_parity.py, in make test) steps the engine through
`VenuePort`; this one goes the production way: a paper bot whose key the simulated exchange
issued through its admin API, sealed in the vault, its ccxt client built by
`trading.ports.port_for`, every request over HTTP to `sequence.venue` serving the candles in
lock-step (one candle per step, the parity profile). The engine must make exactly the
backtester's fills.

All steps run on one event loop, current while the bot's ccxt client is built: the client binds
its throttle and HTTP session to that loop (a worker process has one loop for its life; a loop
per step, as async_to_sync makes, left a step waiting forever on another loop's future).

PARITY_HTTP_DAYS (default 31: the month) and PARITY_HTTP_SETS (default all three) scale it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from sequence.catalog.services import (
    exchanges_ensure,
    offering_ensure,
    strategy_upsert,
    strategy_version_current,
)
from sequence.core.candles import load_rows
from sequence.core.precision import Precision
from sequence.exchanges.domain import PositionMode
from sequence.strategy.params import Params
from sequence.trading import services
from sequence.trading.engine_jobs import step_bot
from sequence.trading.launch import _next_number, needed_leverage
from sequence.trading.models import Bot, Fill
from sequence.trading.paper import paper_bot_create
from sequence.trading.ports import forget_port, port_for
from sequence.venue import running_venue
from sequence.venue.profile import MarketProfile
from tests.trading.helpers import CANDLES, SYMBOL, backtest_fills, new_fills
from tests.trading.test_parity import SETS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DAYS = float(os.environ.get("PARITY_HTTP_DAYS", "31"))
STEP_TIMEOUT = 60.0
NAMES = [n for n in os.environ.get("PARITY_HTTP_SETS", ",".join(SETS)).split(",") if n]


async def _step(bot_id, port) -> None:
    task = asyncio.ensure_future(step_bot(bot_id, port=port, schedule=False))
    done, _ = await asyncio.wait({task}, timeout=STEP_TIMEOUT)
    if not done:  # a hung step fails the run with where it waits, rather than hanging it
        stacks = "\n".join(f"{t}: {t.get_stack(limit=30)}" for t in asyncio.all_tasks())
        task.cancel()
        raise AssertionError(f"a step did not finish in {STEP_TIMEOUT} s; tasks:\n{stacks}")
    task.result()


@pytest.mark.parametrize("name", NAMES)
def test_engine_fills_equal_the_backtesters_over_http(name, alice, settings, tmp_path):
    params = SETS[name]
    rows = load_rows(str(CANDLES))[: int(DAYS * 1440)]
    # The candles end now: the market's time stays behind the venue's wall-clock server time,
    # as a real exchange's records do (the adapter reads history up to the server's "now").
    shift = (int(time.time() * 1000) // 60_000 - len(rows) - 60) * 60_000 - rows[0][0]
    candles = tmp_path / "candles.csv"
    candles.write_text("timestamp,open,high,low,close,volume\n" + "".join(
        f"{r[0] + shift},{r[1]!r},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r}\n" for r in rows))
    loop = asyncio.new_event_loop()
    # ccxt binds its throttle and HTTP session to the loop current when its client is built
    asyncio.set_event_loop(loop)
    with running_venue(str(candles), speed=0, rebase=False, lockstep=True,
                       profile=MarketProfile.parity(maker_fee=Decimal("0.0002"))) as running:
        settings.PAPER_VENUE_URL = running.url
        # ccxt's own pacing of one account (Bybit: about ten private requests a second) made a
        # candle cost half a second of waiting; the test venue's limits are raised (conftest)
        settings.EXCHANGE_ACCOUNT_RATE_SCALE = 20
        assert running.venue is not None
        market = running.venue.markets["BTCUSDT-linear"]
        precision = Precision(tick=market.tick, lot=market.qty_step, min_qty=market.min_qty,
                              min_notional=getattr(market, "min_notional", None))
        exchanges_ensure()
        slug = f"h-{uuid.uuid4().hex[:8]}"
        strategy = strategy_upsert(slug=slug, name=slug, base_currency="USDT", min_balance=Decimal(100), params=params)
        offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives", symbol=SYMBOL)
        bot = paper_bot_create(operator=alice, offering_id=offering.pk, balance="10000")
        p = Params.from_mapping(params)
        hedge = p.sides == "both"
        services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                               number=_next_number(), egress_ip="", hedge=hedge, leverage=needed_leverage(p))
        bot = Bot.objects.select_related("offering", "credential").get(pk=bot.pk)
        port = port_for(bot)
        try:
            if hedge:
                loop.run_until_complete(port.set_position_mode(PositionMode.HEDGE, SYMBOL))
            loop.run_until_complete(port.set_leverage(SYMBOL, needed_leverage(p)))
            engine: list[tuple] = []
            last = 0
            for i in range(len(rows)):
                running.admin.step()
                loop.run_until_complete(_step(bot.pk, port))
                last = new_fills(bot, last, i, engine)
        finally:
            loop.run_until_complete(port.close())
            forget_port(bot.pk)
            # the steps' database connection lives in asgiref's thread: close it there
            from django.db import connections

            loop.run_until_complete(sync_to_async(connections.close_all)())
            loop.close()
            asyncio.set_event_loop(None)
    expected = backtest_fills(params, rows, precision)
    engine.sort()
    expected.sort()
    first_diff = next((k for k, (a, b) in enumerate(zip(engine, expected, strict=False)) if a != b), None)
    assert first_diff is None and len(engine) == len(expected), (
        f"{len(engine)} engine fills vs {len(expected)} backtest fills; first difference at #{first_diff}: "
        f"engine {engine[first_diff] if first_diff is not None and first_diff < len(engine) else None} "
        f"backtest {expected[first_diff] if first_diff is not None and first_diff < len(expected) else None}")
    assert len(expected) > 20 or DAYS < 1
    assert not Fill.objects.filter(bot=bot, foreign=True).exists()
