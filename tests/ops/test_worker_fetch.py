"""A worker whose fetch of the next job fails carries on (sequence.ops.worker_app).

The failure is made for real, the way it first happened: a running job holding a lock is
committed while the worker's fetch is choosing a waiting job of the same lock. The fetch saw no
running holder, so its update breaks the one-running-job-per-lock index. Procrastinate's worker
stops on that; ours logs it and takes the next job.

The worker runs on a database of its own (Procrastinate's schema only), so no other worker of
the suite fetches these jobs in its place."""

from __future__ import annotations

from pathlib import Path

import procrastinate
import psycopg
import pytest
from django.db import connection

from tests.support.eventually import eventually
from tests.support.worker import WorkerProcess, database_url

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE, LOCK = "tests-race", "race:1"


@pytest.fixture
def jobs_database():
    """The URL of a fresh database holding Procrastinate's tables and nothing else."""
    name = f"{connection.settings_dict['NAME']}_fetch"
    admin_url = database_url({**connection.settings_dict, "NAME": "postgres"})
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url({**connection.settings_dict, "NAME": name})
    schema = (Path(procrastinate.__file__).parent / "sql" / "schema.sql").read_text()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(schema)
    yield url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert_job(conn, *, task: str, status: str = "todo", worker_id=None) -> int:
    return conn.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, status, worker_id) "
        "VALUES (%s, %s, %s, '{}', %s, %s) RETURNING id", [QUEUE, task, LOCK, status, worker_id]).fetchone()[0]


def status_of(conn, job_id: int) -> str:
    return conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id]).fetchone()[0]


def test_a_fetch_that_breaks_the_lock_index_does_not_stop_the_worker(jobs_database, smtp_sink, tmp_path):
    worker = WorkerProcess(url=f"{jobs_database}?application_name=race-worker", smtp_port=smtp_sink.port,
                           log_path=tmp_path / "worker.log", queues=QUEUE, concurrency=1).start()
    try:
        with psycopg.connect(jobs_database, autocommit=True) as conn, psycopg.connect(jobs_database) as holder:
            worker_id = conn.execute("SELECT max(id) FROM procrastinate_workers").fetchone()[0]
            # the holder's running job is not committed yet: the worker's fetch does not see it
            hold = insert_job(holder, task="tests.hold", status="doing", worker_id=worker_id)
            waiting = insert_job(conn, task="tests.unknown")

            def fetch_blocked() -> bool:
                return bool(conn.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'race-worker' "
                    "AND wait_event_type = 'Lock' AND query LIKE '%%fetch_job%%'").fetchone())

            eventually(fetch_blocked, timeout=20, what="the worker's fetch waiting on the holder",
                       diagnostics=lambda: worker.output()[-3000:])
            holder.commit()  # the fetch's update now breaks the unique index
            eventually(lambda: "fetching the next job failed" in worker.output(), timeout=20,
                       what="the failed fetch logged", diagnostics=lambda: worker.output()[-3000:])
            assert worker.proc.poll() is None, worker.output()[-3000:]
            assert status_of(conn, waiting) == "todo"
            # the holder ends: the worker takes the waiting job, and the next one
            conn.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [hold])
            later = insert_job(conn, task="tests.unknown")
            for job in (waiting, later):  # an unknown task fails: it was fetched and run
                eventually(lambda job=job: status_of(conn, job) == "failed", timeout=20,
                           what=f"job {job} taken by the worker", diagnostics=lambda: worker.output()[-3000:])
            assert worker.proc.poll() is None
    finally:
        worker.stop()
