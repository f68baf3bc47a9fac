"""Deferring jobs inside the caller's transaction, everywhere; retrying database conflicts.

**One way to defer.** Procrastinate's Django connector defers through Django's own
connection, so a job deferred inside ``transaction.atomic`` exists only if that
transaction commits: the outbox promise ("the email exists only if the change
committed"). But a *worker* process swaps the app's connector for a psycopg pool, so
a job deferred by a job went out on another connection, outside the job's
transaction: rolled back rows left jobs pointing at nothing, and a job could run
before the rows it needs were committed. :func:`defer` always goes through a
Django-connector job manager, in the web process and in workers alike. It is the
only place in ``src`` that calls Procrastinate's ``defer`` (a test checks).

**Queueing locks.** A job deferred with a ``queueing_lock`` that is already waiting
raises ``AlreadyEnqueued``; in PostgreSQL that failed INSERT would abort the caller's
whole transaction, so the insert runs in a savepoint and the duplicate is reported
as ``None``.

**Lock order** (every transaction that locks several rows takes them in this order,
and only the rows it means, with ``select_for_update(of=("self",))``):

    user -> bot -> submission -> credential -> engine rows of that bot
    (bot sides, orders, fills) -> outbound email

**Conflicts.** A deadlock or serialization failure is a transient outcome of
concurrency, not a bug: :func:`retry_conflicts` runs the whole transaction again
(a few times, with a short jittered back-off); jobs wrap their service calls with it.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import OperationalError, transaction
from procrastinate import exceptions as pexc
from procrastinate import jobs, manager
from procrastinate.contrib.django.django_connector import DjangoConnector

log = logging.getLogger(__name__)

T = TypeVar("T")

_MANAGER: manager.JobManager | None = None
CONFLICT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def _manager() -> manager.JobManager:
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = manager.JobManager(DjangoConnector())
    return _MANAGER


def defer(task: Any, *, lock: str | None = None, queueing_lock: str | None = None,
          schedule_in: dict | None = None, schedule_at: Any = None, priority: int | None = None,
          **task_kwargs: Any) -> int | None:
    """Defer ``task`` on Django's connection, in the caller's transaction.

    Returns the job id, or ``None`` when ``queueing_lock`` says the job is already waiting.
    """
    options: dict[str, Any] = {}
    if lock is not None:
        options["lock"] = lock
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if schedule_in is not None:
        options["schedule_in"] = schedule_in
    if schedule_at is not None:
        options["schedule_at"] = schedule_at
    if priority is not None:
        options["priority"] = priority
    job = task.configure(**options).job
    deferrer = jobs.JobDeferrer(_manager(), job)
    if queueing_lock is None:
        return deferrer.defer(**task_kwargs)
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not abort the caller
            return deferrer.defer(**task_kwargs)
    except pexc.AlreadyEnqueued:
        return None


def defer_statement(task: Any, *, lock: str, queueing_lock: str, schedule_in_ms: int = 0,
                    **task_kwargs: Any) -> tuple[str, list[Any]]:
    """The SQL that defers ``task`` unless a job with ``queueing_lock`` waits: for a caller that
    sends its transaction as one multi-statement string (the engine's step: one round trip).

    It calls Procrastinate's own ``procrastinate_defer_jobs_v1`` with the job Procrastinate
    builds (queue, task name, priority); the ``NOT EXISTS`` guard replaces the savepoint that
    :func:`defer` needs, since a duplicate's unique violation would abort the whole string.
    """
    job = task.configure(lock=lock, queueing_lock=queueing_lock).job
    scheduled = "now() + %s * interval '1 millisecond'" if schedule_in_ms > 0 else "NULL::timestamptz"
    params: list[Any] = [job.queue, job.task_name, job.priority, job.lock, job.queueing_lock,
                         json.dumps(task_kwargs)]
    if schedule_in_ms > 0:
        params.append(schedule_in_ms)
    params.append(queueing_lock)
    return ("SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, %s::int, %s, %s, %s::jsonb, "
            f"{scheduled})]::procrastinate_job_to_defer_v1[]) WHERE NOT EXISTS "
            "(SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo')", params)


def is_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (SQLSTATE 40P01 / 40001), at any depth."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if code in CONFLICT_SQLSTATES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_conflicts(fn: Callable[..., T] | None = None, *, attempts: int = 5,
                    base_delay: float = 0.05) -> Any:
    """Run ``fn`` again when its transaction died of a deadlock or serialization failure."""

    def wrap(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> T:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if attempt == attempts or not is_conflict(exc) or transaction.get_connection().in_atomic_block:
                        raise
                    delay = base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)  # noqa: S311
                    log.warning("%s: database conflict (%s), retry %d in %.2f s", func.__qualname__,
                                type(exc.__cause__ or exc).__name__, attempt, delay)
                    time.sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover

        return inner

    return wrap(fn) if fn is not None else wrap
