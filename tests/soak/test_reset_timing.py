"""Issue 14 item 5 / SECURITY.md T9: asking for a password reset takes the same time for a known
email and an unknown one (the lookup and the email are the job's work). `make soak`; SOAK_RESETS
requests (default 4,000; about a minute here)."""

from __future__ import annotations

import os
import statistics
import time

import pytest
from django.test import Client

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_password_reset_takes_the_same_time_for_known_and_unknown_emails(alice):
    rounds = int(os.environ.get("SOAK_RESETS", "4000")) // 2
    client = Client()
    known, unknown = [], []
    for n in range(rounds):
        # interleaved, so drift of the machine hits both sides alike
        for email, bucket in (("alice@example.com", known), (f"nobody{n}@example.com", unknown)):
            started = time.perf_counter()
            response = client.post("/password/reset/", {"email": email})
            bucket.append(time.perf_counter() - started)
            assert response.status_code == 200
    k, u = statistics.median(known), statistics.median(unknown)
    difference = abs(k - u) / max(k, u)
    print(f"\nT9 (password reset): {rounds} pairs, median known {k * 1000:.2f} ms, "
          f"unknown {u * 1000:.2f} ms, difference {difference:.1%}")
    assert difference < 0.05
