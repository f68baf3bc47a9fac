"""Jobs of onboarding (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from sequence.onboarding import services
from sequence.onboarding.verification import VerificationUnavailable


@app.task(name="onboarding.verify_submission", queue="verification",
          retry=RetryStrategy(max_attempts=services.MAX_VERIFY_ATTEMPTS, wait=5, exponential_wait=3,
                              retry_exceptions={VerificationUnavailable}))
def verify_submission(submission_id: str) -> None:
    services.submission_verify(submission_id=submission_id)
