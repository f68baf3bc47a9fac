"""Jobs of onboarding (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

from django.db import OperationalError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from sequence.onboarding import services
from sequence.onboarding.verification import VerificationUnavailable
from sequence.ops.jobs import retry_conflicts


# A deadlock or serialization failure is retried at once (retry_conflicts) and, should it
# persist, by the job's own retries; a submission is never left "Verifying" by one.
@app.task(name="onboarding.verify_submission", queue="verification",
          retry=RetryStrategy(max_attempts=services.MAX_VERIFY_ATTEMPTS, wait=5, exponential_wait=3,
                              retry_exceptions={VerificationUnavailable, OperationalError}))
def verify_submission(submission_id: str) -> None:
    retry_conflicts(services.submission_verify)(submission_id=submission_id)


@app.periodic(cron="* * * * *", periodic_id="requeue_stuck_verifications")
@app.task(name="onboarding.requeue_stuck_verifications", queue="housekeeping",
          queueing_lock="requeue_stuck_verifications")
def requeue_stuck_verifications(timestamp: int) -> None:
    """Every minute: a submission "Verifying" for longer than VERIFY_STUCK_SECONDS gets a new job."""
    retry_conflicts(services.verifications_requeue)()


@app.periodic(cron="*/10 * * * *", periodic_id="key_reminders")
@app.task(name="onboarding.key_reminders", queue="housekeeping", queueing_lock="key_reminders")
def key_reminders(timestamp: int) -> None:
    """Every 10 minutes: expiry reminders at 10 and 7 days, the pause an hour before expiry (SPEC D4)."""
    from sequence.onboarding.lifecycle import key_reminders_run

    retry_conflicts(key_reminders_run)()
