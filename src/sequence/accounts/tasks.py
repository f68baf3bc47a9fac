"""Jobs of the accounts app (Procrastinate). Thin: the work is in services."""

from __future__ import annotations

from procrastinate.contrib.django import app

from sequence.accounts import services
from sequence.ops.jobs import retry_conflicts


@app.task(name="accounts.password_reset_request", queue="emails")
def password_reset_request(email: str, ip: str | None = None) -> None:
    """Whether the address has an account is decided here, off the request path: the request
    does the same work for every address (issue 14 item 5)."""
    retry_conflicts(services.password_reset_send)(email=email, ip=ip)
