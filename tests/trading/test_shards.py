"""The step clock: shards' ticks step their due bots, keep each bot's cadence, defer the next
tick at the earliest due time; pause and resume bring a step forward; nothing steps a bot that
a wind-down holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.utils import timezone

from sequence.trading import engine_jobs, services, shards
from sequence.trading.models import Bot, BotEngine
from sequence.trading.statuses import PauseReason
from tests.trading.helpers import live_bot, parity_venue

pytestmark = pytest.mark.django_db(transaction=True)
PARAMS = {"sides": "both"}


@pytest.fixture
def venue():
    return parity_venue()


@pytest.fixture
def through(monkeypatch):
    """Ticks step each bot through its own in-process venue port."""
    ports: dict[str, object] = {}
    monkeypatch.setattr(engine_jobs, "PORT_FACTORY", lambda bot: ports[str(bot.pk)])
    return ports


@pytest.fixture(autouse=True)
def _release_held_shards():
    """The holds go with the test (Procrastinate's tables are not flushed between tests): a
    shard left held would never tick again for the rest of the suite."""
    yield
    with connection.cursor() as cur:
        cur.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'tests.hold'")


def hold_shard_from_workers(shard) -> None:
    """The suite's background worker (if one runs) must not tick this shard: a running job holding
    the shard's lock, owned by that live worker (so never requeued as stalled), keeps every tick
    of it waiting (Procrastinate starts no job whose lock a running job holds). These tests run
    the ticks by hand."""
    from django.db import IntegrityError, transaction

    from tests.support.eventually import eventually

    def held() -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                # no worker's fetch may be choosing a tick of the shard while the hold goes in: it
                # would not see the hold and break the one-running-job-per-lock index with it
                cur.execute("LOCK TABLE procrastinate_jobs IN SHARE ROW EXCLUSIVE MODE")
                cur.execute("SELECT max(id) FROM procrastinate_workers")
                worker_id = cur.fetchone()[0]
                cur.execute("INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, status, worker_id) "
                            "VALUES ('engine', 'tests.hold', %s, '{}', 'doing', %s)",
                            [shards.shard_lock(shard), worker_id])
            return True
        except IntegrityError:  # a worker runs a tick of it right now: once it has ended
            return False

    eventually(held, timeout=30, interval=0.05, what=f"shard {shard} held from the workers")


def not_due_yet(bot) -> None:
    """Launch's ``step_now`` without the hurry: the engine row, due never."""
    BotEngine.objects.update_or_create(bot_id=bot.pk, defaults={"shard": shards.shard_of(bot.number),
                                                                 "next_step_at": None})


def two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch):
    user = make_user("shard@example.com")
    with monkeypatch.context() as quiet:
        # launch neither defers a tick nor makes them due: a tick of their shard left by an earlier
        # test would then run now, on the background worker, before the shard is held below
        quiet.setattr(engine_jobs, "step_now", not_due_yet)
        first, port1 = live_bot(user, venue, PARAMS)
        second, port2 = live_bot(user, venue, PARAMS)
    # the same shard: numbers apart by a multiple of the shard count
    Bot.objects.filter(pk=second.pk).update(number=first.number + settings.ENGINE_SHARDS)
    second.refresh_from_db()
    through[str(first.pk)], through[str(second.pk)] = port1, port2
    shard = shards.shard_of(first.number)
    BotEngine.objects.filter(bot__in=[first, second]).update(shard=shard)
    hold_shard_from_workers(shard)
    BotEngine.objects.filter(bot__in=[first, second]).update(next_step_at=timezone.now())
    return first, second, shard


def engine(bot) -> BotEngine:
    return BotEngine.objects.get(bot=bot)


def todo_ticks(shard):
    with connection.cursor() as cur:
        cur.execute("SELECT scheduled_at FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'",
                    [shards.shard_lock(shard)])
        return [row[0] for row in cur.fetchall()]


def test_a_tick_steps_only_its_due_bots_and_defers_the_next_at_the_earliest(make_user, venue, through, settings, monkeypatch):
    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    later = timezone.now() + timedelta(hours=1)
    BotEngine.objects.filter(bot=second).update(next_step_at=later)
    stepped = async_to_sync(shards.step_shard)(shard)
    assert stepped == 1
    assert engine(first).steps == 1 and engine(second).steps == 0
    due = engine(first).next_step_at
    # the cadence: one interval on, rounded up to the tick grid
    assert timedelta(0) < due - timezone.now() <= timedelta(seconds=settings.ENGINE_STEP_SECONDS + 1)
    assert due.timestamp() % settings.ENGINE_TICK_SECONDS == 0
    assert todo_ticks(shard) == [due]  # the earliest of the shard's due times


