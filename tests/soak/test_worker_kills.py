"""SECURITY.md T5: kill -9 the worker while it delivers emails, again and again; nothing is lost and
each kill costs at most one duplicate. `make soak` (SOAK_KILLS kills, default 200)."""

from __future__ import annotations

import os
import random
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import email_enqueue
from tests.support.eventually import eventually
from tests.support.worker import WorkerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_kill_9_during_delivery_loses_nothing(alice, smtp_sink, tmp_path):
    kills = int(os.environ.get("SOAK_KILLS", "200"))
    emails = max(20, kills // 4)
    smtp_sink.clear()
    smtp_sink.delay = 0.3
    with transaction.atomic():
        for n in range(emails):
            email_enqueue(kind="password_changed", user=alice, dedup_key=f"soak-{n}")
    rng = random.Random(5)
    for n in range(kills):
        worker = WorkerProcess(db_settings=connection.settings_dict, smtp_port=smtp_sink.port,
                               log_path=tmp_path / f"worker-{n}.log").start()
        time.sleep(rng.uniform(0.05, 1.0))  # the scenario: a kill at a random point of the work
        worker.kill()
        if OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).count() == 0:
            break
    smtp_sink.delay = 0.0
    final = WorkerProcess(db_settings=connection.settings_dict, smtp_port=smtp_sink.port,
                          log_path=tmp_path / "worker-final.log").start()
    try:
        eventually(lambda: not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists(),
                   timeout=120, interval=0.5, what="every email sent after the kills")
    finally:
        final.stop()
    ids = Counter(str(m["X-Sequence-Email-Id"]) for m in smtp_sink.messages)
    expected = {str(pk) for pk in OutboundEmail.objects.values_list("pk", flat=True)}
    assert expected <= set(ids), "an email was lost"
    duplicates = sum(count - 1 for count in ids.values())
    print(f"\nT5: {n + 1} kills, {emails} emails, all delivered, {duplicates} duplicate(s)")
    assert duplicates <= n + 1
