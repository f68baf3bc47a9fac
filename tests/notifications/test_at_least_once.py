"""Emails are delivered at least once: a job left 'doing' by a worker that died is retried."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import email_enqueue

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
    assert received is not None
    for _ in range(50):  # the row is marked sent right after the SMTP server accepted the mail
        email.refresh_from_db()
        if email.status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.1)
    assert email.status == OutboundEmail.Status.SENT
    assert "requeued 1 job(s) of stalled workers" in worker.output()


def test_the_outbox_sends_one_email_per_dedup_key(alice, worker, smtp_sink):
    with transaction.atomic():
        first = email_enqueue(kind="password_changed", user=alice, dedup_key="twice")
        second = email_enqueue(kind="password_changed", user=alice, dedup_key="twice")
    assert first.pk == second.pk
    email_enqueue(kind="totp_enabled", user=alice, dedup_key="marker")
    smtp_sink.to("alice@example.com", "Authenticator app turned on")
    smtp_sink.to("alice@example.com", "password was changed")
    assert sum("password was changed" in str(m["Subject"]) for m in smtp_sink.messages) == 1
