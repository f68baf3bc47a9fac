"""The emails of trading, each deferred in the caller's transaction."""

from __future__ import annotations

from sequence.notifications.services import email_enqueue


def _context(bot) -> dict:
    offering = bot.offering
    return {"exchange": offering.exchange.name, "strategy": offering.strategy.name,
            "market": offering.get_market_display(), "base_currency": offering.strategy.base_currency,
            "key_tail": bot.credential.key_tail if bot.credential_id else ""}


def email_launched(bot) -> None:
    email_enqueue(kind="strategy_launched", user=bot.user, dedup_key=f"{bot.pk}:{bot.launched_at.isoformat()}",
                  context=_context(bot))


def email_attention(bot, *, reason: str, hint: str = "") -> None:
    email_enqueue(kind="bot_needs_attention", user=bot.user,
                  dedup_key=f"{bot.pk}:{reason}:{bot.launched_at.isoformat() if bot.launched_at else ''}",
                  context={**_context(bot), "reason": reason, "hint": hint})


def email_stopped(bot, *, operator, positions: list[dict], open_orders_left: int) -> None:
    email_enqueue(kind="bot_stopped", user=bot.user, to=operator.email if operator else None,
                  dedup_key=f"{bot.pk}:stopped",
                  context={**_context(bot), "client": bot.user.email, "positions": positions,
                           "open_orders_left": open_orders_left})
