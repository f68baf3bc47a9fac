"""The email outbox.

A row is written in the same transaction as the change that causes the
email, together with the job that delivers it: no commit, no email; a
commit, an email at least once. `dedup_key` (kind, object, version) is
unique, so a retried or doubled cause makes one email.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (no longer relevant)"
        DEAD = "dead", "Failed for good"

    kind = models.CharField(max_length=48)
    dedup_key = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="emails")
    to_address = models.EmailField()
    # Non-secret values the template needs; secrets are produced at delivery time.
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"
