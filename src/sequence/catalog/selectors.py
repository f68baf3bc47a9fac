"""Reads of the catalogue."""

from __future__ import annotations

from sequence.catalog.models import (
    Exchange,
    InviteGrant,
    Market,
    Offering,
    Strategy,
    StrategyVersion,
)

# The choices other apps validate against (the catalogue's own, not copies)
MARKETS: tuple[str, ...] = tuple(Market.values)
MARKET_CHOICES: list[tuple[str, str]] = list(Market.choices)
BASE_CURRENCIES: tuple[str, ...] = tuple(Strategy.BaseCurrency.values)


def offerings_open():
    """The offerings a client may choose (a queryset: the submission form validates against it)."""
    return Offering.objects.filter(active=True, strategy__active=True).select_related("strategy", "exchange")


def offerings_available() -> list[Offering]:
    return list(offerings_open())


def offering_by_id(offering_id) -> Offering | None:
    return Offering.objects.select_related("strategy", "exchange").filter(pk=offering_id).first()


def exchanges() -> list[Exchange]:
    return list(Exchange.objects.all())


def connects_through_support(exchange: Exchange) -> bool:
    """The exchange has no key form: an alternate connection is arranged by support (Binance)."""
    return exchange.connection == Exchange.Connection.CONTACT_SUPPORT


def exchanges_for_market(market: str) -> list[Exchange]:
    return list(Exchange.objects.filter(offerings__market=market, offerings__active=True).distinct())


def user_is_invited(*, user, strategy) -> bool:
    return not strategy.invite_only or InviteGrant.objects.filter(user=user, strategy=strategy).exists()


def strategy_version_params(version_id: int) -> dict:
    """The frozen parameters of one strategy version (the engine runs a side's cycle on them)."""
    return StrategyVersion.objects.values_list("params", flat=True).get(pk=version_id)


# --- for the console (sequence.ops) -------------------------------------------------------------

def exchange_choices() -> list[tuple[str, str]]:
    return list(Exchange.objects.values_list("slug", "name"))


def exchange_slugs() -> set[str]:
    return set(Exchange.objects.values_list("slug", flat=True))


def invite_grants_of(user) -> list[InviteGrant]:
    return list(InviteGrant.objects.filter(user=user).select_related("strategy", "granted_by"))


def invite_only_strategies() -> list[Strategy]:
    return list(Strategy.objects.filter(invite_only=True))


def strategies_for_console():
    return Strategy.objects.prefetch_related("offerings__exchange").order_by("name")


def strategy_by_slug(slug: str) -> Strategy | None:
    return Strategy.objects.filter(slug=slug).first()


def strategy_slug_taken(slug: str) -> bool:
    return Strategy.objects.filter(slug=slug).exists()


def strategy_versions(strategy_id) -> list[StrategyVersion]:
    """Every frozen version of a strategy, newest first."""
    return list(StrategyVersion.objects.filter(strategy_id=strategy_id).order_by("-version"))


def strategy_version(version_id) -> StrategyVersion:
    return StrategyVersion.objects.get(pk=version_id)


def offering_of(*, strategy_slug: str, exchange: str, market: str) -> Offering:
    return Offering.objects.select_related("strategy", "exchange").get(
        strategy__slug=strategy_slug, exchange_id=exchange, market=market)
