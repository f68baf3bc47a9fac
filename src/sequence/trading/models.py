"""Bots and what the engine keeps of them: intent, our orders, the ledger of fills, events.

The exchange is the source of truth for balances, positions and orders; these rows are
the bot's intent (status, pause reasons, the strategy version it trades), every order we
sent (by our deterministic client id, written before the request goes out), every fill
(unique on the exchange's trade id) and the engine's events (adopted exchange state,
foreign activity). Statuses and their transitions are in :mod:`sequence.trading.statuses`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from sequence.trading.statuses import BotStatus, OrderKind, OrderState, PauseReason, Side

__all__ = ["Bot", "BotEngine", "BotSide", "BotStatus", "EngineEvent", "Fill", "Order"]

MONEY = {"max_digits": 38, "decimal_places": 18}


class Bot(models.Model):
    class Kind(models.TextChoices):
        CLIENT = "client", "Client account"
        PAPER = "paper", "Paper trading"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bots")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="bots")
    # The credential trading now (vault). Swapped atomically by an API refresh.
    credential = models.ForeignKey("vault.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=20, choices=BotStatus.choices, default=BotStatus.SUBMITTED)
    pause_reasons = ArrayField(models.CharField(max_length=16, choices=PauseReason.choices), default=list,
                               blank=True, help_text="Trades only when empty; each resume clears its own reason")
    attention_reason = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CLIENT)
    # Paper bots: the account on the built-in simulated exchange.
    venue_account_id = models.CharField(max_length=40, blank=True)
    key_expires_at = models.DateTimeField(null=True, blank=True)
    key_expiry_source = models.CharField(max_length=12, blank=True,
                                         help_text="'exchange' when the exchange reported it, else 'assumed'")
    # Set at launch: the frozen parameters it trades, its number in client order ids, its egress IP.
    strategy_version = models.ForeignKey("catalog.StrategyVersion", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    number = models.BigIntegerField(unique=True, null=True, blank=True)
    egress_ip = models.CharField(max_length=64, blank=True)
    hedge_mode = models.BooleanField(default=False)
    leverage = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.offering} for {self.user}"


class BotEngine(models.Model):
    """The engine's working state of one bot: cursors, the last snapshot, the step clock."""

    bot = models.OneToOneField(Bot, primary_key=True, on_delete=models.CASCADE, related_name="engine")
    fills_cursor_ms = models.BigIntegerField(default=0, help_text="Exchange time of the newest fill read")
    ledger_cursor_ms = models.BigIntegerField(default=0)
    ledger_seen = ArrayField(models.CharField(max_length=120), default=list, blank=True,
                             help_text="Ledger entries at the cursor's millisecond already read")
    steps = models.BigIntegerField(default=0)
    last_step_at = models.DateTimeField(null=True, blank=True)
    last_market_ms = models.BigIntegerField(default=0)
    last_wall_ms = models.BigIntegerField(default=0)
    market_speed = models.FloatField(default=1.0, help_text="Market ms per wall ms, as observed")
    balance = models.DecimalField(**MONEY, null=True, blank=True)
    balance_currency = models.CharField(max_length=12, blank=True)
    last_price = models.DecimalField(**MONEY, null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    # the step clock: which shard's ticks step this bot, and when its next step is due (NULL:
    # it does not step); trading.engine_jobs
    shard = models.PositiveSmallIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shard", "next_step_at"], name="engine_shard_due")]

    def __str__(self) -> str:
        return f"engine of {self.bot_id}"


class BotSide(models.Model):
    """One side's cycle: which cycle it is in, the balance its entry was sized from, the position."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="sides")
    side = models.CharField(max_length=5, choices=Side.choices)
    cycle = models.PositiveIntegerField(default=1)
    cycle_balance = models.DecimalField(**MONEY, null=True, blank=True,
                                        help_text="B read at the start of the cycle (E2)")
    size = models.DecimalField(**MONEY, default=0)
    entry_price = models.DecimalField(**MONEY, null=True, blank=True)
    dca_count = models.PositiveSmallIntegerField(default=0)
    order_seq = models.PositiveIntegerField(default=0, help_text="Last version used in this side's client ids")
    strategy_version = models.ForeignKey("catalog.StrategyVersion", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", help_text="The version this side's cycle runs")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bot", "side"], name="bot_side_once")]

    def __str__(self) -> str:
        return f"{self.side} cycle {self.cycle} of {self.bot_id}"


class Order(models.Model):
    """One order of ours, recorded (PENDING) before the request is sent."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="orders")
    client_order_id = models.CharField(max_length=36, unique=True)
    side = models.CharField(max_length=5, choices=Side.choices)
    kind = models.CharField(max_length=12, choices=OrderKind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    cycle = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=0)
    buy = models.BooleanField()
    price = models.DecimalField(**MONEY)
    qty = models.DecimalField(**MONEY)
    reduce_only = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=OrderState.choices, default=OrderState.PENDING)
    exchange_order_id = models.CharField(max_length=64, blank=True)
    filled = models.DecimalField(**MONEY, default=0)
    lookups = models.PositiveSmallIntegerField(default=0, help_text="Look-ups that found nothing yet")
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["bot", "state"])]

    def __str__(self) -> str:
        return f"{self.client_order_id} {self.side} {self.kind}{self.level} {self.state}"


class Fill(models.Model):
    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="fills")
    trade_id = models.CharField(max_length=80)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="fills")
    client_order_id = models.CharField(max_length=36, blank=True)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    kind = models.CharField(max_length=12, choices=OrderKind.choices, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    cycle = models.PositiveIntegerField(default=0)
    buy = models.BooleanField()
    price = models.DecimalField(**MONEY)
    qty = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY, null=True, blank=True)
    fee_currency = models.CharField(max_length=12, blank=True)
    foreign = models.BooleanField(default=False, help_text="None of our orders explains it")
    executed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-executed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["bot", "trade_id"], name="fill_once_per_trade")]
        indexes = [models.Index(fields=["bot", "executed_at"], name="fill_bot_time")]

    def __str__(self) -> str:
        return f"{'buy' if self.buy else 'sell'} {self.qty} at {self.price} ({self.kind or 'foreign'})"


class EngineEvent(models.Model):
    class Kind(models.TextChoices):
        ADOPTED = "adopted", "Adopted the exchange's state"
        FOREIGN = "foreign_activity", "Foreign activity"
        LOST = "order_lost", "Order not found on the exchange"
        BELOW_MINIMUM = "below_minimum", "Below the market minimum"
        ERROR = "error", "Step failed"
        DEPOSIT = "deposit", "Funds moved"
        FUNDING = "funding", "Funding paid or received"

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="engine_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["bot", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.bot_id}"
