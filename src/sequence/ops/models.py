"""The ops app's rows: the append-only audit log, resolved submission flags, the help pages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One action of a client, an operator or the system. Append-only: a database trigger
    (migration 0002) refuses UPDATE and DELETE whatever the role.

    ``actor`` has no cascading action and no database constraint: deleting a user must not
    touch (update or delete) their events, which keep ``actor_label`` for who it was."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    actor_label = models.CharField(max_length=254, help_text="Who, kept even if the account goes away")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)


class FlagResolution(models.Model):
    """An operator dealt with one flag of a submission (Kraken contact, alternate connection,
    eligibility request); the flag stays on the submission, this says it is handled."""

    submission = models.ForeignKey("onboarding.Submission", on_delete=models.CASCADE, related_name="+")
    flag = models.CharField(max_length=48)
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "flag"], name="flag_resolved_once")]

    def __str__(self) -> str:
        return f"{self.flag} of {self.submission_id} resolved"


class HelpPage(models.Model):
    """A page of /help/: Markdown written by operators, rendered and sanitised on display."""

    class Section(models.TextChoices):
        GLOSSARY = "glossary", "Glossary"
        FAQ = "faq", "FAQ"
        GUIDE = "guide", "Exchange guides: getting started"

    slug = models.SlugField(unique=True, max_length=60)
    section = models.CharField(max_length=12, choices=Section.choices)
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="Markdown")
    sort_order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["section", "sort_order", "title"]

    def __str__(self) -> str:
        return self.title


class BacktestReport(models.Model):
    """The backtester's HTML report of one frozen strategy version on the shipped candles.

    Versions never change and the candles are shipped with the code, so a report, once
    built (by the ``ops.strategy_backtest`` job), is valid for good: it is the cache."""

    version = models.OneToOneField("catalog.StrategyVersion", on_delete=models.CASCADE, related_name="+")
    candles = models.CharField(max_length=120)
    html = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"backtest of {self.version_id} on {self.candles}"
