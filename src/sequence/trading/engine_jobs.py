"""The step of one bot: load, trade (``sequence.engine.runner``), write, next due time.

Steps are run by the shards' ticks (:mod:`sequence.trading.shards`, which also holds the
step clock: ``step_now``, ``ensure_chains``). The interval is market time
(ENGINE_STEP_SECONDS), turned into wall time by the market's observed speed, so the demo's
accelerated clock steps faster.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction

from sequence.catalog.selectors import strategy_version_params
from sequence.core.clock import Clock, SystemClock
from sequence.engine.model import BotContext, SideMemo
from sequence.engine.runner import StepResult, run_step
from sequence.exchanges.errors import AuthenticationError, ExchangeError, PermissionDeniedError
from sequence.exchanges.port import ExchangePort
from sequence.strategy.params import Params
from sequence.trading import hooks, store
from sequence.trading.lanes import CALLER, Lane
from sequence.trading.models import Bot
from sequence.trading.ports import port_for, precision_of
from sequence.trading.shards import ensure_chains, step_now  # noqa: F401 - the step clock's entry points
from sequence.trading.statuses import STEPPING, BotStatus

log = logging.getLogger(__name__)

# The one clock seam (sequence.core.clock): wall time of steps; tests may put a ManualClock here.
CLOCK: Clock = SystemClock()
# The benchmark's seam (bench/engine_bench.py): a process that sets it steps every bot through
# the port it returns (an in-process simulated exchange) instead of the bot's real exchange.
PORT_FACTORY: Callable[[Bot], ExchangePort] | None = None
# Bots stepping in this process. Steps of several bots share a lane's connection, on which an
# advisory lock is re-entrant: this set keeps a second step of a bot out when the lock cannot.
_RUNNING: set[str] = set()


def lock_of(bot_id) -> str:
    """The job lock of a bot's one-off jobs (verify, launch, wind down)."""
    return f"bot:{bot_id}"


def chain_start(bot: Bot) -> None:
    step_now(bot)


@contextlib.asynccontextmanager
async def no_step_of(bot: Bot, timeout: float = 120.0):
    """While inside, no step of the bot runs anywhere: this process's claim first (its steps take
    their locks on one connection, where an advisory lock is re-entrant), then the step lock,
    polled (a blocking wait would hold a connection other steps need)."""
    key = str(bot.pk)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if key not in _RUNNING:
            _RUNNING.add(key)
            if await sync_to_async(store.try_lock)(bot.pk):
                break
            _RUNNING.discard(key)
        if loop.time() > deadline:
            raise TimeoutError(f"bot {bot.pk}: a step held it for over {timeout:.0f} s")
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        try:
            await sync_to_async(store.unlock)(bot.pk)
        finally:
            _RUNNING.discard(key)


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
    return _ready(bot_id, *store.load(bot_id))


def _load_many(bot_ids: list[str]) -> dict[str, tuple]:
    """:func:`_load` of a tick's bots in one query; only those to step, their locks held on this
    lane's connection. A bot whose set-up fails is logged and left out (its lock released)."""
    out = {}
    for key, (flags, loaded) in store.load_many(bot_ids).items():
        try:
            static, ready = _ready(key, flags, loaded)
        except Exception:
            log.exception("loading bot %s for its step failed", key)
            continue
        if static is not None:
            out[key] = (static, ready)
    return out


def _ready(bot_id, flags, loaded):
    if flags is not None and loaded is None and not flags["rows"] and flags["launched"] \
            and flags["status"] in STEPPING:
        _static(bot_id, flags)  # a new bot: its engine rows are created, then it loads
        flags, loaded = store.load(bot_id)
    if flags is None or loaded is None:
        if flags is not None and flags["busy"]:
            # another step of this bot is running (its tick was requeued as stalled while it
            # still ran, or a wind-down holds it): it, not this one, carries the chain on
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
        store.unlock(bot_id)
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

    def __init__(self, bot_id, loaded, lane: Lane) -> None:
        self.bot_id = bot_id
        self.loaded = loaded
        self.lane = lane

    async def commit(self, ctx, state) -> None:
        statements = store.step_statements(self.bot_id, state, self.loaded)
        if statements:
            await self.lane(store.execute)(statements)
        statements.saved()


