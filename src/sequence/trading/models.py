"""Bots: one client's strategy on one exchange account.

The engine (orders, fills, reconciliation) grows here; for now a bot carries
what the client sees and what onboarding decides: its offering, its current
credential, its status and when its keys expire.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class BotStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    VERIFYING = "verifying", "Verifying"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    AWAITING_LAUNCH = "awaiting_launch", "Awaiting launch"
    LIVE = "live", "Live"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class Bot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bots")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="bots")
    # The credential trading now (vault). Swapped atomically by an API refresh.
    credential = models.ForeignKey("vault.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=20, choices=BotStatus.choices, default=BotStatus.SUBMITTED)
    key_expires_at = models.DateTimeField(null=True, blank=True)
    key_expiry_source = models.CharField(max_length=12, blank=True,
                                         help_text="'exchange' when the exchange reported it, else 'assumed'")
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.offering} for {self.user}"
