"""Platform housekeeping jobs (Procrastinate)."""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate import exceptions, jobs
from procrastinate.contrib.django import app

log = logging.getLogger(__name__)


@app.periodic(cron=settings.STALLED_SCAN_CRON, periodic_id="retry_stalled_jobs")
@app.task(name="ops.retry_stalled_jobs", queue="housekeeping", queueing_lock="retry_stalled_jobs",
          pass_context=True)
async def retry_stalled_jobs(context, timestamp: int) -> int:
    """Requeue the jobs of workers that stopped sending heartbeats (killed, machine lost).

    Every job handler is idempotent (emails are deduplicated by their outbox row, engine
    steps reconcile first), so running a job again is safe; losing it is not.

    A stalled job whose queueing lock a waiting job already holds (a shard's next tick, deferred
    by a launch or a pause while the killed tick ran) cannot go back to "todo": the waiting job
    does the same work, so the stalled one ends as aborted instead. Left "doing", it would hold
    its ``lock`` for ever and no job of that lock would ever start again (the shard stops).
    """
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.STALLED_WORKER_SECONDS)
    requeued = superseded = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
            requeued += 1
        except exceptions.UniqueViolation:
            await app.job_manager.finish_job(job, status=jobs.Status.ABORTED, delete_job=False)
            superseded += 1
    if requeued:
        log.warning("requeued %d job(s) of stalled workers", requeued)
    if superseded:
        log.warning("ended %d job(s) of stalled workers whose queueing lock a waiting job holds", superseded)
    return requeued + superseded


@app.task(name="ops.strategy_backtest", queue="housekeeping")
def strategy_backtest(version_id: int) -> str:
    """Build one strategy version's backtest report (idempotent: a built one is kept)."""
    from sequence.ops.backtests import backtest_build

    report = backtest_build(version_id=version_id)
    return "failed" if report.error else "built"
