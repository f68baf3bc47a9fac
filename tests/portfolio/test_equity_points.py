"""Equity points: hourly and at every close, the engine's snapshot valued like the exchange does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sequence.portfolio.models import EquityPoint
from sequence.portfolio.services import record_equity_points, snapshot
from sequence.trading.models import BotEngine, Fill
from sequence.trading.selectors import bot_engine_state
from tests.portfolio.helpers import traded_bot
from tests.trading.helpers import run

pytestmark = pytest.mark.django_db


def test_hourly_and_close_points_once_each_and_valued_as_the_venue(alice):
    bot, port, venue = traded_bot(alice, candles=150)
    points = list(EquityPoint.objects.filter(bot=bot).order_by("at"))
    hourly = [p for p in points if p.kind == "hourly"]
    closes = [p for p in points if p.kind == "close"]
    # recorded every 5 one-minute candles from 00:05 to 02:30 (market time): one point per hour
    assert [p.at.strftime("%H:%M") for p in hourly] == ["00:00", "01:00", "02:00"]
    # one point per take-profit fill, keyed by the exchange's trade id
    tp = set(Fill.objects.filter(bot=bot, kind="take_profit").values_list("trade_id", flat=True))
    assert tp and {p.key for p in closes} == {f"c:{t}" for t in tp}
    # the job again: nothing twice
    assert record_equity_points(now=datetime.now(tz=UTC)) == 0
    # a point's equity is the venue's own (wallet + unrealised PnL at the last price)
    run(bot, port, venue, 1)
    engine, sides = bot_engine_state(bot)
    snap = snapshot(bot, engine, sides)
    acct = venue.account(bot.venue_account_id)
    assert engine.last_price == venue.last_price
    assert any(s.size > 0 for s in sides)  # with a position open, so the unrealised part counts
    assert abs(snap.equity - venue.equity(acct, "USDT")) <= Decimal("1e-12")
    assert snap.unit == "USDT" and snap.usd == snap.equity
    assert all(p.unit == "USDT" and p.usd == p.equity for p in points)


def test_a_close_seen_late_gets_no_backdated_point(alice):
    bot, _, _ = traded_bot(alice, candles=120, every=120)
    # recorded once after 120 candles: only closes of the last five market minutes got a point
    engine = BotEngine.objects.get(bot=bot)
    market = datetime.fromtimestamp(engine.last_market_ms / 1000, tz=UTC)
    for p in EquityPoint.objects.filter(bot=bot, kind="close"):
        assert (market - p.at).total_seconds() <= 300


def test_the_periodic_job_records_through_the_service(alice):
    from sequence.portfolio.tasks import record_equity_points as job

    bot, _, _ = traded_bot(alice, candles=30, every=30)
    EquityPoint.objects.filter(bot=bot).delete()
    job.func(timestamp=0)  # what the worker runs each minute (the timestamp is procrastinate's)
    assert EquityPoint.objects.filter(bot=bot, kind="hourly").count() == 1
    assert job.queue == "housekeeping" and job.queueing_lock == "portfolio_equity_points"
