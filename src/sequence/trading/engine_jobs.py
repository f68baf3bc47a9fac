"""The step of one bot as a job, and the chain of steps.

A live bot's steps form a chain: each step, in the same transaction as the state it wrote,
defers the next one (``lock`` and ``queueing_lock`` ``bot:{id}``: two steps of one bot never
run together, and at most one waits). ``ensure_chains`` (periodic) re-creates a chain that
was lost (a bug, a deleted job). The interval is market time (ENGINE_STEP_SECONDS), turned
into wall time by the market's observed speed, so the demo's accelerated clock steps faster.

Batching: one job per bot-step. The benchmark (bench/engine_bench.py) measures the job
overhead; batching several bots per job (fixed shards, the lock being the shard's) would
be the next step if it became the limit.
"""

from __future__ import annotations

import logging
import time
import traceback

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction

from sequence.engine.model import BotContext
from sequence.engine.runner import StepResult, run_step
from sequence.exchanges.errors import AuthenticationError, ExchangeError, PermissionDeniedError
from sequence.exchanges.port import ExchangePort
from sequence.ops.jobs import defer
from sequence.strategy.params import Params
from sequence.trading import store
from sequence.trading.models import Bot
from sequence.trading.ports import port_for, precision_of
from sequence.trading.statuses import BotStatus

log = logging.getLogger(__name__)

STEPPING = (BotStatus.LIVE, BotStatus.PAUSED, BotStatus.NEEDS_ATTENTION)
_MARKETS: dict[tuple, object] = {}


def lock_of(bot_id) -> str:
    return f"bot:{bot_id}"


def _defer_step(bot_id, *, seconds: float = 0.0) -> int | None:
    from sequence.trading.tasks import bot_step

    schedule = {"milliseconds": max(0, int(seconds * 1000))} if seconds > 0 else None
    return defer(bot_step, lock=lock_of(bot_id), queueing_lock=lock_of(bot_id), schedule_in=schedule,
                 bot_id=str(bot_id))


def chain_start(bot: Bot) -> None:
    _defer_step(bot.pk)


def step_now(bot: Bot) -> None:
    """Bring the waiting step forward to now (or defer one): pause and resume act at once."""
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE queueing_lock = %s "
                    "AND status = 'todo'", [lock_of(bot.pk)])
        moved = cur.rowcount
    if not moved:
        _defer_step(bot.pk)


def ensure_chains() -> int:
    """Defer a step for every stepping bot that has none waiting or running; returns how many."""
    with connection.cursor() as cur:
        cur.execute("SELECT lock FROM procrastinate_jobs WHERE lock LIKE 'bot:%%' "
                    "AND status IN ('todo', 'doing')")
        busy = {row[0] for row in cur.fetchall()}
    count = 0
    for bot_id in Bot.objects.filter(status__in=STEPPING, launched_at__isnull=False).values_list("pk", flat=True):
        if lock_of(bot_id) not in busy and _defer_step(bot_id) is not None:
            count += 1
    if count:
        log.warning("re-created %d lost step chain(s)", count)
    return count


def _context(bot: Bot, market) -> BotContext:
    strategy = bot.offering.strategy
    params = Params.from_mapping(bot.strategy_version.params)
    return BotContext(bot_id=str(bot.pk), number=int(bot.number or 0), symbol=bot.offering.symbol,
                      base_currency=strategy.base_currency, params=params, precision=precision_of(market),
                      hedge=bot.hedge_mode, spot=bot.offering.market == "spot",
                      contract_size=market.contract_size or 1)


def _load(bot_id):
    bot = Bot.objects.select_related("offering__strategy", "offering__exchange", "strategy_version",
                                     "credential", "user").get(pk=bot_id)
    if bot.status not in STEPPING or bot.launched_at is None:
        return bot, None
    store.ensure_sides(bot, _side_names(bot))
    return bot, store.load_state(bot)


def _side_names(bot: Bot) -> list[str]:
    params = Params.from_mapping(bot.strategy_version.params)
    return [n for n, on in (("long", params.long_enabled), ("short", params.short_enabled)) if on]


class _OrmStore:
    def __init__(self, bot_id) -> None:
        self.bot_id = bot_id

    async def commit(self, ctx, state) -> None:
        await sync_to_async(store.save_state)(self.bot_id, ctx, state)


async def _market(port: ExchangePort, symbol: str):
    markets = await port.load_markets()
    if symbol not in markets:
        raise ExchangeError(f"{symbol} is not a market of this exchange")
    return markets[symbol]


async def step_bot(bot_id, *, port: ExchangePort | None = None, schedule: bool = True) -> StepResult | None:
    """One step of one bot (the job's body). ``port``: tests and benchmarks pass their own."""
    bot, state = await sync_to_async(_load)(bot_id)
    if state is None:
        return None
    port = port or await sync_to_async(port_for)(bot)
    error = ""
    result: StepResult | None = None
    try:
        ctx = _context(bot, await _market(port, bot.offering.symbol))
        result = await run_step(ctx, port, _OrmStore(bot.pk), state)
    except (AuthenticationError, PermissionDeniedError) as exc:
        error = f"the exchange refused the key: {exc}"
        ctx = None
    except ExchangeError as exc:
        error = f"exchange: {exc}"
        ctx = None
    except Exception as exc:  # a bug must not end the chain: it is recorded, the next step retries
        log.exception("step of bot %s failed", bot_id)
        error = f"internal: {type(exc).__name__}: {exc}"
        ctx = None
    await sync_to_async(_finish)(bot, ctx, state, error, schedule, isinstance_auth(error))
    return result


def isinstance_auth(error: str) -> bool:
    return error.startswith("the exchange refused the key")


@transaction.atomic
def _finish(bot: Bot, ctx, state, error: str, schedule: bool, key_refused: bool) -> None:
    from sequence.trading import services
    from sequence.trading.notify import email_attention

    if ctx is not None:
        store.save_state(bot.pk, ctx, state)
    speed = store.record_step_end(bot.pk, wall_ms=int(time.time() * 1000), market_ms=state.market_ms, error=error)
    current = Bot.objects.select_for_update(of=("self",)).get(pk=bot.pk)
    reason = state.attention or ("the exchange refused the API key" if key_refused else "")
    if reason and current.status in (BotStatus.LIVE, BotStatus.PAUSED):
        hint = ("Add funds in the strategy's base currency to the trading account, then tell us."
                if state.attention else "Check the key on the exchange, or submit a new one with “Refresh API”.")
        services.bot_attention(bot_id=bot.pk, reason=reason)
        email_attention(current, reason=reason, hint=hint)
    if schedule and current.status in STEPPING:
        _defer_step(bot.pk, seconds=settings.ENGINE_STEP_SECONDS / max(1.0, speed))


def step_error_trace() -> str:
    return traceback.format_exc(limit=3)
