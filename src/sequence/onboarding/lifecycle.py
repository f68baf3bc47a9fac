"""Key lifecycle (SPEC D4): reminders 10 and 7 days before a key expires, and what expiry does.

Each notice is a `KeyReminder` row inserted together with its email in one transaction; the
unique (credential, window) constraint makes it happen exactly once however often, and on
however many workers, the periodic job runs or crashes. A refreshed key is a new credential,
so its own reminders start afresh.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from sequence.notifications.services import email_enqueue
from sequence.onboarding.models import KeyReminder
from sequence.onboarding.selectors import key_days_left
from sequence.ops.services import audit_record
from sequence.trading import services as trading
from sequence.trading.selectors import bots_with_key_expiring
from sequence.trading.statuses import ENGINE_STATES, BotStatus, PauseReason

WINDOWS = (  # (window, opens this long before expiry), latest first
    (KeyReminder.Window.ONE_HOUR, timedelta(hours=1)),
    (KeyReminder.Window.SEVEN_DAYS, timedelta(days=7)),
    (KeyReminder.Window.TEN_DAYS, timedelta(days=10)),
)


def due_window(expires_at, now) -> str | None:
    if expires_at <= now:
        return KeyReminder.Window.EXPIRED
    for window, before in WINDOWS:
        if expires_at - now <= before:
            return window
    return None


def key_reminders_run(*, now=None) -> dict[str, int]:
    """Send every notice that is due; returns counts per window (0 when all were sent already)."""
    now = now or timezone.now()
    counts = dict.fromkeys(KeyReminder.Window.values, 0)
    for bot in bots_with_key_expiring(before=now + timedelta(days=10)):
        window = due_window(bot.key_expires_at, now)
        if window is not None and _notify(bot, window, now):
            counts[window] += 1
    return counts


def _notify(bot, window: str, now) -> bool:
    try:
        with transaction.atomic():
            KeyReminder.objects.create(bot=bot, credential_id=bot.credential_id, window=window,
                                       expires_at=bot.key_expires_at, created_at=now)
            context = {"exchange": bot.offering.exchange.name, "strategy": bot.offering.strategy.name,
                       "market": bot.offering.get_market_display(), "key_tail": bot.credential.key_tail,
                       "expires_on": bot.key_expires_at.date().isoformat(),
                       "days_left": max(0, key_days_left(bot.key_expires_at, now))}
            if window == KeyReminder.Window.EXPIRED:
                locked = trading.bot_lock(bot_id=bot.pk)
                was_live = locked.status in ENGINE_STATES
                if was_live:
                    trading.bot_pause(bot_id=bot.pk, reason=PauseReason.KEY_EXPIRY)
                elif locked.status != BotStatus.NEEDS_ATTENTION:
                    trading.bot_attention(bot_id=bot.pk, reason="the API key expired")
                email_enqueue(kind="keys_expired", user=bot.user, dedup_key=f"{bot.credential_id}",
                              context={**context, "was_live": was_live})
                audit_record(actor=None, action="keys.expired", target=bot, data={"was_live": was_live})
            elif window == KeyReminder.Window.ONE_HOUR:
                # The pause comes while the key still works: the engine can cancel entries and
                # DCA orders and keep the take-profit managed. A bot not trading has nothing to pause.
                locked = trading.bot_lock(bot_id=bot.pk)
                if locked.status in ENGINE_STATES:
                    trading.bot_pause(bot_id=bot.pk, reason=PauseReason.KEY_EXPIRY)
                    email_enqueue(kind="keys_expiring_paused", user=bot.user, dedup_key=f"{bot.credential_id}",
                                  context={**context, "expires_at": bot.key_expires_at.strftime("%Y-%m-%d %H:%M UTC")})
                audit_record(actor=None, action="keys.paused_before_expiry", target=bot)
            else:
                email_enqueue(kind="key_expiry_reminder", user=bot.user,
                              dedup_key=f"{bot.credential_id}:{window}", context=context)
                audit_record(actor=None, action=f"keys.reminder_{window}", target=bot)
    except IntegrityError:
        return False  # sent already (or by another worker just now)
    return True
