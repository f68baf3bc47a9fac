"""E5: kill -9 of workers at random points of order placement, and an exchange that drops and
fails responses. After each restart: no duplicate order, no lost order, no position left
without its take-profit. Two workers never step one bot at once (the venue's request log)."""

from __future__ import annotations

import itertools
import os
import random
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sequence.trading import services
from sequence.trading.models import Bot, Order
from sequence.vault.services import credential_store
from tests.onboarding.helpers import catalog, exchange_key
from tests.support.engine_checks import check_invariants
from tests.support.eventually import eventually as poll
from tests.support.worker import WorkerProcess, engine_env

pytestmark = pytest.mark.django_db(transaction=True)

KILLS = int(os.environ.get("SOAK_ENGINE_KILLS", "20"))
INTENTS = int(os.environ.get("SOAK_ENGINE_INTENTS", "500"))


def eventually(check, timeout=60.0, what="condition", logs=()):
    """The shared poll, with the workers' log tails on failure."""
    return poll(check, timeout=timeout, interval=0.2, what=what,
                diagnostics=lambda: "\n".join(w.output()[-3000:] for w in logs))


TIGHT = {"sides": "both", "spacing": 0.0015, "spacing_mult": 1.2, "markup": 0.0006, "max_dca": 4,
         "initial_qty_pct": 0.02}


def launched_bot(user, venue, amount="50000", params=None) -> tuple[Bot, object]:
    offering = catalog()["usdt-perp-hedge@bybit"]
    if params is not None:  # a busier strategy: more orders per minute of market
        from decimal import Decimal

        from sequence.catalog.services import offering_ensure, strategy_upsert

        strategy = strategy_upsert(slug="tight-test", name="Tight test", base_currency="USDT",
                                   min_balance=Decimal(100), params=params)
        offering = offering_ensure(strategy=strategy, exchange_slug="bybit", market="derivatives",
                                   symbol="BTC/USDT:USDT")
    key = exchange_key(venue, amount=amount)
    credential = credential_store(owner=user, exchange="bybit", fields={"api_key": key.api_key, "api_secret": key.secret})
    bot = services.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    services.bot_credential_verified(bot_id=bot.pk, credential=credential, expires_at=timezone.now() + timedelta(days=90),
                                     expiry_source="assumed", first_key=True)
    services.bot_launch_request(bot_id=bot.pk, actor=None)
    return bot, key


def spare_worker(tmp_path, venue, n) -> WorkerProcess:
    return WorkerProcess(db_settings=connection.settings_dict, smtp_port=1, log_path=tmp_path / f"spare-{n}.log",
                         extra_env={**engine_env(venue.url), "STALLED_WORKER_SECONDS": "3",
                                    "STALLED_SCAN_CRON": "* * * * * *"}).start()


def positions_without_take_profit(venue, key) -> tuple[int, int]:
    account = venue.admin.account(key.account_id)
    opens = account["open_orders"]
    missing = small = 0
    for p in account["positions"]:
        side_idx = p["idx"]
        has_tp = any(o["reduce_only"] and o["position_idx"] == side_idx for o in opens)
        if not has_tp:
            if float(p["size"]) < 0.001:
                small += 1
            else:
                missing += 1
    return missing, small


def test_kill_minus_nine_at_random_points(alice, venue, worker, tmp_path):
    rng = random.Random(20261201)
    bot, key = launched_bot(alice, venue)
    eventually(lambda: Bot.objects.get(pk=bot.pk).status == "live", what="live", logs=[worker])
    bot.refresh_from_db()
    spares = [spare_worker(tmp_path, venue, i) for i in range(2)]
    venue.admin.fault("latency", ms=30, path="/v5/order/")  # widen the window between record and reply
    kills = 0
    try:
        while kills < KILLS:
            venue.admin.advance(candles=rng.randint(1, 20))  # the price moves: orders change
            time.sleep(rng.uniform(0.05, 0.8))  # a random point of the steps in flight
            victim = spares.pop(rng.randrange(len(spares)))
            victim.kill()
            kills += 1
            check_invariants(bot, venue, key)
            spares.append(spare_worker(tmp_path, venue, kills + 10))
        venue.admin.clear_faults()
        # settle: the market stands still, a few clean steps reconcile whatever the kills left
        steps = Order.objects.filter(bot=bot).count()
        eventually(lambda: Order.objects.filter(bot=bot, state="pending").count() == 0, timeout=90,
                   what="no order left unresolved", logs=[worker, *spares])
        del steps
        time.sleep(0)  # (no sleep-based sync: the polls above and below have deadlines)
        def settled():
            missing, small = positions_without_take_profit(venue, key)
            return missing == 0 and (missing, small)
        missing_small = eventually(settled, timeout=90, what="every position with its take-profit",
                                   logs=[worker, *spares])
        figures = check_invariants(bot, venue, key)
        print(f"\nkill test: {kills} kills, {figures['orders']} orders of ours on the venue, "
              f"0 duplicates, 0 lost, 0 positions without take-profit ({missing_small[1]} below minimum)")
    finally:
        venue.admin.clear_faults()
        for w in spares:
            w.stop()
        services.bot_stop(bot_id=bot.pk, actor=None)


