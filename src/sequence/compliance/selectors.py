"""Reads of the funds rules: limits, balances, the rolling 24 hours, notices and alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from sequence.compliance.models import (
    DEFAULT_WITHDRAWAL_LIMIT,
    Alert,
    FundMove,
    WithdrawalNotice,
)

ROLLING = timedelta(hours=24)
ZERO = Decimal(0)


def withdrawal_limit(strategy_id) -> Decimal:
    from sequence.compliance.models import StrategyRules

    row = StrategyRules.objects.filter(strategy_id=strategy_id).values_list("withdrawal_limit", flat=True).first()
    return row if row is not None else DEFAULT_WITHDRAWAL_LIMIT


def snapshot_balance(bot) -> Decimal | None:
    """The base balance of the bot's newest snapshot (the engine's, written by every step)."""
    from sequence.trading.selectors import bot_live

    engine = bot_live(bot, fills=0, events=0).engine
    return engine.balance if engine is not None else None


def recent_outflow_share(bot_id, currency: str, *, now: datetime | None = None) -> Decimal:
    """The outflows' shares of the last 24 hours, added up.

    Each outflow's share is of the balance before it. An outflow a notice above the limit
    covered is left out: the bot paused for it and sizes its next cycle from what is left.
    """
    since = (now or timezone.now()) - ROLLING
    total = (FundMove.objects.filter(bot_id=bot_id, currency=currency, amount__lt=0, seen_at__gte=since)
             .exclude(notice__large=True).aggregate(s=Sum("share"))["s"])
    return total or ZERO


def notices_for_user(user, *, limit: int = 20) -> list[WithdrawalNotice]:
    return list(WithdrawalNotice.objects.filter(user=user)
                .select_related("bot__offering__strategy", "bot__offering__exchange")[:limit])


def notice_for_user(*, user, notice_id) -> WithdrawalNotice | None:
    return WithdrawalNotice.objects.filter(pk=notice_id, user=user).first()


def open_notices(bot_id) -> list[WithdrawalNotice]:
    return list(WithdrawalNotice.objects.filter(bot_id=bot_id, status__in=WithdrawalNotice.OPEN)
                .order_by("created_at", "id"))


def covering_notice(bot_id, amount: Decimal, *, tolerance: Decimal) -> WithdrawalNotice | None:
    """The notice that announced an outflow of ``amount`` (withdrawal fees: ``tolerance``).

    An open notice, or one the client confirmed before the ledger showed the withdrawal.
    A notice above the limit is matched first: it is the one the bot paused for.
    """
    since = timezone.now() - timedelta(hours=72)
    candidates = (WithdrawalNotice.objects.filter(bot_id=bot_id, ledger_record_id="")
                  .filter(status__in=[*WithdrawalNotice.OPEN, WithdrawalNotice.Status.CONFIRMED])
                  .exclude(status=WithdrawalNotice.Status.CONFIRMED, closed_at__lt=since)
                  .order_by("-large", "created_at", "id"))
    for notice in candidates:
        if amount <= notice.amount * (1 + tolerance):
            return notice
    return None


def alerts_for_operator(*, status: str | None = None, limit: int = 200) -> list[Alert]:
    qs = Alert.objects.select_related("bot__user", "bot__offering__strategy", "handled_by")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


def notices_for_operator(*, limit: int = 200) -> list[WithdrawalNotice]:
    return list(WithdrawalNotice.objects.select_related("bot__offering__strategy", "user")[:limit])


def open_pausing_alerts(bot_id, *, exclude=None) -> int:
    qs = Alert.objects.filter(bot_id=bot_id, paused=True).exclude(status=Alert.Status.RESOLVED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.count()
