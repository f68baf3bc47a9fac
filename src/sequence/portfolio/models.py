"""Each live bot's equity over time, in its unit of account (USD beside it).

Stored hourly and at every cycle close (issue 13), not at every step: a point is the
engine's last snapshot (balance, last price, positions) when the recording job ran. The
closes themselves (PnL, fees) are computed from the fills ledger, exactly; these points
are the curve drawn between them.
"""

from __future__ import annotations

from django.db import models

MONEY = {"max_digits": 38, "decimal_places": 18}


class EquityPoint(models.Model):
    class Kind(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        CLOSE = "close", "Cycle close"

    bot = models.ForeignKey("trading.Bot", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # once per (bot, key): "h:<hour start, ISO>" for an hourly point, "c:<trade id>" for a close
    key = models.CharField(max_length=100)
    at = models.DateTimeField(help_text="The hour's start, or the take-profit fill's time")
    equity = models.DecimalField(**MONEY, help_text="In the unit of account")
    unit = models.CharField(max_length=12)
    usd = models.DecimalField(**MONEY)
    price = models.DecimalField(**MONEY)
    balance = models.DecimalField(**MONEY)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["bot", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["bot", "key"], name="equity_point_once")]
        indexes = [models.Index(fields=["bot", "at"])]

    def __str__(self) -> str:
        return f"{self.equity} {self.unit} at {self.at:%Y-%m-%d %H:%M} ({self.kind})"
