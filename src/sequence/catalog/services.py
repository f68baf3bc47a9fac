"""Writes of the catalogue: strategies (validated parameters), offerings, invite grants."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from sequence.catalog.models import Exchange, InviteGrant, Offering, Strategy, StrategyVersion
from sequence.exchanges.config import EXCHANGES as EXCHANGE_REGISTRY
from sequence.ops.services import audit_record

# The exchanges the platform knows, in the guide's order: rows of the one registry
# (sequence.exchanges.config.EXCHANGES). Exchanges without a key form connect through support.
EXCHANGES = [
    dict(slug=e.id, name=e.name, sort_order=order, notice=e.notice, flag_for_operator=e.operator_check,
         connection=Exchange.Connection.API_KEYS if e.key_form else Exchange.Connection.CONTACT_SUPPORT)
    for order, e in enumerate(EXCHANGE_REGISTRY.values(), start=1)
]


def exchanges_ensure() -> None:
    for spec in EXCHANGES:
        Exchange.objects.update_or_create(slug=spec["slug"], defaults={k: v for k, v in spec.items() if k != "slug"})


def validate_strategy_params(params: dict) -> dict:
    """The strategy package's own validation, with its field-naming messages."""
    from sequence.strategy.params import Params, ParamsError

    try:
        Params.from_mapping(params)
    except ParamsError as exc:
        raise ValidationError(f"Strategy parameters: {exc}") from None
    return params


@transaction.atomic
def strategy_upsert(*, slug: str, name: str, base_currency: str, min_balance: Decimal, params: dict,
                    invite_only: bool = False, description: str = "", actor=None) -> Strategy:
    validate_strategy_params(params)
    strategy = Strategy.objects.filter(slug=slug).first()
    if strategy is not None and strategy.params != params:
        strategy.version += 1
    strategy = strategy or Strategy(slug=slug)
    strategy.name, strategy.base_currency, strategy.min_balance = name, base_currency, Decimal(min_balance)
    strategy.params, strategy.invite_only, strategy.description = params, invite_only, description
    strategy.full_clean()
    strategy.save()
    strategy_version_current(strategy=strategy)
    audit_record(actor=actor, action="catalog.strategy_saved", target=strategy,
                 data={"version": strategy.version, "invite_only": invite_only})
    return strategy


def offering_ensure(*, strategy: Strategy, exchange_slug: str, market: str, symbol: str) -> Offering:
    offering, _ = Offering.objects.update_or_create(
        strategy=strategy, exchange_id=exchange_slug, market=market, defaults={"symbol": symbol, "active": True})
    return offering


@transaction.atomic
def invite_grant(*, user, strategy: Strategy, actor=None, reason: str = "", request=None) -> InviteGrant:
    grant, created = InviteGrant.objects.get_or_create(user=user, strategy=strategy, defaults={"granted_by": actor})
    if created:
        audit_record(actor=actor, action="catalog.invite_granted", target=strategy, request=request,
                     data={"user": user.email, "reason": reason})
    return grant


@transaction.atomic
def invite_revoke(*, user, strategy: Strategy, actor, reason: str, request=None) -> bool:
    """Take an invite back (bots already running keep running); False if there was none."""
    deleted, _ = InviteGrant.objects.filter(user=user, strategy=strategy).delete()
    if deleted:
        audit_record(actor=actor, action="catalog.invite_revoked", target=strategy, request=request,
                     data={"user": user.email, "reason": reason})
    return bool(deleted)


def strategy_version_current(*, strategy: Strategy) -> StrategyVersion:
    """The frozen snapshot of the strategy's current parameters (made once per version)."""
    version, _ = StrategyVersion.objects.get_or_create(
        strategy=strategy, version=strategy.version, defaults={"params": dict(strategy.params)})
    return version
