"""A live bot on an in-process simulated exchange, and what the funds rules left of it."""

from __future__ import annotations

from decimal import Decimal

from sequence.compliance.models import Alert
from sequence.notifications.models import OutboundEmail
from sequence.trading.models import Bot
from tests.trading.helpers import live_bot, parity_venue, run, step

__all__ = ["alerts", "bot_state", "emails", "new_bot", "run", "step", "withdraw"]


def new_bot(user, *, balance="10000", steps: int = 2, sides: str = "long"):
    """(bot, port, venue): live, stepped ``steps`` times (entries resting or filled)."""
    venue = parity_venue()
    bot, port = live_bot(user, venue, {"sides": sides}, balance=balance)
    run(bot, port, venue, steps)
    return bot, port, venue


def withdraw(venue, bot, amount, coin="USDT"):
    """Money out of the trading wallet (the venue books TRANSFER_OUT, as a withdrawal from it)."""
    return venue.withdraw(bot.venue_account_id, coin, Decimal(str(amount)), wallet="trading")


def alerts(bot, kind=None) -> list[Alert]:
    qs = Alert.objects.filter(bot=bot)
    return list(qs.filter(kind=kind) if kind else qs)


def emails(user, kind) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(user=user, kind=kind))


def bot_state(bot) -> tuple[str, list[str]]:
    row = Bot.objects.get(pk=bot.pk)
    return row.status, sorted(row.pause_reasons)