def test_exchange_faults_no_duplicates_every_order_resolved(alice, venue, worker, tmp_path):
    """10% of responses dropped after the venue accepted the request, 5% answered 5xx, plus latency,
    on every exchange endpoint, while six bots trade on three workers."""
    from sequence.trading.models import BotEngine

    spares = [spare_worker(tmp_path, venue, i) for i in range(2)]
    bots = [launched_bot(alice, venue, params=TIGHT) for _ in range(6)]
    eventually(lambda: Bot.objects.filter(pk__in=[b.pk for b, _ in bots], status="live").count() == len(bots),
               what="all live", logs=[worker])
    for b, _ in bots:
        b.refresh_from_db()
    for fault in ({"kind": "drop", "probability": 0.10}, {"kind": "http_5xx", "status": 503, "probability": 0.05},
                  {"kind": "latency", "ms": 5}):
        venue.admin.fault(path="/v5/", **fault)
    rng = random.Random(7)
    ids = [b.pk for b, _ in bots]

    def intents():
        return Order.objects.filter(bot__in=ids).count()

    def steps():
        return dict(BotEngine.objects.filter(bot__in=ids).values_list("bot", "steps"))

    try:
        deadline = time.monotonic() + 180
        loops = 0
        while intents() < INTENTS and time.monotonic() < deadline:
            venue.admin.advance(candles=rng.randint(1, 8))
            before = steps()
            eventually(lambda b=before: all(n > b[k] for k, n in steps().items()), timeout=60, logs=[worker],
                       what="a step of every bot")
            loops += 1
            if loops % 5 == 0:
                for b, key in bots:
                    check_invariants(b, venue, key)
        sent = intents()
        assert sent >= INTENTS
        venue.admin.clear_faults()
        # once the exchange answers again, every order is resolved within 3 steps of its bot,
        # counted from the steps that begin after the faults ended: each bot's step in flight
        # when they ended (begun under faults) ends first
        in_flight = steps()
        eventually(lambda: all(n > in_flight[k] for k, n in steps().items()), timeout=60, logs=[worker],
                   what="the steps in flight to end")
        start = steps()
        waiting = set(Order.objects.filter(bot__in=ids, state="pending").values_list("bot", flat=True))
        took_per_bot: dict = {}
        deadline = time.monotonic() + 60
        while waiting - set(took_per_bot) and time.monotonic() < deadline:
            for bot_id in waiting - set(took_per_bot):
                now_steps = BotEngine.objects.get(bot=bot_id).steps
                if not Order.objects.filter(bot=bot_id, state="pending").exists():
                    took_per_bot[bot_id] = now_steps - start[bot_id]
            time.sleep(0.01)  # a tight poll: the step count is read as the order resolves
        assert set(took_per_bot) == waiting, "orders still unresolved a minute after the faults ended"
        took = max(took_per_bot.values(), default=0)
        assert took <= 3, took_per_bot
        total = 0
        for b, key in bots:
            total += check_invariants(b, venue, key)["orders"]
        print(f"\nfault test: {sent} intents over {len(bots)} bots in {loops} rounds, {total} orders on the venue, "
              f"0 duplicates, 0 lost, every order resolved within {took} step(s) of the faults ending")
    finally:
        venue.admin.clear_faults()
        for b, _ in bots:
            services.bot_stop(bot_id=b.pk, actor=None)
        for w in spares:
            w.stop()


def test_two_workers_never_step_one_bot_at_once(alice, venue, worker, tmp_path):
    """From the venue's request log: one key's requests never overlap in time (a step sends one
    request after another, so two concurrent steps of a bot would interleave)."""
    bot, key = launched_bot(alice, venue)
    eventually(lambda: Bot.objects.get(pk=bot.pk).status == "live", what="live", logs=[worker])
    spares = [spare_worker(tmp_path, venue, i) for i in range(2)]
    since = venue.admin.requests()[-1]["seq"] if venue.admin.requests() else 0
    try:
        from sequence.trading.models import BotEngine

        start = BotEngine.objects.get(bot=bot).steps
        eventually(lambda: BotEngine.objects.get(bot=bot).steps >= start + 30, timeout=90, what="30 steps",
                   logs=[worker, *spares])
    finally:
        for w in spares:
            w.stop()
        services.bot_stop(bot_id=bot.pk, actor=None)
    mine = [r for r in venue.admin.requests(since) if r["key"] == key.api_key]
    assert len(mine) >= 30  # (at least one request per step)
    mine.sort(key=lambda r: r["start_ms"])
    overlaps = [(a, b) for a, b in itertools.pairwise(mine) if b["start_ms"] < a["end_ms"]]
    assert overlaps == []
