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


@app.periodic(cron="7 * * * *", periodic_id="key_reminders")
@app.task(name="onboarding.key_reminders", queue="housekeeping", queueing_lock="key_reminders")
def key_reminders(timestamp: int) -> None:
    """Hourly: expiry reminders at 10 and 7 days, and what expiry does (SPEC D4)."""
    from sequence.onboarding.lifecycle import key_reminders_run

    key_reminders_run()
