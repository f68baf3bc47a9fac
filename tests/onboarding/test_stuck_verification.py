"""Issue 14 item 1: a submission still "Verifying" after VERIFY_STUCK_SECONDS is requeued by the
periodic job, and the page offers "Check again"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.onboarding import services
from sequence.onboarding.models import Submission
from sequence.trading import services as trading
from sequence.trading.models import Bot
from sequence.trading.statuses import BotStatus, SubmissionStatus
from tests.onboarding.helpers import catalog

pytestmark = pytest.mark.django_db


def stuck_submission(user, minutes_ago: float) -> Submission:
    offering = catalog()["usdt-perp-hedge@bybit"]
    bot = trading.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    since = timezone.now() - timedelta(minutes=minutes_ago)
    return Submission.objects.create(
        user=user, form_token="8b0f3c1e-4c5d-4f7a-9a55-3f2e1d0c9b8a", kind="new", bot=bot, offering=offering,
        status=Submission.Status.VERIFYING, funded_confirmed=True, terms_version="t", risk_version="r",
        agreed_at=since, verifying_since=since, created_at=since)


def test_a_stuck_verification_is_requeued_once_and_check_again_is_offered(alice, client, settings):
    settings.VERIFY_STUCK_SECONDS = 300
    fresh = stuck_submission(alice, minutes_ago=1)
    assert services.verifications_requeue() == 0 and not services.verification_stuck(fresh)
    Submission.objects.filter(pk=fresh.pk).update(verifying_since=timezone.now() - timedelta(minutes=6),
                                                  created_at=timezone.now() - timedelta(minutes=6))
    fresh.refresh_from_db()
    assert services.verification_stuck(fresh)
    jobs = ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission").count()
    assert services.verifications_requeue() == 1
    assert ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission").count() == jobs + 1
    assert services.verifications_requeue() == 0  # requeued: its clock starts again
    Submission.objects.filter(pk=fresh.pk).update(verifying_since=timezone.now() - timedelta(minutes=6))
    from tests.accounts.helpers import signed_in

    signed_in(client, alice)
    page = client.get(f"/submissions/{fresh.pk}/").content.decode()
    assert "Check again" in page and "taking longer than it should" in page
    fresh.refresh_from_db()
    assert services.submission_recheck(submission=fresh, user=alice) is True  # "Check again" works


def test_bot_and_submission_statuses_have_one_source():
    shared = ["submitted", "verifying", "needs_attention"]
    for value in shared:
        assert BotStatus(value).label == SubmissionStatus(value).label
    assert Submission.Status is SubmissionStatus
    assert BotStatus.AWAITING_LAUNCH.label == "Awaiting launch"
