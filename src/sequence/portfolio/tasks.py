"""Jobs of the portfolio (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

from django.utils import timezone
from procrastinate.contrib.django import app

from sequence.ops.jobs import retry_conflicts


@app.periodic(cron="* * * * *", periodic_id="portfolio_equity_points")
@app.task(name="portfolio.record_equity_points", queue="housekeeping",
          queueing_lock="portfolio_equity_points")
def record_equity_points(timestamp: int) -> None:
    """Every minute: the hourly equity point of each stepping bot, and a point at each new close."""
    from sequence.portfolio.services import record_equity_points as run

    retry_conflicts(run)(now=timezone.now())
