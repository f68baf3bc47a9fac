"""How our Procrastinate app behaves in a worker: a failed fetch does not stop it.

Procrastinate's worker stops (and its process exits) when fetching the next job raises: a
dropped database connection, a failover, a statement cancelled by an administrator. Every job it
was running is then abandoned until the stalled-job scan requeues it, and an engine worker's
shard ticks wait that long. A fetch that fails is logged and counts as "no job now": the worker
tries again at its polling interval (WORKER_POLL_SECONDS), and its heartbeat, which fails on a
database that stays down, still decides whether it is alive.
"""

from __future__ import annotations

import logging
from typing import Any

from procrastinate import exceptions

log = logging.getLogger(__name__)


def on_app_ready(app: Any) -> None:
    """PROCRASTINATE_ON_APP_READY: called once with the app, in every process."""
    manager = app.job_manager
    fetch = manager.fetch_job

    async def fetch_job(queues: Any, worker_id: int) -> Any:
        try:
            return await fetch(queues=queues, worker_id=worker_id)
        except exceptions.ConnectorException as exc:
            log.warning("fetching the next job failed (tried again at the next poll): %s", _first_line(exc))
            return None

    manager.fetch_job = fetch_job


def _first_line(exc: BaseException) -> str:
    """The database's own message (Procrastinate's wrapper says only "Database error"), first
    line only; never raises, or the guard itself would stop the worker."""
    lines = str(exc.__cause__ or exc).strip().splitlines()
    return lines[0] if lines else type(exc.__cause__ or exc).__name__
