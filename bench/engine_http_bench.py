"""Benchmark of the trading engine over HTTP: paper bots on the simulated exchange, through ccxt.

Everything is the production path: each bot is a paper bot created as an operator creates one
(its venue account, funds and key through the venue's admin API, the key sealed in the vault),
launched by the real launch job (hedge mode, leverage, over ccxt), then stepped by a real
Procrastinate worker through ccxt over HTTP to ``sequence.venue`` running in its own process,
every ``--step-seconds`` (ENGINE_STEP_SECONDS; the default 3 s makes N bots the load of 10 N
at the production 30 s). The bot count grows along a ladder; each rung reports
bot-steps per second, the worker's CPU ms per step (ccxt and HTTP included) and the lag of
steps behind their schedule, until the p99 lag passes ``--max-lag`` seconds.

The venue's rate limits are raised (as in the test suite) and so is the engine's budget per
egress IP: this measures the engine, not the exchange's limit. With the real limit (Bybit: 600
requests per 5 s per IP) one IP carries at most ~120 requests/s, about 15-20 bot-steps/s,
i.e. 450-600 bots at a 30 s cadence: more bots need more egress IPs (EGRESS_IPS).

    python bench/engine_http_bench.py [--ladder 25,50,100,200,400] [--step-seconds 3] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

# One event loop for every worker run: the bots' ccxt clients (cached per key, as in a worker
# process) hold HTTP sessions bound to the loop they were made on.
LOOP = asyncio.new_event_loop()

VENUE_SCRIPT = """
import sys, threading
from sequence.venue import running_venue
with running_venue(candles=None, speed=float(sys.argv[1]), price=30000.0) as v:
    print(v.url, flush=True)
    threading.Event().wait()
"""


def start_venue(speed: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", VENUE_SCRIPT, str(speed)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"the simulated exchange did not start: {url!r}")
    return proc, url


def create_and_launch(n: int, operator, offering) -> list[str]:
    from sequence.trading import services
    from sequence.trading.paper import paper_bot_create

    ids = []
    for _ in range(n):
        bot = paper_bot_create(operator=operator, offering_id=offering.pk, balance="20000")
        services.bot_launch_request(bot_id=bot.pk, actor=operator)
        ids.append(str(bot.pk))
    return ids


def rung(ids: list[str], args, all_ids: list[str]) -> dict:
    from engine_bench import pct, run_worker
    from sequence.trading import shards
    from sequence.trading.models import BotEngine

    interval = args.step_seconds
    deadline = time.perf_counter() + max(90.0, 0.5 * len(ids))
    # launch jobs, then every bot's first step (entries placed), before measuring
    while time.perf_counter() < deadline and BotEngine.objects.filter(bot_id__in=all_ids, steps__gt=0).count() < len(all_ids):
        LOOP.run_until_complete(run_worker(interval, args.concurrency))
    LOOP.run_until_complete(run_worker(2 * interval, args.concurrency))
    steps0 = sum(BotEngine.objects.filter(bot_id__in=all_ids).values_list("steps", flat=True))
    shards.LAGS, shards.DURATIONS = collections.deque(), collections.deque()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    LOOP.run_until_complete(run_worker(args.seconds, args.concurrency))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    steps = sum(BotEngine.objects.filter(bot_id__in=all_ids).values_list("steps", flat=True)) - steps0
    lag, durations = sorted(shards.LAGS), sorted(shards.DURATIONS)
    from collections import Counter

    from sequence.trading.models import Bot

    statuses = dict(Counter(Bot.objects.filter(pk__in=all_ids).values_list("status", flat=True)))
    errors = dict(Counter(e for e in BotEngine.objects.filter(bot_id__in=all_ids).values_list("last_error", flat=True)
                          if e))
    reasons = dict(Counter(r for r in Bot.objects.filter(pk__in=all_ids).values_list("attention_reason", flat=True)
                           if r))
    return {"statuses": statuses, "errors": errors, "attention": reasons, "bots": len(all_ids),
            "equivalent_bots_at_30s": int(len(all_ids) * 30 / args.step_seconds), "bot_steps": steps,
            "bot_steps_per_s": round(steps / wall, 1), "steps_per_s_at_the_nominal_interval": round(len(all_ids) / interval, 1),
            "cpu_ms_per_step_worker": round(1000 * cpu / max(1, steps), 2),
            "lag_p50_s": round(pct(lag, 0.5), 3), "lag_p99_s": round(pct(lag, 0.99), 3),
            "step_wall_p50_s": round(pct(durations, 0.5), 3), "step_wall_p99_s": round(pct(durations, 0.99), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="engine over HTTP (ccxt -> simulated exchange)")
    parser.add_argument("--ladder", default="25,50,100,200,400", help="bot counts, comma-separated")
    parser.add_argument("--step-seconds", type=float, default=3.0,
                        help="the engine's cadence (ENGINE_STEP_SECONDS); 3 s: N bots carry the load of 10 N at 30 s")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured run per rung, wall seconds")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-lag", type=float, default=5.0)
    args = parser.parse_args(argv)
    try:
        ladder = sorted({int(x) for x in args.ladder.split(",") if x.strip()})
    except ValueError:
        parser.error("--ladder: bot counts such as 25,50,100")
    if not ladder or ladder[0] <= 0:
        parser.error("--ladder: positive bot counts")
    # the venue's clock at real speed: over HTTP its times are the wall clock, as a real exchange's
    venue, url = start_venue(1.0)
    os.environ.update({"PAPER_VENUE_URL": url, "BYBIT_API_URL": url, "OKX_API_URL": url, "EGRESS_IPS": "127.0.0.1",
                       "EXCHANGE_RATE_PER_IP_OVERRIDE": "100000", "ENGINE_STEP_SECONDS": str(int(args.step_seconds)),
                       "WORKER_POLL_SECONDS": "0.2",
                       # ccxt's own pacing of each account (Bybit: ten private requests a second)
                       # raised as the test suite raises it: the venue's limits are raised too
                       "EXCHANGE_ACCOUNT_RATE_SCALE": "20"})
    from engine_bench import setup_database

    server = setup_database()
    try:
        import uuid

        from sequence.accounts.services import user_create
        from sequence.catalog.services import exchanges_ensure, offering_ensure, strategy_upsert

        exchanges_ensure()
        operator = user_create(email=f"ops-{uuid.uuid4().hex[:6]}@example.com", password="x" * 24)
        operator.is_staff = True
        operator.save(update_fields=["is_staff"])
        strategy = strategy_upsert(slug=f"http-{uuid.uuid4().hex[:6]}", name="HTTP bench", base_currency="USDT",
                                   min_balance=Decimal(100), params={"sides": "both", "spacing": 0.004, "markup": 0.002})
        offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives",
                                   symbol="BTC/USDT:USDT")
        all_ids: list[str] = []
        crossed = None
        for n in ladder:
            all_ids += create_and_launch(n - len(all_ids), operator, offering)
            out = rung(all_ids, args, all_ids)
            print(json.dumps({"bench": "engine_http", **out}), flush=True)
            if out["lag_p99_s"] > args.max_lag:
                crossed = n
                break
        print(json.dumps({"bench": "engine_http_summary", "step_seconds": args.step_seconds, "max_lag_s": args.max_lag,
                          "p99_lag_passed_at_bots": crossed,
                          "equivalent_bots_at_30s": int(crossed * 30 / args.step_seconds) if crossed else None,
                          "largest_rung_bots": ladder[-1]}), flush=True)
    finally:
        venue.kill()
        if server is not None:
            server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