def test_the_cadence_is_kept_from_the_due_time_not_from_the_end_of_the_step(make_user, venue, through, settings, monkeypatch):
    first, _, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    BotEngine.objects.exclude(bot=first).update(next_step_at=None)
    ran_for = timezone.now() - timedelta(seconds=settings.ENGINE_STEP_SECONDS / 2)  # half an interval late
    ran_for = ran_for.replace(microsecond=0)
    BotEngine.objects.filter(bot=first).update(next_step_at=ran_for)
    async_to_sync(shards.step_shard)(shard)
    assert engine(first).next_step_at == ran_for + timedelta(seconds=settings.ENGINE_STEP_SECONDS)


def test_a_stopped_bot_is_due_never_and_its_shard_stops_ticking(make_user, venue, through, settings, operator, monkeypatch):
    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    for bot in (first, second):
        services.bot_stop(bot_id=bot.pk, actor=operator)
    with connection.cursor() as cur:  # the stops' wind-downs: not run here
        cur.execute("DELETE FROM procrastinate_jobs WHERE task_name <> 'tests.hold'")
    assert async_to_sync(shards.step_shard)(shard) == 0
    assert engine(first).next_step_at is None and engine(second).next_step_at is None
    assert todo_ticks(shard) == []
    assert shards.ensure_chains() == 0


def test_a_pause_during_a_step_keeps_the_step_it_asked_for(make_user, venue, through, settings, monkeypatch):
    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    BotEngine.objects.filter(bot=second).update(next_step_at=None)
    inner = through[str(first.pk)]

    class PausingPort:
        """The operator pauses the bot while its step reads the exchange."""

        def __getattr__(self, name):
            return getattr(inner, name)

        async def fetch_ticker(self, symbol):
            await sync_to_async(services.bot_pause)(bot_id=first.pk, reason=PauseReason.OPERATOR)
            return await inner.fetch_ticker(symbol)

    through[str(first.pk)] = PausingPort()
    async_to_sync(shards.step_shard)(shard)
    # the pause's "step now" survives the step that was running: due now, and the tick too
    assert engine(first).next_step_at <= timezone.now()
    assert todo_ticks(shard) == [None]
    through[str(first.pk)] = inner
    async_to_sync(shards.step_shard)(shard)
    assert engine(first).steps == 2
    assert engine(first).next_step_at > timezone.now()


def test_ensure_chains_recreates_a_lost_tick_and_moves_bots_when_the_shard_count_changes(
        make_user, venue, through, settings, monkeypatch):
    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    with connection.cursor() as cur:  # the shard's tick lost (a background worker may take the new one)
        cur.execute("DELETE FROM procrastinate_jobs WHERE lock = %s", [shards.shard_lock(shard)])
    assert shards.ensure_chains() == 1
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = %s "
                    "AND status IN ('todo', 'doing', 'succeeded')", [shards.shard_lock(shard)])
        assert cur.fetchone()[0] >= 1
    hold_shard_from_workers(shard)
    assert shards.ensure_chains() == 0  # one waits or runs already
    settings.ENGINE_SHARDS = 7
    shards.ensure_chains()
    assert engine(first).shard == first.number % 7 and engine(second).shard == second.number % 7
    BotEngine.objects.filter(bot=first).update(next_step_at=None)  # a stepping bot without a due time
    shards.ensure_chains()
    assert engine(first).next_step_at is not None


def test_no_step_runs_while_a_wind_down_holds_the_bot(make_user, venue, through, settings, monkeypatch):
    first, _, _ = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    port = through[str(first.pk)]

    async def held():
        async with engine_jobs.no_step_of(first):
            return await engine_jobs.step_bot(first.pk, port=port)

    assert async_to_sync(held)() is None  # it stood down (this process's claim)
    # another process's step (here: another connection) stands down on the step lock
    from sequence.trading import lanes, store

    async def elsewhere():
        return await engine_jobs.step_bot(first.pk, port=port, lane=lanes.POOL)  # locks on another connection

    assert store.try_lock(first.pk)
    try:
        assert async_to_sync(elsewhere)() is None
    finally:
        store.unlock(first.pk)
    assert engine(first).steps == 0
    assert async_to_sync(engine_jobs.step_bot)(first.pk, port=port) is not None
    assert engine(first).steps == 1


def test_a_tick_leaves_no_step_lock_behind(make_user, venue, through, settings, monkeypatch):
    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    async_to_sync(shards.step_shard)(shard)
    assert engine(first).steps == engine(second).steps == 1
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s",
                    [shards_lock_space()])
        assert cur.fetchone()[0] == 0


