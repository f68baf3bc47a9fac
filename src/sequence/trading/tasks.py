"""Jobs of trading (Procrastinate). Thin: the work is in engine_jobs and launch."""

from __future__ import annotations

from procrastinate.contrib.django import app

from sequence.ops.jobs import retry_conflicts


@app.task(name="trading.step_shard", queue="engine")
async def step_shard(shard: int) -> None:
    """One tick of one shard of bots: its due bots step (sequence.trading.shards)."""
    from sequence.trading.shards import step_shard as run

    await run(shard)


@app.task(name="trading.launch_bot", queue="engine")
async def launch_bot(bot_id: str, actor_id: int | None = None) -> None:
    from sequence.trading.launch import launch

    await launch(bot_id, actor_id)


@app.task(name="trading.wind_down_bot", queue="engine")
async def wind_down_bot(bot_id: str, operator_id: int | None = None) -> None:
    from sequence.trading.launch import wind_down

    await wind_down(bot_id, operator_id)


@app.periodic(cron="* * * * *", periodic_id="ensure_step_chains")
@app.task(name="trading.ensure_chains", queue="housekeeping", queueing_lock="ensure_chains")
def ensure_chains(timestamp: int) -> None:
    """Every minute: any shard of stepping bots without a waiting or running tick gets one."""
    from sequence.trading.engine_jobs import ensure_chains as run

    retry_conflicts(run)()


@app.periodic(cron="*/10 * * * *", periodic_id="prune_step_jobs")
@app.task(name="trading.prune_step_jobs", queue="housekeeping", queueing_lock="prune_step_jobs", pass_context=True)
async def prune_step_jobs(context, timestamp: int) -> None:
    """Every 10 minutes: finished step jobs older than ENGINE_JOBS_KEEP_HOURS go.

    Every shard-tick is a job: 64 shards ticking every second leave 5.5 million succeeded job
    rows (and their events) a day, which would slow every fetch. Failed jobs stay for a person."""
    from django.conf import settings

    await context.app.job_manager.delete_old_jobs(nb_hours=settings.ENGINE_JOBS_KEEP_HOURS, queue="engine")
