"""The funds rules' emails, each queued in the caller's transaction through the outbox.

Every dedup key names the object and its version (the notice and its step in the
cycle, the alert), so a step run twice or a restarted worker queues nothing new.
"""

from __future__ import annotations

from decimal import Decimal

from sequence.notifications.services import email_enqueue

HUNDRED = Decimal(100)


def pct(share: Decimal | None) -> str:
    """A share as a percent string, unrounded (templates round it for display only)."""
    return "" if share is None else str(share * HUNDRED)


def bot_context(bot) -> dict:
    offering = bot.offering
    return {"exchange": offering.exchange.name, "strategy": offering.strategy.name,
            "market": offering.get_market_display(), "base_currency": offering.strategy.base_currency}


def notice_context(notice) -> dict:
    return {**bot_context(notice.bot), "amount": str(notice.amount), "currency": notice.currency,
            "planned_for": notice.planned_for.isoformat(), "share_pct": pct(notice.share),
            "limit_pct": pct(notice.limit), "balance": str(notice.balance), "large": notice.large,
            "expires_at": notice.expires_at.strftime("%Y-%m-%d %H:%M UTC")}


def email_notice_received(notice) -> None:
    email_enqueue(kind="withdrawal_notice_received", user=notice.user, dedup_key=f"{notice.pk}",
                  context=notice_context(notice))


def email_safe_to_withdraw(notice) -> None:
    email_enqueue(kind="withdrawal_safe", user=notice.user, dedup_key=f"{notice.pk}",
                  context=notice_context(notice))


def email_trading_resumed(notice, *, how: str) -> None:
    """``how``: "ledger" (we saw the withdrawal) or "client" (the client confirmed it)."""
    email_enqueue(kind="trading_resumed", user=notice.user, dedup_key=f"notice:{notice.pk}",
                  context={**notice_context(notice), "how": how})


def email_notice_expired(notice, *, resumed: bool) -> None:
    email_enqueue(kind="withdrawal_notice_expired", user=notice.user, dedup_key=f"{notice.pk}",
                  context={**notice_context(notice), "resumed": resumed})


def email_alert(alert, bot) -> None:
    email_enqueue(kind=f"compliance_{alert.kind}", user=bot.user, dedup_key=f"{alert.pk}",
                  context={**bot_context(bot), **alert.data, "paused": alert.paused,
                           "record_id": alert.record_id})


def email_operator_paused(bot, *, version: str, note: str = "") -> None:
    """``version``: what makes this pause another one than the last (the step's market time)."""
    email_enqueue(kind="bot_paused_by_operator", user=bot.user, dedup_key=f"{bot.pk}:{version}",
                  context={**bot_context(bot), "note": note})


def email_operator_stopped(bot, *, note: str = "") -> None:
    """For the operators' console to call when it stops a client's bot (a bot stops once)."""
    email_enqueue(kind="bot_stopped_by_operator", user=bot.user, dedup_key=f"{bot.pk}",
                  context={**bot_context(bot), "note": note})
