"""Reads of onboarding for pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from sequence.onboarding.models import Submission
from sequence.trading.models import Bot


@dataclass(frozen=True)
class BotRow:
    bot: Bot
    latest: Submission | None
    days_to_expiry: int | None

    @property
    def status_label(self) -> str:
        return self.bot.get_status_display()


def bots_for_dashboard(user) -> list[BotRow]:
    # every bot's submissions in one query (newest first), not one query per bot
    newest_first = Prefetch("submissions", queryset=Submission.objects.order_by("-created_at"), to_attr="by_age")
    bots = (Bot.objects.filter(user=user).select_related("offering__strategy", "offering__exchange", "credential")
            .prefetch_related(newest_first))
    rows = []
    now = timezone.now()
    for bot in bots:
        latest = bot.by_age[0] if bot.by_age else None
        days = (bot.key_expires_at - now).days if bot.key_expires_at else None
        rows.append(BotRow(bot=bot, latest=latest, days_to_expiry=days))
    return rows


def refreshable_bots(user) -> list[Bot]:
    return list(Bot.objects.filter(user=user, credential__isnull=False)
                .select_related("offering__strategy", "offering__exchange", "credential"))
