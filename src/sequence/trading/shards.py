"""The step clock: bots are stepped in ticks of shards, one job per shard-tick.

Each bot's engine row holds its shard (``number % ENGINE_SHARDS``) and when its next step is
due (``next_step_at``; NULL: it does not step). A shard's tick is one Procrastinate job,
``trading.step_shard`` with ``lock`` and ``queueing_lock`` ``steps:{shard}``: it loads the
shard's due bots in batches of ``ENGINE_TICK_CONCURRENCY``, one query each, and steps that
many at once (``engine_jobs.step_many``), then defers the shard's next tick at the earliest due time of its
bots, in one statement. Two ticks of one shard never run
together and at most one waits; two steps of one bot never run together (the shard's lock,
and the bot's advisory step lock in ``store.load`` for whatever else steps it).

Why not one job per bot-step, as at first: Procrastinate's own work on a job (fetch, finish,
events) cost more CPU than the whole step of a bot, so at 10,000 bots the jobs alone would
have filled both cores (``bench/engine_bench.py``). A tick's job is shared by the bots that
come due together: each step rounds its next due time up to a grid of
``ENGINE_TICK_SECONDS``.

The rest is as before: a step's writes and its next due time are one write; a pause or resume
asks for a step now (:func:`step_now`: the bot is due now and its shard's tick comes now);
``ensure_chains`` (every minute) re-creates a shard's lost tick; a killed worker's tick is
requeued by ``ops.retry_stalled_jobs``.
"""

from __future__ import annotations

import logging
from collections import deque

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from sequence.ops.jobs import defer, defer_statement
from sequence.trading.lanes import POOL
from sequence.trading.models import Bot, BotEngine
from sequence.trading.statuses import STEPPING

log = logging.getLogger(__name__)

T_BOT, T_ENGINE = Bot._meta.db_table, BotEngine._meta.db_table
# The benchmarks' seams: when deques, each step's lag behind its due time and its wall time
# (seconds) go in.
LAGS: deque[float] | None = None
DURATIONS: deque[float] | None = None


def shard_of(number) -> int:
    return int(number or 0) % settings.ENGINE_SHARDS


def shard_lock(shard: int) -> str:
    return f"steps:{shard}"


def _defer_tick(shard: int) -> int | None:
    from sequence.trading.tasks import step_shard

    return defer(step_shard, lock=shard_lock(shard), queueing_lock=shard_lock(shard), shard=shard)


def step_now(bot: Bot) -> None:
    """The bot's next step is due now and its shard's tick comes now: launch starts the chain
    this way, and pause and resume act at once. In the caller's transaction."""
    shard = shard_of(bot.number)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {T_ENGINE} SET next_step_at = now(), shard = %s WHERE bot_id = %s", [shard, bot.pk])
        if not cur.rowcount:
            BotEngine.objects.create(bot_id=bot.pk, shard=shard, next_step_at=_now(cur))
        cur.execute("UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE queueing_lock = %s AND status = 'todo'",
                    [shard_lock(shard)])
        moved = cur.rowcount
    if not moved:
        _defer_tick(shard)


def _now(cur):
    cur.execute("SELECT now()")
    return cur.fetchone()[0]


_DUE_BOTS = f"""
WITH due AS (
    SELECT e.bot_id, e.next_step_at, b.status = ANY(%s) AND b.launched_at IS NOT NULL AS stepping
      FROM {T_ENGINE} e JOIN {T_BOT} b ON b.id = e.bot_id
     WHERE e.shard = %s AND e.next_step_at <= now()
     ORDER BY e.next_step_at LIMIT %s),
gone AS (
    UPDATE {T_ENGINE} e SET next_step_at = NULL FROM due WHERE e.bot_id = due.bot_id AND NOT due.stepping)
SELECT bot_id, (extract(epoch FROM next_step_at) * 1000)::bigint FROM due WHERE stepping
"""