def shards_lock_space() -> int:
    from sequence.trading.store import STEP_LOCK_SPACE

    return STEP_LOCK_SPACE


def step_locks_held() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted",
                    [shards_lock_space()])
        return cur.fetchone()[0]


class Stalled:
    """An exchange that answers nothing until told: a step through it hangs."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.entered = None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def load_markets(self):
        import asyncio

        self.entered.set()
        await asyncio.Event().wait()  # never set: the call hangs until cancelled


def test_a_cancelled_tick_releases_the_locks_of_the_bots_it_loaded(make_user, venue, through, settings, monkeypatch):
    """A tick loads its bots together (one query, their step locks taken at once on the shard's
    lane); cancelled while their steps hang on the exchange (a worker shutting down), it
    releases every lock."""
    import asyncio

    from sequence.trading import lanes, store

    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    stalled = {str(first.pk): Stalled(through[str(first.pk)]), str(second.pk): Stalled(through[str(second.pk)])}
    monkeypatch.setattr(engine_jobs, "PORT_FACTORY", lambda bot: stalled[str(bot.pk)])
    loads, real = [], store.load_many
    monkeypatch.setattr(store, "load_many", lambda ids: loads.append(sorted(ids)) or real(ids))
    held_while_hanging = []

    async def tick():
        for port in stalled.values():
            port.entered = asyncio.Event()
        task = asyncio.ensure_future(engine_jobs.step_many([str(first.pk), str(second.pk)],
                                                           lane=lanes.POOL.of(shards.shard_lock(shard)),
                                                           concurrency=2))
        await asyncio.gather(*(p.entered.wait() for p in stalled.values()))
        held_while_hanging.append(await sync_to_async(step_locks_held)())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async_to_sync(tick)()
    assert loads == [sorted([str(first.pk), str(second.pk)])], "the tick's bots load in one query"
    assert held_while_hanging == [2]
    assert step_locks_held() == 0
    assert not engine_jobs._RUNNING
    # and both step again at the next tick
    monkeypatch.setattr(engine_jobs, "PORT_FACTORY", lambda bot: through[str(bot.pk)])
    assert async_to_sync(shards.step_shard)(shard) == 2
    assert engine(first).steps == engine(second).steps == 1


def test_a_tick_loads_its_bots_a_step_slot_at_a_time(make_user, venue, through, settings, monkeypatch):
    """With one step slot, each bot loads when the slot is free: a state is never read long
    before its step (a pause made meanwhile would count one step late)."""
    from sequence.trading import lanes, store

    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    loads, real = [], store.load_many
    monkeypatch.setattr(store, "load_many", lambda ids: loads.append(list(ids)) or real(ids))
    stepped = async_to_sync(engine_jobs.step_many)([str(first.pk), str(second.pk)],
                                                  lane=lanes.POOL.of(shards.shard_lock(shard)), concurrency=1)
    assert stepped == 2 and loads == [[str(first.pk)], [str(second.pk)]]
    assert engine(first).steps == engine(second).steps == 1
    assert step_locks_held() == 0


def test_a_tick_cancelled_while_it_loads_releases_the_locks_the_load_took(make_user, venue, through, settings,
                                                                          monkeypatch):
    """Cancelled while its one query runs on the lane (the locks being taken), the tick lets the
    load end, then releases every lock it took: none is left for the connection's life."""
    import asyncio
    import threading

    from sequence.trading import lanes, store

    first, second, shard = two_bots_in_one_shard(make_user, venue, through, settings, monkeypatch)
    loading, go_on = threading.Event(), threading.Event()
    real = store.load_many

    def slow_load(bot_ids):
        got = real(bot_ids)  # the locks are taken here
        loading.set()
        go_on.wait(30)
        return got

    monkeypatch.setattr(store, "load_many", slow_load)
    held_while_loading = []

    async def tick():
        task = asyncio.ensure_future(engine_jobs.step_many([str(first.pk), str(second.pk)],
                                                           lane=lanes.POOL.of(shards.shard_lock(shard)),
                                                           concurrency=2))
        await sync_to_async(loading.wait)(30)
        held_while_loading.append(await sync_to_async(step_locks_held)())
        task.cancel()
        go_on.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    async_to_sync(tick)()
    assert held_while_loading == [2]
    from tests.support.eventually import eventually

    # released on the lane's own thread once the load has ended (the cancelled tick does not wait)
    eventually(lambda: step_locks_held() == 0, timeout=10, interval=0.05, what="the load's locks released")
    assert engine(first).steps == engine(second).steps == 0
    monkeypatch.setattr(store, "load_many", real)
    assert async_to_sync(shards.step_shard)(shard) == 2
