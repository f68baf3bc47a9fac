"""Benchmark of the trading engine's own cost: N live bots stepped by a real Procrastinate worker.

Every bot trades on its own account of an in-process simulated exchange (``sequence.venue``,
random-walk prices, market clock at ``--speed`` times real time) through
``sequence.venue_port.VenuePort``: no HTTP, no ccxt. What a step costs is then the engine's
own work: loading the bot, reconcile, decide, diff, ORM writes, deferring the next step and
Procrastinate's own job queries (fetch, finish). The venue's simulation runs in this process
too; its time is measured apart (every port call is timed) and subtracted.

Figures (one JSON line): bot-steps per second; CPU ms per bot-step of this process, with
and without the venue's share; PostgreSQL's CPU ms per step (its own processes, from /proc);
the lag of each step behind its due time (p50, p99, max), as the shards' ticks see it
(``sequence.trading.shards.LAGS``).

Cadence: a bot steps every ENGINE_STEP_SECONDS (30) of market time; at ``--speed 10`` that is
every 3 s of wall time, so N bots at speed 10 carry the load of 10 N bots at a 30 s cadence
in real time (``equivalent_bots`` in the output). The schedule rounds each next due time up
to the tick grid (1 s), so a bot's period is 3 to 4 s of wall time here (``mean_step_period_s``)
and ``bot_steps_per_s`` stays under ``needed_steps_per_s`` even with no lag: whether the
engine keeps up is the lag's to say (bounded, not growing over the run).

    python bench/engine_bench.py [--bots 1000] [--speed 10] [--seconds 60] [--concurrency 16]

DATABASE_URL: a PostgreSQL server to use; unset, a throwaway embedded one is started.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import os
import secrets
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def pg_cpu_seconds(socket_dir: str | None) -> float:
    """CPU seconds of every postgres process (the server's side of the work)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            if not comm.startswith("postgres"):
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError):
            continue
    return total


