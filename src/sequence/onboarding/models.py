"""Submissions: one API-key form sent, and what verification found."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sequence.trading.statuses import SubmissionStatus


class Submission(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", "Adding strategy for the first time"
        REFRESH = "refresh", "Refreshing API"

    Status = SubmissionStatus  # one source with the bot's statuses (sequence.trading.statuses)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    # One form, one submission: a double click repeats the same token.
    form_token = models.UUIDField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    bot = models.ForeignKey("trading.Bot", on_delete=models.PROTECT, related_name="submissions")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey("vault.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    api_name = models.CharField(max_length=100, blank=True, help_text="The key's label on the exchange")
    key_tail = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    funded_confirmed = models.BooleanField()
    terms_version = models.CharField(max_length=32)
    risk_version = models.CharField(max_length=32)
    agreed_at = models.DateTimeField()
    operator_flags = models.JSONField(default=list, blank=True)
    verification = models.JSONField(default=dict, blank=True)
    verification_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    # When verification last started: a submission "Verifying" for too long is requeued.
    verifying_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "form_token"], name="submission_once_per_form")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.user} ({self.status})"

    @property
    def problems(self) -> list[dict]:
        return list(self.verification.get("problems", []))


class KeyReminder(models.Model):
    """One expiry notice for one credential and window, at most once (the unique constraint)."""

    class Window(models.TextChoices):
        TEN_DAYS = "10d", "10 days before expiry"
        SEVEN_DAYS = "7d", "7 days before expiry"
        ONE_HOUR = "1h", "1 hour before expiry: paused"
        EXPIRED = "expired", "Expired"

    bot = models.ForeignKey("trading.Bot", on_delete=models.CASCADE, related_name="key_reminders")
    credential = models.ForeignKey("vault.Credential", on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=8, choices=Window.choices)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "window"], name="key_reminder_once")]

    def __str__(self) -> str:
        return f"{self.get_window_display()} for {self.bot_id}"