def due_bots(shard: int, limit: int) -> list[tuple[str, int]]:
    """The shard's bots due now (id, due time in epoch ms), earliest first; a bot that no longer
    steps (stopped) is made due never instead."""
    with connection.cursor() as cur:
        cur.execute(_DUE_BOTS, [list(STEPPING), shard, limit])
        return [(str(bot_id), int(due_ms)) for bot_id, due_ms in cur.fetchall()]


def _next_tick(shard: int) -> None:
    """Defer the shard's next tick at its bots' earliest due time (or bring a waiting one
    forward to it): one round trip, in the tick's own transaction."""
    from sequence.trading.tasks import step_shard

    lock = shard_lock(shard)
    earliest = f"(SELECT min(next_step_at) FROM {T_ENGINE} WHERE shard = %s)"
    # a due time already past is "now" (NULL): only an unscheduled job is announced by NOTIFY
    at = f"(SELECT CASE WHEN m > now() THEN m END FROM {earliest} AS t(m))"
    defer_sql, defer_params = defer_statement(step_shard, lock=lock, queueing_lock=lock, shard=shard)
    defer_sql = defer_sql.replace("NULL::timestamptz", at, 1)
    params = [*defer_params[:6], shard, *defer_params[6:]]
    sql = (f"UPDATE procrastinate_jobs SET scheduled_at = {at} WHERE queueing_lock = %s AND status = 'todo' "
           f"AND scheduled_at IS NOT NULL AND {earliest} IS NOT NULL AND (scheduled_at > {earliest});\n"
           f"{defer_sql} AND EXISTS (SELECT 1 FROM {T_ENGINE} WHERE shard = %s AND next_step_at IS NOT NULL)")
    with connection.cursor() as cur:
        cur.execute(sql, [shard, lock, shard, shard, *params, shard])


async def step_shard(shard: int) -> int:
    """One tick of one shard (the job's body): step its due bots, defer its next tick.

    Returns how many bots it stepped."""
    from sequence.trading.engine_jobs import CLOCK, step_many

    due = await sync_to_async(due_bots)(shard, settings.ENGINE_TICK_BATCH)
    due_ms = dict(due)
    before = after = None
    if LAGS is not None:
        lags = LAGS

        def before(bot_id: str) -> None:
            lags.append(max(0, CLOCK.now_ms() - due_ms[bot_id]) / 1000)
    if DURATIONS is not None:
        durations = DURATIONS

        def after(bot_id: str, seconds: float) -> None:
            durations.append(seconds)
    try:
        # the tick's bots load in batches on the shard's lane, which then holds their step locks
        return await step_many([bot_id for bot_id, _ in due], lane=POOL.of(shard_lock(shard)),
                               concurrency=settings.ENGINE_TICK_CONCURRENCY, before=before, after=after)
    finally:  # even a failed or cancelled tick leaves the shard's next one waiting
        await sync_to_async(_next_tick)(shard)


def ensure_chains() -> int:
    """Every shard with stepping bots gets a waiting or running tick; returns how many were
    re-created. Bots whose shard changed with ENGINE_SHARDS move; a stepping bot with no due
    time is due now."""
    shards = settings.ENGINE_SHARDS
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {T_ENGINE} e SET shard = COALESCE(b.number, 0) %% %s FROM {T_BOT} b "
                    "WHERE b.id = e.bot_id AND e.shard <> COALESCE(b.number, 0) %% %s", [shards, shards])
        cur.execute(f"UPDATE {T_ENGINE} e SET next_step_at = now() FROM {T_BOT} b WHERE b.id = e.bot_id "
                    "AND e.next_step_at IS NULL AND b.status = ANY(%s) AND b.launched_at IS NOT NULL",
                    [list(STEPPING)])
        cur.execute(f"SELECT DISTINCT shard FROM {T_ENGINE} WHERE next_step_at IS NOT NULL")
        wanted = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT lock FROM procrastinate_jobs WHERE lock LIKE 'steps:%%' AND status IN ('todo', 'doing')")
        busy = {row[0] for row in cur.fetchall()}
    count = sum(1 for shard in sorted(wanted) if shard_lock(shard) not in busy and _defer_tick(shard) is not None)
    if count:
        log.warning("re-created %d lost shard tick(s)", count)
    return count
