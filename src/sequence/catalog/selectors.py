"""Reads of the catalogue."""

from __future__ import annotations

from sequence.catalog.models import Exchange, InviteGrant, Offering


def offerings_available() -> list[Offering]:
    return list(Offering.objects.filter(active=True, strategy__active=True)
                .select_related("strategy", "exchange"))


def exchanges_for_market(market: str) -> list[Exchange]:
    return list(Exchange.objects.filter(offerings__market=market, offerings__active=True).distinct())


def user_is_invited(*, user, strategy) -> bool:
    return not strategy.invite_only or InviteGrant.objects.filter(user=user, strategy=strategy).exists()


def strategy_version_params(version_id: int) -> dict:
    """The frozen parameters of one strategy version (the engine runs a side's cycle on them)."""
    from sequence.catalog.models import StrategyVersion

    return StrategyVersion.objects.values_list("params", flat=True).get(pk=version_id)
