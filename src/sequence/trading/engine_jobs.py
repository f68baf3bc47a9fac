"""The step of one bot as a job, and the chain of steps.

A live bot's steps form a chain: each step, in the same transaction as the state it wrote,
defers the next one (``lock`` and ``queueing_lock`` ``bot:{id}``: two steps of one bot never
run together, and at most one waits). ``ensure_chains`` (periodic) re-creates a chain that
was lost. The interval is market time (ENGINE_STEP_SECONDS), turned into wall time by the
market's observed speed, so the demo's accelerated clock steps faster.

Workers LISTEN for new jobs and poll every WORKER_POLL_SECONDS for scheduled ones (settings).
One job per bot-step: bench/engine_bench.py measures what a step costs, jobs included;
batching bots per job (fixed shards whose lock is the shard's) is the lever if jobs ever
become the limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from sequence.catalog.selectors import strategy_version_params
from sequence.core.clock import Clock, SystemClock
from sequence.engine.model import BotContext, SideMemo
from sequence.engine.runner import StepResult, run_step
from sequence.exchanges.errors import AuthenticationError, ExchangeError, PermissionDeniedError
from sequence.exchanges.port import ExchangePort
from sequence.ops.jobs import defer, defer_statement
from sequence.strategy.params import Params
from sequence.trading import hooks, store
from sequence.trading.models import Bot
from sequence.trading.ports import port_for, precision_of
from sequence.trading.statuses import BotStatus

log = logging.getLogger(__name__)

STEPPING = (BotStatus.LIVE, BotStatus.PAUSED, BotStatus.NEEDS_ATTENTION)
# The one clock seam (sequence.core.clock): wall time of steps; tests may put a ManualClock here.
CLOCK: Clock = SystemClock()
# The benchmark's seam (bench/engine_bench.py): a process that sets it steps every bot through
# the port it returns (an in-process simulated exchange) instead of the bot's real exchange.
PORT_FACTORY: Callable[[Bot], ExchangePort] | None = None


def lock_of(bot_id) -> str:
    return f"bot:{bot_id}"


def _defer_step(bot_id, *, seconds: float = 0.0) -> int | None:
    from sequence.trading.tasks import bot_step

    # A step due sooner than a worker's poll is deferred as due now: NOTIFY wakes a worker at
    # once, whereas a job scheduled a few milliseconds ahead would wait for the next poll.
    if seconds < settings.WORKER_POLL_SECONDS:
        seconds = 0.0
    schedule = {"milliseconds": int(seconds * 1000)} if seconds > 0 else None
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


@dataclass(frozen=True, slots=True)
class _Static:
    """What a step needs of a bot that changes only with a new strategy version or key."""

    bot: Bot
    params: Params
    sides: tuple[str, ...]
    key: tuple


_STATIC: dict[str, _Static] = {}
_STATIC_LOCK = threading.Lock()


def _static(bot_id, flags: dict) -> _Static:
    key = (flags["strategy_version_id"], flags["credential_id"])
    with _STATIC_LOCK:
        cached = _STATIC.get(str(bot_id))
    if cached is not None and cached.key == key:
        return cached
    bot = Bot.objects.select_related("offering__strategy", "offering__exchange", "strategy_version",
                                     "credential", "user").get(pk=bot_id)
    params = Params.from_mapping(bot.strategy_version.params)
    sides = tuple(n for n, on in (("long", params.long_enabled), ("short", params.short_enabled)) if on)
    store.ensure_rows(bot.pk, list(sides))
    static = _Static(bot, params, sides, key)
    with _STATIC_LOCK:
        _STATIC[str(bot_id)] = static
    return static


def _load(bot_id):
    """The bot's static part and its state, with the step lock held; (None, None) to stand down."""
    flags, loaded = store.load(bot_id)
    if flags is not None and loaded is None and not flags["rows"] and flags["launched"] \
            and flags["status"] in STEPPING:
        _static(bot_id, flags)  # a new bot: its engine rows are created, then it loads
        flags, loaded = store.load(bot_id)
    if flags is None or loaded is None:
        if flags is not None and flags["busy"]:
            # Another step of this bot is running (its job was requeued as stalled while it
            # still ran): it, not this one, carries the chain on.
            log.warning("bot %s: a step is already running, this one stands down", bot_id)
        return None, None
    try:
        static = _static(bot_id, flags)
        loaded.versions = _versions_run(loaded, flags["strategy_version_id"])
        for name in static.sides:  # a side new to this bot: its row was just created, with these defaults
            if name not in loaded.state.sides:
                loaded.state.sides[name] = SideMemo(name)
                loaded.sides_before[name] = store.side_signature(SideMemo(name))
        return static, loaded
    except BaseException:
        store.unlock(flags["number"])
        raise


# Strategy versions are immutable rows: their parameters are read once per process.
_VERSIONS: dict[int, Params] = {}


def _versions_run(loaded, current) -> dict[int, Params]:
    """The parameters of the older versions this bot's sides still run (a move waits for the
    side's next cycle)."""
    out = {}
    for memo in loaded.state.sides.values():
        vid = memo.params_version
        if vid is None or vid == current:
            continue
        if vid not in _VERSIONS:
            _VERSIONS[vid] = Params.from_mapping(strategy_version_params(vid))
        out[vid] = _VERSIONS[vid]
    return out


def _context(static: _Static, market, loaded) -> BotContext:
    bot = static.bot
    return BotContext(bot_id=str(bot.pk), number=int(bot.number or 0), symbol=bot.offering.symbol,
                      base_currency=bot.offering.strategy.base_currency, params=static.params,
                      precision=precision_of(market), hedge=bot.hedge_mode, spot=bot.offering.market == "spot",
                      contract_size=market.contract_size or 1, version=static.key[0], versions=loaded.versions)


