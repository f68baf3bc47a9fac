"""Building blocks of the engine tests: a live bot on an in-process venue, stepped by hand."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

from asgiref.sync import async_to_sync

from sequence.catalog.services import (
    exchanges_ensure,
    offering_ensure,
    strategy_upsert,
    strategy_version_current,
)
from sequence.core.precision import Precision, to_decimal
from sequence.exchanges.domain import PositionMode
from sequence.strategy.params import Params
from sequence.strategy.replay import replay
from sequence.trading import services
from sequence.trading.engine_jobs import step_bot
from sequence.trading.launch import _next_number, needed_leverage
from sequence.trading.models import Bot, Fill
from sequence.venue import CandleFeed, MarketClock, Venue
from sequence.venue.profile import MarketProfile
from sequence.venue_port import VenuePort

CANDLES = Path(__file__).resolve().parents[1] / "data" / "candles" / "binanceus_BTCUSDT_1m_2023-03.csv.gz"
SYMBOL = "BTC/USDT:USDT"


def parity_venue(maker_fee="0.0002", path: Path = CANDLES) -> Venue:
    feed = CandleFeed(str(path), rebase=False)
    venue = Venue(feed, MarketClock(feed.start_ms, speed=0), profile=MarketProfile.parity(maker_fee=Decimal(maker_fee)))
    venue.set_lockstep(True)
    return venue


def live_bot(user, venue: Venue, params: dict, *, balance="10000", hedge: bool | None = None) -> tuple[Bot, VenuePort]:
    """A bot "Live" on its own venue account, launched as the launch job would (no worker)."""
    from sequence.strategy.params import Params

    slug = f"t-{uuid.uuid4().hex[:8]}"
    exchanges_ensure()
    strategy = strategy_upsert(slug=slug, name=slug, base_currency="USDT", min_balance=Decimal(100), params=params)
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives", symbol=SYMBOL)
    acct = venue.create_account(slug)
    venue.deposit(acct.id, "USDT", balance, wallet="trading")
    port = VenuePort(venue, acct.id, "linear")
    p = Params.from_mapping(params)
    hedge = (p.sides == "both") if hedge is None else hedge
    if hedge:
        async_to_sync(port.set_position_mode)(PositionMode.HEDGE, SYMBOL)
    bot = services.bot_create(user=user, offering=offering, kind=Bot.Kind.PAPER, venue_account_id=acct.id)
    Bot.objects.filter(pk=bot.pk).update(status="awaiting_launch")
    services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                           number=_next_number(), egress_ip="", hedge=hedge, leverage=needed_leverage(p))
    async_to_sync(port.set_leverage)(SYMBOL, needed_leverage(p))
    bot.refresh_from_db()
    return bot, port


def step(bot: Bot, port: VenuePort):
    return async_to_sync(step_bot)(bot.pk, port=port, schedule=False)


def market_venue(profile: MarketProfile | None = None, path: Path = CANDLES) -> Venue:
    """A lock-step venue replaying the candles with the given realism (default: the realistic one)."""
    feed = CandleFeed(str(path), rebase=False)
    venue = Venue(feed, MarketClock(feed.start_ms, speed=0), profile=profile or MarketProfile())
    venue.set_lockstep(True)
    return venue


def market_precision(venue: Venue, market_id: str) -> Precision:
    """The venue market's rounding rule, as the engine and the backtester both apply it."""
    market = venue.markets[market_id]
    return Precision(tick=market.tick, lot=market.qty_step, min_qty=market.min_qty,
                     min_notional=getattr(market, "min_notional", None))


def backtest_fills(params: dict, rows, precision: Precision) -> list[tuple]:
    """The backtester's fills as (candle, side, kind, price, size), in the strategy's units."""
    result = replay(Params.from_mapping(params), rows, precision=precision)
    return [(f.index, f.side, f.kind, to_decimal(f.price).normalize(), to_decimal(f.qty).normalize())
            for f in result.fill_log]


def engine_fills(bot: Bot, port: VenuePort, venue: Venue, rows, size=lambda f: f.qty) -> list[tuple]:
    """Step the venue and the bot candle by candle; the bot's fills as the backtester's tuples
    (``size`` turns a fill's quantity into the strategy's units)."""
    fills: list[tuple] = []
    last = 0
    for i in range(len(rows)):
        assert venue.step() is not None
        step(bot, port)
        last = new_fills(bot, last, i, fills, size)
    return fills


def new_fills(bot: Bot, last: int, candle: int, out: list[tuple], size=lambda f: f.qty) -> int:
    """Append the bot's fills recorded since row ``last`` (ids grow) as the backtester's
    tuples at ``candle``; returns the new last id."""
    for f in Fill.objects.filter(bot=bot, pk__gt=last).order_by("executed_at", "pk"):
        out.append((candle, f.side, f.kind, f.price.normalize(), size(f).normalize()))
        last = max(last, f.pk)
    return last


def run(bot: Bot, port: VenuePort, venue: Venue, candles: int, each=None) -> None:
    for i in range(candles):
        assert venue.step() is not None
        step(bot, port)
        if each is not None:
            each(i)


def coin_spot_bot(user, venue: Venue, params: dict | None = None, *, btc="1", usdt="") -> tuple[Bot, VenuePort]:
    """A BTC-base spot bot (the short side: it sells BTC and buys more back) "Live" on its own
    venue account holding ``btc`` (and ``usdt``, when given: a client's own USDT)."""
    params = {"sides": "short", "market": "spot", "wallet_exposure_limit": 1.0, **(params or {})}
    slug = f"t-{uuid.uuid4().hex[:8]}"
    exchanges_ensure()
    strategy = strategy_upsert(slug=slug, name=slug, base_currency="BTC", min_balance=Decimal("0.001"),
                               params=params)
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="spot", symbol="BTC/USDT")
    acct = venue.create_account(slug)
    venue.deposit(acct.id, "BTC", btc, wallet="trading")
    if usdt:
        venue.deposit(acct.id, "USDT", usdt, wallet="trading")
    port = VenuePort(venue, acct.id, "spot")
    bot = services.bot_create(user=user, offering=offering, kind=Bot.Kind.PAPER, venue_account_id=acct.id)
    Bot.objects.filter(pk=bot.pk).update(status="awaiting_launch")
    services.bot_mark_live(bot_id=bot.pk, actor=None, strategy_version=strategy_version_current(strategy=strategy),
                           number=_next_number(), egress_ip="", hedge=False, leverage=Decimal(1))
    bot.refresh_from_db()
    return bot, port
