"""Issue 14 items 1 and 22: 40 submissions posted six at a time while verifications run."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from sequence.onboarding.models import Submission
from sequence.trading.models import Bot
from tests.accounts.helpers import signed_in_via_email
from tests.onboarding.helpers import catalog, exchange_key, form
from tests.support.eventually import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def test_forty_submissions_six_at_a_time_no_error_none_stuck(client, alice, worker, smtp_sink, venue):
    offerings = catalog()
    signed_in_via_email(client, alice, smtp_sink)
    cookies = client.cookies
    keys = [exchange_key(venue) for _ in range(40)]
    offering = offerings["usdt-perp-hedge@bybit"]

    def post(key):
        c = Client()
        c.cookies = cookies
        try:
            return c.post("/submit/", form(alice, offering, key)).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(post, keys))
    assert codes == [302] * 40, codes
    with contextlib.suppress(AssertionError):  # a stuck one shows in the statuses below
        eventually(lambda: not Submission.objects.filter(status__in=("submitted", "verifying")).exists(),
                   timeout=120, interval=0.25, what="every submission verified or refused")
    statuses = sorted(set(Submission.objects.values_list("status", flat=True)))
    assert statuses == ["verified"], (statuses, worker.output()[-3000:])
    assert Bot.objects.filter(status="awaiting_launch").count() == 40
