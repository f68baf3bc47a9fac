"""Issue 14 items 1-2: jobs deferred in the caller's transaction everywhere; conflicts retried."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connection, transaction
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.notifications.tasks import deliver_email
from sequence.ops.jobs import defer, is_conflict, retry_conflicts

SRC = Path(__file__).resolve().parents[2] / "src" / "sequence"


def test_nothing_in_src_defers_around_the_helper():
    """The one way to defer is sequence.ops.jobs.defer: a raw .defer() in a worker would leave the
    job's transaction (the class of the lost "issue found" email)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "jobs.py" and path.parent.name == "ops":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.defer(_async)?\(|\.batch_defer", line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.django_db(transaction=True)
def test_a_job_deferred_under_the_workers_connector_rolls_back_with_the_transaction():
    """A worker swaps the app's connector for a psycopg pool; the helper still uses Django's connection."""
    worker_connector = app.connector.get_worker_connector()
    before = ProcrastinateJob.objects.count()
    with app.replace_connector(worker_connector), pytest.raises(RuntimeError), transaction.atomic():
        defer(deliver_email, email_id=123456)
        assert ProcrastinateJob.objects.count() == before + 1  # visible inside the transaction
        raise RuntimeError("the job's work failed")
    assert ProcrastinateJob.objects.count() == before  # gone with the rollback


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_queueing_lock_does_not_abort_the_callers_transaction():
    with transaction.atomic():
        first = defer(deliver_email, queueing_lock="only-one", email_id=1)
        second = defer(deliver_email, queueing_lock="only-one", email_id=2)
        with connection.cursor() as cur:  # the transaction is still usable
            cur.execute("SELECT 1")
    assert first is not None and second is None
    assert ProcrastinateJob.objects.filter(queueing_lock="only-one").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_detected_and_retried(alice):
    """Two transactions taking two rows in opposite orders: PostgreSQL kills one (40P01); the wrapper
    runs it again and both finish."""
    from sequence.accounts.models import User

    bob = User.objects.create_user(email="bob@example.com", password="x" * 20)
    ids = [alice.pk, bob.pk]
    barrier = threading.Barrier(2)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def work(name, order):
        @retry_conflicts(base_delay=0.01)
        def body():
            attempts[name] += 1
            with transaction.atomic():
                User.objects.select_for_update(of=("self",)).get(pk=order[0])
                if attempts[name] == 1:
                    barrier.wait(5)
                User.objects.select_for_update(of=("self",)).get(pk=order[1])
        try:
            body()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=("a", ids)), threading.Thread(target=work, args=("b", ids[::-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(attempts.values())[1] >= 2  # one of them died of the deadlock and ran again


def test_is_conflict_reads_the_sqlstate_of_the_cause():
    class Cause(Exception):
        sqlstate = "40P01"

    err = OperationalError("deadlock detected")
    err.__cause__ = Cause()
    assert is_conflict(err)
    assert not is_conflict(OperationalError("server closed the connection"))
