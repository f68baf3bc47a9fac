"""Reads of onboarding for pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from sequence.onboarding.models import Submission
from sequence.trading import selectors as trading

# An Invite Only strategy asked for without an invite: the submission is kept with this flag,
# "Waiting for an eligibility check", until an operator grants the invite or refuses it.
ELIGIBILITY_FLAG = "eligibility_request"
ELIGIBILITY_STATES = (Submission.Status.ELIGIBILITY, Submission.Status.NOT_ELIGIBLE)


def key_days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until a key expires, counted up (a 90-day key reads 90 until a day has passed,
    as the reminders count them), or -1 once it has expired. The one count of the dashboard
    and the reminder emails: they never differ by a day."""
    seconds = (expires_at - now).total_seconds()
    return math.ceil(seconds / 86400) if seconds > 0 else -1


@dataclass(frozen=True)
class BotRow:
    bot: Any  # a trading bot, read through sequence.trading.selectors
    latest: Submission | None
    days_to_expiry: int | None

    @property
    def eligibility(self) -> str:
        """The newest submission's eligibility state ("eligibility", "not_eligible"), else ""."""
        if self.latest is not None and self.latest.status in ELIGIBILITY_STATES:
            return self.latest.status
        return ""

    @property
    def status_label(self) -> str:
        # a new bot waiting on (or refused) an invite says so, rather than "Submitted" or "Stopped"
        if self.eligibility and self.latest.kind == Submission.Kind.NEW:
            return self.latest.get_status_display()
        return self.bot.get_status_display()


def bots_for_dashboard(user) -> list[BotRow]:
    bots = trading.bots_with_credential(user)
    # every bot's newest submission from one query (newest first), not one query per bot
    latest_of: dict = {}
    for submission in Submission.objects.filter(bot_id__in=[b.pk for b in bots]).order_by("-created_at"):
        latest_of.setdefault(submission.bot_id, submission)
    rows = []
    now = timezone.now()
    for bot in bots:
        latest = latest_of.get(bot.pk)
        days = key_days_left(bot.key_expires_at, now) if bot.key_expires_at else None
        rows.append(BotRow(bot=bot, latest=latest, days_to_expiry=days))
    return rows


def refreshable_bots(user) -> list:
    return trading.bots_with_key(user)


# --- for the console (sequence.ops): the submission queue, a client's submissions ---------------

def _for_operator():
    return Submission.objects.select_related("user", "offering__strategy", "offering__exchange", "bot")


def submissions_for_queue(*, status: str = "", exchange: str = "", flag: str = "",
                          limit: int, offset: int) -> list[Submission]:
    """Newest first, filtered by status, exchange and flag (one query); ``limit`` of them from
    ``offset`` on."""
    qs = _for_operator().order_by("-created_at", "-pk")  # the pk: pages split ties the same way each time
    if status:
        qs = qs.filter(status=status)
    if exchange:
        qs = qs.filter(offering__exchange_id=exchange)
    if flag:
        qs = qs.filter(operator_flags__contains=[flag])
    return list(qs[offset:offset + limit])


def submission_for_operator(pk) -> Submission | None:
    return _for_operator().filter(pk=pk).first()


def submissions_of(user) -> list[Submission]:
    return list(Submission.objects.filter(user=user).select_related("offering__strategy", "offering__exchange"))


def submission_ids_of(user) -> list[str]:
    return [str(pk) for pk in Submission.objects.filter(user=user).values_list("pk", flat=True)]


def flags_in_flight() -> list[tuple]:
    """(submission id, its flags) of every flagged submission not replaced by a newer one."""
    return list(Submission.objects.exclude(operator_flags=[]).exclude(status=Submission.Status.SUPERSEDED)
                .values_list("pk", "operator_flags"))