class ServerDatabase:
    """A throwaway database on the server at DATABASE_URL: a run never meets an earlier run's
    bots (their steps would fail and count against this one), and leaves nothing behind."""

    def __init__(self, url: str) -> None:
        from urllib.parse import urlsplit, urlunsplit

        import psycopg

        parts = urlsplit(url)
        self.name = f"sequence_bench_{uuid.uuid4().hex[:8]}"
        self._admin = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def cleanup(self) -> None:
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def setup_database() -> object | None:
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "k1:" + base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    server: object | None = None
    if os.environ.get("DATABASE_URL"):
        server = ServerDatabase(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = server.url
    else:
        from sequence.runtime import embedded_pg

        server = embedded_pg.throwaway("sequence-bench-")
        embedded_pg.ensure_database(server, "bench")
        os.environ["DATABASE_URL"] = embedded_pg.socket_url(server, "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequence.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return server


def create_bots(n: int, venue, speed: float) -> dict:
    """N live bots of one strategy on Bybit linear, each with a funded hedge-mode venue account."""
    from django.utils import timezone

    from sequence.accounts.services import user_create
    from sequence.catalog.services import (
        exchanges_ensure,
        offering_ensure,
        strategy_upsert,
        strategy_version_current,
    )
    from sequence.trading.launch import _next_number
    from sequence.trading.models import Bot, BotEngine, BotSide
    from sequence.venue_port import VenuePort

    exchanges_ensure()
    user = user_create(email=f"bench-{uuid.uuid4().hex[:6]}@example.com", password="x" * 24)
    strategy = strategy_upsert(slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench", base_currency="USDT",
                               min_balance=Decimal(100), params={"sides": "both", "spacing": 0.004, "markup": 0.002})
    offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives", symbol="BTC/USDT:USDT")
    version = strategy_version_current(strategy=strategy)
    market = venue.markets["BTCUSDT-linear"]
    now = timezone.now()
    bots, ports = [], {}
    for _ in range(n):
        acct = venue.create_account("bench")
        venue.deposit(acct.id, "USDT", "20000", wallet="trading")
        venue.set_position_mode(acct, market, True)
        bot = Bot(user=user, offering=offering, status="live", kind=Bot.Kind.PAPER, venue_account_id=acct.id,
                  strategy_version=version, number=_next_number(), hedge_mode=True, leverage=Decimal(3),
                  launched_at=now)
        bots.append(bot)
        ports[str(bot.pk)] = VenuePort(venue, acct.id, "linear")
    Bot.objects.bulk_create(bots, batch_size=1000)
    # the market's speed as the engine learns it from two steps (ticker time vs wall time)
    from sequence.trading.shards import shard_of

    BotEngine.objects.bulk_create([BotEngine(bot=b, market_speed=speed, shard=shard_of(b.number)) for b in bots],
                                  batch_size=1000)
    BotSide.objects.bulk_create([BotSide(bot=b, side=s) for b in bots for s in ("long", "short")], batch_size=2000)
    return ports


class TimedPort:
    """Times every call into the in-process venue: its share is subtracted from the engine's."""

    spent = 0.0

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def timed(*args, **kwargs):
            t = time.thread_time()
            try:
                return await attr(*args, **kwargs)
            finally:
                TimedPort.spent += time.thread_time() - t

        return timed


def schedule_first_steps(bot_ids: list[str], spread_seconds: float) -> None:
    """Each bot's first step at a random point of one interval, as a running platform has them,
    and every shard's first tick."""
    import random
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from sequence.trading import shards
    from sequence.trading.models import BotEngine

    rng = random.Random(1)
    now = timezone.now()
    with transaction.atomic():
        for bot_id in bot_ids:
            BotEngine.objects.filter(bot_id=bot_id).update(
                next_step_at=now + timedelta(seconds=rng.uniform(0, spread_seconds)))
        shards.ensure_chains()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


async def run_worker(seconds: float, concurrency: int) -> None:
    from procrastinate.contrib.django import app

    # as `procrastinate worker` does: the worker's own connector (a pool, LISTEN/NOTIFY)
    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
        async with worker_app.open_async():
            worker = asyncio.ensure_future(worker_app.run_worker_async(
                queues=["engine"], concurrency=concurrency, wait=True, install_signal_handlers=False,
                **(settings_worker_defaults())))
            await asyncio.sleep(seconds)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):  # the measured phase is over
                await worker


def settings_worker_defaults() -> dict:
    from django.conf import settings

    return {k: v for k, v in settings.PROCRASTINATE_WORKER_DEFAULTS.items() if k == "fetch_job_polling_interval"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="engine cost per bot-step, in-process venue")
    parser.add_argument("--bots", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=10.0, help="market clock speed (x real time)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured run, wall seconds")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    os.environ.setdefault("ENGINE_STEP_SECONDS", "30")
    os.environ.setdefault("WORKER_POLL_SECONDS", "0.2")
    server = setup_database()
    try:
        from django.conf import settings

        from sequence.trading import engine_jobs, shards
        from sequence.trading.models import BotEngine
        from sequence.venue import MarketClock, RandomWalkFeed, Venue

        start_ms = int(time.time() * 1000) // 60_000 * 60_000
        venue = Venue(RandomWalkFeed(seed=3, price=30000.0, start_ms=start_ms), MarketClock(start_ms, speed=args.speed))
        t0 = time.perf_counter()
        ports = create_bots(args.bots, venue, args.speed)
        setup_s = time.perf_counter() - t0
        engine_jobs.PORT_FACTORY = lambda bot: TimedPort(ports[str(bot.pk)])
        interval_wall = settings.ENGINE_STEP_SECONDS / args.speed
        schedule_first_steps(list(ports), interval_wall)
        # warm up until every bot has stepped once (a first step loads the bot and places
        # every entry), then measure the steady state
        warm_deadline = time.perf_counter() + max(60.0, 0.05 * args.bots)
        while time.perf_counter() < warm_deadline and BotEngine.objects.filter(steps=0).exists():
            asyncio.run(run_worker(interval_wall, args.concurrency))
        steps0 = sum(BotEngine.objects.values_list("steps", flat=True))
        shards.LAGS = collections.deque()
        cpu0, venue0, pg0, wall0 = time.process_time(), TimedPort.spent, pg_cpu_seconds(None), time.perf_counter()
        asyncio.run(run_worker(args.seconds, args.concurrency))
        wall = time.perf_counter() - wall0
        cpu, venue_cpu, pg = time.process_time() - cpu0, TimedPort.spent - venue0, pg_cpu_seconds(None) - pg0
        steps = sum(BotEngine.objects.values_list("steps", flat=True)) - steps0
        lag = sorted(shards.LAGS)
        needed = args.bots / interval_wall
        out = {
            "bots": args.bots, "speed": args.speed, "interval_wall_s": round(interval_wall, 3),
            "equivalent_bots_at_30s": int(args.bots * args.speed * 30 / settings.ENGINE_STEP_SECONDS),
            "setup_s": round(setup_s, 1), "measured_s": round(wall, 1), "bot_steps": steps,
            "bot_steps_per_s": round(steps / wall, 1), "needed_steps_per_s": round(needed, 1),
            # each bot's steps as the schedule spaced them: the interval rounded up to the tick
            # grid (ENGINE_TICK_SECONDS), so at most one tick more than the interval
            "mean_step_period_s": round(args.bots * wall / max(1, steps), 3),
            "cpu_ms_per_step_engine": round(1000 * (cpu - venue_cpu) / max(1, steps), 3),
            "cpu_ms_per_step_venue": round(1000 * venue_cpu / max(1, steps), 3),
            "cpu_ms_per_step_postgres": round(1000 * pg / max(1, steps), 3),
            "lag_p50_s": round(pct(lag, 0.5), 3), "lag_p99_s": round(pct(lag, 0.99), 3),
            "lag_max_s": round(lag[-1], 3) if lag else None, "concurrency": args.concurrency,
            "shards": settings.ENGINE_SHARDS, "tick_s": settings.ENGINE_TICK_SECONDS,
        }
        print(json.dumps(out))
    finally:
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
