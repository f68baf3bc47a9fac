"""Issue 14 items 1 and 22: 40 submissions posted six at a time while verifications run; and
issue 11: eligibility requests posted while the invite is granted."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from sequence.onboarding.models import Submission
from sequence.ops import actions
from sequence.ops.models import FlagResolution
from sequence.trading.models import Bot
from tests.accounts.helpers import signed_in_via_email
from tests.onboarding.helpers import catalog, exchange_key, form
from tests.ops.helpers import sign_in
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


def test_an_invite_granted_while_requests_arrive_leaves_none_waiting(client, alice, operator, worker, venue,
                                                                    settings):
    """Invite Only submissions posted while an operator grants the invite: each is either seen
    invited when stored, or released by the grant (the user's row orders the two), never left
    "Waiting for an eligibility check" with the invite granted."""
    settings.EGRESS_IPS = ["127.0.0.1"]
    offering = catalog()["eth-accumulator@bybit"]
    sign_in(client, alice)
    cookies = client.cookies
    keys = [exchange_key(venue, coin="ETH", amount="5") for _ in range(12)]
    go = threading.Event()  # everyone starts together

    def post(key):
        c = Client()
        c.cookies = cookies
        try:
            go.wait(timeout=30)
            return c.post("/submit/", form(alice, offering, key)).status_code
        finally:
            connection.close()

    def grant():
        try:
            go.wait(timeout=30)
            # mid-stream: once requests are being stored, while others are still on their way
            eventually(lambda: Submission.objects.count() >= 2, timeout=30, interval=0.01,
                       what="the first requests stored")
            return actions.invite_grant(user=alice, strategy=offering.strategy, operator=operator, reason="race")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=7) as pool:
        granted = pool.submit(grant)
        posted = [pool.submit(post, key) for key in keys]
        go.set()
        codes = [p.result() for p in posted]
    assert codes == [302] * 12, codes
    assert not Submission.objects.filter(status="eligibility").exists()
    flagged = Submission.objects.filter(operator_flags__contains=["eligibility_request"])
    assert flagged.count() >= 2  # the race was run: requests stored before the grant ...
    assert granted.result() == flagged.count()  # every request stored before the grant was released by it
    assert FlagResolution.objects.filter(flag="eligibility_request").count() == flagged.count()
    # and all go on to verification, run by the worker against the simulated exchange
    with contextlib.suppress(AssertionError):  # a stuck one shows in the statuses below
        eventually(lambda: not Submission.objects.filter(status__in=("submitted", "verifying")).exists(),
                   timeout=60, interval=0.25, what="every submission checked")
    statuses = sorted(set(Submission.objects.values_list("status", flat=True)))
    assert statuses == ["verified"], (statuses, worker.output()[-3000:])