class _SqlStore:
    """The runner's store: writes the step's orders before they are sent (one round trip)."""

    def __init__(self, bot_id, loaded) -> None:
        self.bot_id = bot_id
        self.loaded = loaded

    async def commit(self, ctx, state) -> None:
        statements = store.step_statements(self.bot_id, state, self.loaded)
        if statements:
            await sync_to_async(store.execute)(statements)


async def step_bot(bot_id, *, port: ExchangePort | None = None, schedule: bool = True) -> StepResult | None:
    """One step of one bot (the job's body). ``port``: tests and benchmarks pass their own."""
    static, loaded = await sync_to_async(_load)(bot_id)
    if static is None:
        return None
    unlocked = False
    try:
        result, ctx, error = await _step_locked(static, loaded, port)
        unlocked = await sync_to_async(_finish)(static.bot, ctx, loaded, error, schedule,
                                                error.startswith("the exchange refused the key"))
        return result
    finally:  # whatever happened, the bot's step lock goes (a held one would stop it for good)
        if not unlocked:
            await sync_to_async(store.unlock)(static.bot.number)


async def _step_locked(static: _Static, loaded, port: ExchangePort | None):
    state = loaded.state
    state.wall_ms = CLOCK.now_ms()
    error = ""
    result: StepResult | None = None
    ctx = None
    try:
        if port is None and PORT_FACTORY is not None:
            port = PORT_FACTORY(static.bot)
        port = port or await sync_to_async(port_for)(static.bot)
        markets = await port.load_markets()
        market = markets.get(static.bot.offering.symbol)
        if market is None:
            raise ExchangeError(f"{static.bot.offering.symbol} is not a market of this exchange")
        ctx = _context(static, market, loaded)
        result = await run_step(ctx, port, _SqlStore(static.bot.pk, loaded), state)
    except (AuthenticationError, PermissionDeniedError) as exc:
        error = f"the exchange refused the key: {exc}"
    except ExchangeError as exc:
        error = f"exchange: {exc}"
    except Exception as exc:  # a bug must not end the chain: it is recorded, the next step retries
        log.exception("step of bot %s failed", static.bot.pk)
        error = f"internal: {type(exc).__name__}: {exc}"
    return result, ctx, error


def _finish(bot: Bot, ctx, loaded, error: str, schedule: bool, key_refused: bool) -> bool:
    """The step's last write, with the next step's job and the lock's release: one round trip
    for a step that needs no person and no monitor. Returns True when the lock was released."""
    state = loaded.state
    wall_ms = CLOCK.now_ms()
    speed = store.learned_speed(loaded, state, wall_ms)
    statements = store.end_statements(bot.pk, state, loaded, wall_ms=wall_ms, speed=speed, written=ctx is not None,
                                      base_currency=ctx.base_currency if ctx else "", error=error)
    reason = state.attention or ("the exchange refused the API key" if key_refused else "")
    # monitors look at steps that saw something not of the engine's own doing (a foreign fill is
    # such an event too); the bot's own fills alone are no finding
    watched = hooks.has_monitors() and bool(loaded.saved_events)
    delay = settings.ENGINE_STEP_SECONDS / max(1.0, speed)
    if reason or watched:
        with transaction.atomic():
            # the next step's job goes with the writes; a pause or stop by a monitor or the
            # attention below acts on that job (trading.services moves or drops it)
            store.execute([*statements, _step_statement(bot.pk, delay)] if schedule and state.status in STEPPING
                          else statements)
            _attend(bot, ctx, loaded, reason)
        return False
    unlock = store.unlock_statement(bot.number)
    if not (schedule and state.status in STEPPING):
        store.execute([*statements, unlock])
        return True
    try:
        store.execute([*statements, _step_statement(bot.pk, delay), unlock])
    except IntegrityError as exc:
        if "queueing_lock" not in str(exc):
            raise
        # a step deferred by someone else (pause, resume) between our check and our insert:
        # it carries the chain on
        store.execute([*statements, unlock])
    return True


def _step_statement(bot_id, seconds: float):
    from sequence.trading.tasks import bot_step

    # A step due sooner than a worker's poll is deferred as due now (see _defer_step).
    ms = int(seconds * 1000) if seconds >= settings.WORKER_POLL_SECONDS else 0
    return defer_statement(bot_step, lock=lock_of(bot_id), queueing_lock=lock_of(bot_id), schedule_in_ms=ms,
                           bot_id=str(bot_id))


def _attend(bot: Bot, ctx, loaded, reason: str) -> None:
    """The rarer end of a step: monitors have something to look at, or a person is needed."""
    from sequence.trading import services
    from sequence.trading.notify import email_attention

    state = loaded.state
    flags = store.bot_flags(bot.pk)
    if flags is None:
        return
    if hooks.has_monitors() and loaded.saved_events:
        hooks.run_step_monitors(hooks.StepSummary(
            bot_id=str(bot.pk), status=flags["status"], pause_reasons=tuple(flags["pause_reasons"]),
            balance=state.balance, previous_balance=loaded.balance_before,
            base_currency=ctx.base_currency if ctx else "", market_ms=state.market_ms,
            events=tuple(loaded.saved_events), fills=tuple(loaded.saved_fills)))
        if reason:
            flags = store.bot_flags(bot.pk) or flags
    if reason and flags["status"] in (BotStatus.LIVE, BotStatus.PAUSED):
        current = services.bot_attention(bot_id=bot.pk, reason=reason)
        hint = ("Add funds in the strategy's base currency to the trading account, then tell us."
                if state.attention else "Check the key on the exchange, or submit a new one with “Refresh API”.")
        email_attention(current, reason=reason, hint=hint)
