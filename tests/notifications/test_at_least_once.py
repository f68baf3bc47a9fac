"""Emails are delivered at least once: a job left 'doing' by a worker that died is retried."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import email_enqueue
from tests.support.eventually import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dead_workers_email_job_is_requeued_and_delivered(alice, worker, smtp_sink):
    with transaction.atomic():
        email = email_enqueue(kind="password_changed", user=alice, dedup_key="crash-test")
        # As if a worker had taken the job and then been killed (kill -9, machine lost):
        # 'doing', with no live worker behind it.
        with connection.cursor() as cur:
            cur.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL "
                        "WHERE task_name = 'notifications.deliver_email' AND args->>'email_id' = %s",
                        [str(email.pk)])
            assert cur.rowcount == 1
    received = smtp_sink.to("alice@example.com", "password was changed", timeout=30)
    assert received["X-Sequence-Email-Id"] == str(email.pk)  # this outbox row's mail, not another

    def sent():  # the row is marked sent right after the SMTP server accepted the mail
        email.refresh_from_db()
        return email.status == OutboundEmail.Status.SENT

    eventually(sent, timeout=5, what=f"outbox row {email.pk} marked sent")
    # It was the stalled-job scan that put the job back (doing -> todo), not a fresh job:
    # one job, retried once, then run to success.
    def jobs_of_the_email():
        with connection.cursor() as cur:
            cur.execute("SELECT j.id, j.attempts, j.status, array_agg(e.type::text ORDER BY e.id) "
                        "FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id "
                        "WHERE j.task_name = 'notifications.deliver_email' "
                        "AND j.args->>'email_id' = %s GROUP BY j.id", [str(email.pk)])
            return cur.fetchall()

    # the worker records the job's end just after the task returns (after the row is marked sent)
    jobs = eventually(lambda: [j for j in jobs_of_the_email() if j[2] != "doing"] and jobs_of_the_email(),
                      timeout=10, what="the email job to end")
    assert len(jobs) == 1, jobs
    _, _, status, events = jobs[0]
    assert status == "succeeded", jobs
    transitions = [e for e in events if e != "scheduled"]  # retry_job also records its run-at
    assert transitions == ["deferred", "started", "deferred_for_retry", "started", "succeeded"]

def test_the_outbox_sends_one_email_per_dedup_key(alice, worker, smtp_sink):
    with transaction.atomic():
        first = email_enqueue(kind="password_changed", user=alice, dedup_key="twice")
        second = email_enqueue(kind="password_changed", user=alice, dedup_key="twice")
    assert first.pk == second.pk
    email_enqueue(kind="totp_enabled", user=alice, dedup_key="marker")
    smtp_sink.to("alice@example.com", "Authenticator app turned on")
    smtp_sink.to("alice@example.com", "password was changed")
    assert sum("password was changed" in str(m["Subject"]) for m in smtp_sink.messages) == 1
