"""Jobs of the funds rules (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

from django.conf import settings
from procrastinate.contrib.django import app

from sequence.ops.jobs import retry_conflicts


@app.periodic(cron=settings.WITHDRAWAL_NOTICE_SCAN_CRON, periodic_id="withdrawal_notices_progress")
@app.task(name="compliance.notices_progress", queue="housekeeping", queueing_lock="withdrawal_notices_progress")
def notices_progress(timestamp: int) -> None:
    """Every minute: pause for notices whose date has come, "safe to withdraw", expiry."""
    from sequence.compliance.services import notices_progress as run

    retry_conflicts(run)()