async def step_bot(bot_id, *, port: ExchangePort | None = None, schedule: bool = True,
                   lane: Lane = CALLER) -> StepResult | None:
    """One step of one bot (by hand, in tests; ticks use :func:`step_many`). ``port``: tests and
    benchmarks pass their own. ``schedule`` False leaves the bot's next due time alone (a step
    run by hand). ``lane``: the thread of its database work (sequence.trading.lanes); by default
    the caller's."""
    key = str(bot_id)
    if key in _RUNNING:
        log.warning("bot %s: a step is already running in this process, this one stands down", bot_id)
        return None
    _RUNNING.add(key)
    lane = lane.of(key)  # every database call of the step on one connection: the lock's
    try:
        static, loaded = await _locking(lane, _load, bot_id, lambda got: [bot_id] if got[0] is not None else [])
        if static is None:
            return None
        return await _step_loaded(static, loaded, port, lane, lane, schedule)
    finally:
        _RUNNING.discard(key)


async def _locking(lane: Lane, load: Callable, arg, locked: Callable) -> Any:
    """``await lane(load)(arg)`` for a load that takes step locks. Cancelled meanwhile (a worker
    shutting down, a job aborted), the load still ends on its lane, and the locks it took
    (``locked(result)``: the bot ids) are released there, on the lane's own thread: lost, they
    would keep those bots from stepping for the connection's life. The release does not wait
    on the cancelled task (the event loop may be closing)."""
    if lane.executor is None:  # the caller's own thread (a step by hand): its cancellation is its own
        return await lane(load)(arg)
    done = lane.submit(load, arg)
    try:
        return await asyncio.shield(asyncio.wrap_future(done))
    except asyncio.CancelledError:
        def release(finished) -> None:
            if not finished.cancelled() and finished.exception() is None:
                ids = locked(finished.result())
                if ids:
                    lane.submit(store.unlock_many, ids)

        done.add_done_callback(release)
        raise


async def step_many(bot_ids: list[str], *, lane: Lane, concurrency: int,
                    before: Callable[[str], None] | None = None,
                    after: Callable[[str, float], None] | None = None) -> int:
    """The steps of a shard's due bots (its tick), ``concurrency`` at once; returns how many stepped.

    They load ``concurrency`` at a time, each batch in one query on ``lane``, whose connection
    then holds their step locks; each bot's exchange work and mid-step writes go on its own
    lane of the pool, its last write and the lock's release on ``lane`` again: one round trip
    and one transaction fewer per step than :func:`step_bot` (bench/engine_bench.py). A batch
    is loaded only when a step slot is free and nothing loaded waits, so a state waits at most
    about one step between its load and its step (a pause made meanwhile counts from the next
    step, as for a step already running). ``before`` and ``after`` (the benchmarks' lag and
    duration) are called around each bot's step."""
    from sequence.trading.lanes import POOL

    keys = []
    for key in dict.fromkeys(map(str, bot_ids)):
        if key in _RUNNING:
            log.warning("bot %s: a step is already running in this process, this one stands down", key)
        else:
            keys.append(key)
    _RUNNING.update(keys)
    to_load = collections.deque(keys)
    loaded_ones: collections.deque = collections.deque()  # loaded, their locks held, their steps not begun
    loading = asyncio.Lock()
    stepped = 0

    async def next_loaded():
        async with loading:
            if not loaded_ones and to_load:
                batch = [to_load.popleft() for _ in range(min(concurrency, len(to_load)))]
                ready = await _locking(lane, _load_many, batch, list)
                loaded_ones.extend(ready.items())
                _RUNNING.difference_update(k for k in batch if k not in ready)
            return loaded_ones.popleft() if loaded_ones else None

    async def slot() -> None:
        nonlocal stepped
        while (item := await next_loaded()) is not None:
            key, (static, loaded) = item  # from here the step releases its own lock
            if before is not None:
                before(key)
            started = time.perf_counter()
            try:
                await _step_loaded(static, loaded, None, POOL.of(key), lane, True)
            except Exception:  # _step_loaded records its own failures; this is a bug's last net
                log.exception("step of bot %s failed outside its own guard", key)
            finally:
                _RUNNING.discard(key)
            stepped += 1
            if after is not None:
                after(key, time.perf_counter() - started)

    try:
        await asyncio.gather(*(slot() for _ in range(min(concurrency, len(keys)))))
        return stepped
    finally:
        if loaded_ones:  # the tick was cancelled before these bots' steps began: their locks go
            await lane(store.unlock_many)(sorted(k for k, _ in loaded_ones))
        _RUNNING.difference_update(keys)


