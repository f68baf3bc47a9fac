"""Jobs of the notifications app (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

import random

from django.conf import settings
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app

from sequence.notifications import services


class BackoffWithJitter(BaseRetryStrategy):
    """EMAIL_RETRY_BASE_SECONDS (30 s) doubling to 1 h, +-20% jitter, MAX_ATTEMPTS tries (then dead-letter)."""

    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if job.attempts + 1 >= services.MAX_ATTEMPTS:
            return None
        base = settings.EMAIL_RETRY_BASE_SECONDS
        wait = min(3600, base * 2**job.attempts) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto
        return RetryDecision(retry_in={"seconds": max(1, int(wait))})


@app.task(name="notifications.deliver_email", queue="emails", retry=BackoffWithJitter())
def deliver_email(email_id: int) -> None:
    services.email_deliver(email_id=email_id)
