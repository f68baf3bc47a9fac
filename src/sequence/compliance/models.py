"""The funds rules' records: withdrawal notices, fund moves seen in the ledger, alerts.

A *notice* is the client's word that they will withdraw (base currency only). A *fund move*
is one deposit, withdrawal or transfer the engine saw in the exchange's ledger, kept with the
balance of the snapshot before it (the share's denominator). An *alert* is one finding of a
monitor, unique on (bot, kind, exchange record id): a finding seen again in later steps, or
by a restarted worker, finds its row and makes nothing new.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

MONEY = {"max_digits": 38, "decimal_places": 18}
SHARE = {"max_digits": 12, "decimal_places": 8}
# The guide's 5% rule: the default of every strategy's threshold (StrategyRules overrides it).
DEFAULT_WITHDRAWAL_LIMIT = Decimal("0.05")


class StrategyRules(models.Model):
    """Per strategy of the catalogue: the withdrawal share above which the bot pauses."""

    strategy = models.OneToOneField("catalog.Strategy", primary_key=True, on_delete=models.CASCADE,
                                    related_name="compliance_rules")
    withdrawal_limit = models.DecimalField(**SHARE, default=DEFAULT_WITHDRAWAL_LIMIT,
                                           help_text="A share of the balance, e.g. 0.05 for 5%")

    class Meta:
        verbose_name_plural = "strategy rules"
        constraints = [models.CheckConstraint(
            condition=models.Q(withdrawal_limit__gt=0, withdrawal_limit__lte=1), name="withdrawal_limit_share")]

    def __str__(self) -> str:
        return f"rules of {self.strategy_id}"


class WithdrawalNotice(models.Model):
    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"  # at or below the limit: trading goes on
        SCHEDULED = "scheduled", "Waiting for the planned date"
        PAUSING = "pausing", "Pausing the bot"
        SAFE = "safe", "Paused: safe to withdraw"
        USED = "used", "Withdrawal seen"
        CONFIRMED = "confirmed", "Confirmed by the client"
        EXPIRED = "expired", "Expired"

    bot = models.ForeignKey("trading.Bot", on_delete=models.CASCADE, related_name="withdrawal_notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=12)
    planned_for = models.DateField()
    balance = models.DecimalField(**MONEY, help_text="The last snapshot's base balance when it was given")
    share = models.DecimalField(**SHARE, help_text="This amount plus the last 24 h's outflows, over the balance")
    limit = models.DecimalField(**SHARE)
    large = models.BooleanField(help_text="Above the limit: the bot pauses for it")
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    safe_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ledger_record_id = models.CharField(max_length=80, blank=True)

    OPEN = (Status.RECORDED, Status.SCHEDULED, Status.PAUSING, Status.SAFE)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["bot", "status"])]

    def __str__(self) -> str:
        return f"notice {self.amount} {self.currency} for {self.bot_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def holds_pause(self) -> bool:
        """The bot is (or will be) paused for this notice until the withdrawal is done."""
        return self.large and self.status in (self.Status.SCHEDULED, self.Status.PAUSING, self.Status.SAFE)

    @property
    def share_pct(self) -> Decimal:
        return self.share * 100

    @property
    def limit_pct(self) -> Decimal:
        return self.limit * 100


class FundMove(models.Model):
    """One ledger record of funds in or out of the trading wallet, as the engine saw it."""

    bot = models.ForeignKey("trading.Bot", on_delete=models.CASCADE, related_name="+")
    record_id = models.CharField(max_length=80)
    kind = models.CharField(max_length=12)  # deposit | withdrawal | transfer (the ledger's word)
    currency = models.CharField(max_length=12)
    amount = models.DecimalField(**MONEY, help_text="Signed: positive = into the account")
    balance_before = models.DecimalField(**MONEY, null=True, blank=True)
    share = models.DecimalField(**SHARE, null=True, blank=True, help_text="Outflows: of balance_before")
    notice = models.ForeignKey(WithdrawalNotice, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="moves")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "record_id"], name="fund_move_once")]
        indexes = [models.Index(fields=["bot", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.record_id})"

    @property
    def outflow(self) -> bool:
        return self.amount < 0


class Alert(models.Model):
    class Kind(models.TextChoices):
        MANUAL_TRADE = "manual_trade", "Manual trade"
        LARGE_WITHDRAWAL = "large_withdrawal", "Withdrawal above the limit without a notice"
        NON_BASE_WITHDRAWAL = "non_base_withdrawal", "Withdrawal of another asset"
        NON_BASE_DEPOSIT = "non_base_deposit", "Deposit of another asset"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    PAUSING = (Kind.MANUAL_TRADE, Kind.LARGE_WITHDRAWAL)

    bot = models.ForeignKey("trading.Bot", on_delete=models.CASCADE, related_name="compliance_alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    record_id = models.CharField(max_length=80, help_text="The exchange's id of the trade, order or ledger record")
    data = models.JSONField(default=dict, blank=True)
    paused = models.BooleanField(default=False, help_text="This finding paused the bot")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["bot", "kind", "record_id"], name="alert_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.bot_id} ({self.record_id})"