async def _step_loaded(static: _Static, loaded, port: ExchangePort | None, lane: Lane, lock_lane: Lane,
                       schedule: bool) -> StepResult | None:
    """A loaded bot's step; its last write and the lock's release on ``lock_lane`` (the lock's
    connection)."""
    unlocked = False
    try:
        result, ctx, error = await _step_locked(static, loaded, port, lane)
        unlocked = await lock_lane(_finish)(static.bot, ctx, loaded, error, schedule,
                                            error.startswith("the exchange refused the key"))
        return result
    finally:  # whatever happened, the bot's step lock goes (a held one would stop it for good)
        if not unlocked:
            await lock_lane(store.unlock)(static.bot.pk)


async def _step_locked(static: _Static, loaded, port: ExchangePort | None, lane: Lane):
    state = loaded.state
    state.wall_ms = CLOCK.now_ms()
    error = ""
    result: StepResult | None = None
    ctx = None
    try:
        if port is None and PORT_FACTORY is not None:
            port = PORT_FACTORY(static.bot)
        port = port or await lane(port_for)(static.bot)
        markets = await port.load_markets()
        market = markets.get(static.bot.offering.symbol)
        if market is None:
            raise ExchangeError(f"{static.bot.offering.symbol} is not a market of this exchange")
        ctx = _context(static, market, loaded)
        result = await run_step(ctx, port, _SqlStore(static.bot.pk, loaded, lane), state)
    except (AuthenticationError, PermissionDeniedError) as exc:
        error = f"the exchange refused the key: {exc}"
    except ExchangeError as exc:
        error = f"exchange: {exc}"
    except Exception as exc:  # a bug must not end the chain: it is recorded, the next step retries
        log.exception("step of bot %s failed", static.bot.pk)
        error = f"internal: {type(exc).__name__}: {exc}"
    return result, ctx, error


def _finish(bot: Bot, ctx, loaded, error: str, schedule: bool, key_refused: bool) -> bool:
    """The step's last write, with the next due time and the lock's release: one round trip
    for a step that needs no person and no monitor. Returns True when the lock was released."""
    state = loaded.state
    wall_ms = CLOCK.now_ms()
    speed = store.learned_speed(loaded, state, wall_ms)
    delay = settings.ENGINE_STEP_SECONDS / max(1.0, speed)
    next_in = (delay, min(settings.ENGINE_TICK_SECONDS, delay)) if schedule else None
    statements = store.end_statements(bot.pk, state, loaded, wall_ms=wall_ms, speed=speed, written=ctx is not None,
                                      base_currency=ctx.base_currency if ctx else "", error=error, next_in=next_in)
    reason = state.attention or ("the exchange refused the API key" if key_refused else "")
    # monitors look at steps that saw something not of the engine's own doing (a foreign fill is
    # such an event too); the bot's own fills alone are no finding
    watched = hooks.has_monitors() and bool(loaded.saved_events or statements.events)
    if reason or watched:
        with transaction.atomic():
            # the next due time goes with the writes; a pause or stop by a monitor or the
            # attention below moves it (trading.services asks for a step now)
            store.execute(statements)
            statements.saved()
            _attend(bot, ctx, loaded, reason)
        return False
    store.execute([*statements, store.unlock_statement(bot.pk)])
    statements.saved()
    return True


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
