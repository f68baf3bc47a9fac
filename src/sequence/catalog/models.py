"""The catalogue: exchanges x markets x strategies, minimums, invite grants.

A *strategy* is a named, versioned parameter set (DESIGN.md section 3) with a
base currency (its unit of account) and a minimum balance; an *offering* says
on which exchange and market it runs. Only offerings can be chosen in the
submission form.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Market(models.TextChoices):
    SPOT = "spot", "Spot Trading"
    DERIVATIVES = "derivatives", "Derivatives"


class Exchange(models.Model):
    class Connection(models.TextChoices):
        API_KEYS = "api_keys", "API keys in the form"
        CONTACT_SUPPORT = "contact_support", "Alternate connection method via support"

    slug = models.SlugField(primary_key=True, max_length=20)
    name = models.CharField(max_length=60)
    connection = models.CharField(max_length=20, choices=Connection.choices, default=Connection.API_KEYS)
    flag_for_operator = models.BooleanField(
        default=False, help_text="Submissions need an operator's attention (e.g. Kraken: contact support).")
    notice = models.TextField(blank=True, help_text="Shown to the client under the exchange's key fields.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Strategy(models.Model):
    class BaseCurrency(models.TextChoices):
        USDT = "USDT", "USDT"
        BTC = "BTC", "BTC"
        ETH = "ETH", "ETH"

    slug = models.SlugField(unique=True, max_length=60)
    name = models.CharField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    base_currency = models.CharField(max_length=8, choices=BaseCurrency.choices)
    min_balance = models.DecimalField(max_digits=28, decimal_places=10)
    invite_only = models.BooleanField(default=False)
    params = models.JSONField(default=dict, help_text="Strategy parameters (DESIGN.md section 3).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "strategies"
        constraints = [models.CheckConstraint(condition=models.Q(min_balance__gt=0), name="strategy_min_balance_positive")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Offering(models.Model):
    """A strategy available on one exchange and market, trading one symbol."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="offerings")
    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="offerings")
    market = models.CharField(max_length=12, choices=Market.choices)
    symbol = models.CharField(max_length=40, help_text="ccxt symbol, e.g. BTC/USDT:USDT")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["exchange__sort_order", "strategy__name"]
        constraints = [models.UniqueConstraint(fields=["strategy", "exchange", "market"], name="offering_unique")]

    def __str__(self) -> str:
        return f"{self.strategy.name} on {self.exchange.name} {self.get_market_display()}"

    @property
    def market_kind(self) -> str:
        """The exchange layer's market kind: spot, linear or inverse (from the strategy's contract)."""
        if self.market == Market.SPOT:
            return "spot"
        return "inverse" if self.strategy.params.get("contract") == "inverse" else "linear"


class InviteGrant(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invite_grants")
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="invite_grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "strategy"], name="invite_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.strategy}"


class StrategyVersion(models.Model):
    """One version of a strategy's parameters, frozen: a launched bot trades exactly this.

    Editing a strategy's parameters makes a new version (``Strategy.version`` + 1) and a new
    row here; bots already trading keep reading theirs.
    """

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    params = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["strategy", "-version"]
        constraints = [models.UniqueConstraint(fields=["strategy", "version"], name="strategy_version_once")]

    def __str__(self) -> str:
        return f"{self.strategy.name} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("a strategy version is frozen: save a new version instead")
        super().save(*args, **kwargs)
