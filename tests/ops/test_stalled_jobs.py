"""The stalled-job scan: a dead worker's job is requeued, or ended when a waiting job replaces it.

The case that once stopped a shard for good: a tick runs, a launch defers the shard's next tick
(same queueing lock, waiting), the worker is killed. Requeueing the dead tick breaks the
queueing lock's unique index, and a job left "doing" holds its lock for ever, so the waiting
tick never starts."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from sequence.ops.tasks import retry_stalled_jobs

pytestmark = pytest.mark.django_db(transaction=True)

# No worker listens on this queue: the jobs stay where the scan leaves them.
QUEUE = "tests-stalled-scan"


def _job(status: str, lock: str | None, queueing_lock: str | None) -> int:
    with connection.cursor() as cur:
        # worker_id NULL: a job whose worker is gone (Procrastinate counts it as stalled)
        cur.execute("INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args, status) "
                    "VALUES (%s, 'tests.nothing', %s, %s, '{}', %s) RETURNING id",
                    [QUEUE, lock, queueing_lock, status])
        return cur.fetchone()[0]


def _state(job_id: int) -> tuple[str, int]:
    with connection.cursor() as cur:
        cur.execute("SELECT status, attempts FROM procrastinate_jobs WHERE id = %s", [job_id])
        return cur.fetchone()


def test_a_stalled_job_replaced_by_a_waiting_one_ends_and_frees_its_lock():
    dead = _job("doing", lock="tests:shard", queueing_lock="tests:shard")
    waiting = _job("todo", lock="tests:shard", queueing_lock="tests:shard")
    other = _job("doing", lock="tests:other", queueing_lock="tests:other")

    async_to_sync(retry_stalled_jobs.func)(None, 0)

    assert _state(dead)[0] == "aborted"  # its lock is free: the waiting tick can start
    assert _state(waiting) == ("todo", 0)
    # one job that cannot be requeued does not stop the scan: the next one is requeued
    assert _state(other) == ("todo", 1)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM procrastinate_jobs WHERE lock = 'tests:shard' AND status = 'doing'")
        assert cur.fetchone()[0] == 0


def test_a_stalled_job_alone_is_requeued_not_ended():
    dead = _job("doing", lock="tests:alone", queueing_lock="tests:alone")

    async_to_sync(retry_stalled_jobs.func)(None, 0)

    assert _state(dead) == ("todo", 1)
