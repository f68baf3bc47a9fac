"""Writes of trading: the only code that moves a bot along its state machine.

Every service locks the bot row (``of=("self",)``; lock order in :mod:`sequence.ops.jobs`),
checks the transition against :data:`~sequence.trading.statuses.TRANSITIONS`, and writes an
audit event with the actor and the before/after state in the same transaction. An illegal
transition raises :class:`TransitionError` with a sentence an operator can read.

Pausing is a *set of reasons* (operator, withdrawal, compliance, key expiry): the bot trades
only when the set is empty, and each resume clears only its own reason.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from sequence.ops.jobs import defer
from sequence.ops.services import audit_record
from sequence.trading.models import Bot, BotEngine
from sequence.trading.statuses import ENGINE_STATES, TRANSITIONS, BotStatus, PauseReason

__all__ = [
    "TransitionError",
    "bot_attention",
    "bot_create",
    "bot_credential_verified",
    "bot_launch_request",
    "bot_lock",
    "bot_pause",
    "bot_resume",
    "bot_stop",
    "bot_verifying",
]


class TransitionError(ValueError):
    """A bot cannot go from its state to the one asked."""


def _label(status: str) -> str:
    return BotStatus(status).label


def _lock(bot_id) -> Bot:
    return Bot.objects.select_for_update(of=("self",)).get(pk=bot_id)


def bot_lock(*, bot_id, user=None) -> Bot:
    """Lock one bot row (and nothing else) for the caller's transaction; ``user``: must be theirs."""
    qs = Bot.objects.select_for_update(of=("self",))
    return qs.get(pk=bot_id, user=user) if user is not None else qs.get(pk=bot_id)


def _move(bot: Bot, to: str, *, actor, action: str, request=None, data: dict | None = None) -> Bot:
    before = bot.status
    if to != before and to not in TRANSITIONS[before]:
        raise TransitionError(f"A bot that is “{_label(before)}” cannot become “{_label(to)}”.")
    bot.status = to
    fields = ["status", "pause_reasons", "attention_reason"]
    if to == BotStatus.STOPPED:
        bot.stopped_at = timezone.now()
        fields.append("stopped_at")
    bot.save(update_fields=fields)
    audit_record(actor=actor, action=f"bot.{action}", target=bot, request=request,
                 data={"from": before, "to": to, "pause_reasons": list(bot.pause_reasons), **(data or {})})
    return bot


def bot_create(*, user, offering, kind: str = Bot.Kind.CLIENT, venue_account_id: str = "") -> Bot:
    """A new bot, "Submitted" (its first key is on its way to verification)."""
    return Bot.objects.create(user=user, offering=offering, status=BotStatus.SUBMITTED, kind=kind,
                              venue_account_id=venue_account_id)


@transaction.atomic
def bot_verifying(*, bot_id, actor=None) -> Bot:
    bot = _lock(bot_id)
    if bot.status == BotStatus.VERIFYING:
        return bot
    return _move(bot, BotStatus.VERIFYING, actor=actor, action="verifying")


@transaction.atomic
def bot_credential_verified(*, bot_id, credential, expires_at: datetime, expiry_source: str,
                            first_key: bool, actor=None) -> tuple[Bot, object | None]:
    """A verified key becomes the bot's; returns (bot, the credential it replaced or None).

    A first key makes the bot "Awaiting launch". A refresh swaps the key atomically, and a
    bot paused for its expiring key resumes (its other pause reasons stay).
    """
    bot = _lock(bot_id)
    old = bot.credential if bot.credential_id != getattr(credential, "pk", None) else None
    bot.credential = credential
    bot.key_expires_at = expires_at
    bot.key_expiry_source = expiry_source
    bot.save(update_fields=["credential", "key_expires_at", "key_expiry_source"])
    if first_key:
        _move(bot, BotStatus.AWAITING_LAUNCH, actor=actor, action="verified")
    elif PauseReason.KEY_EXPIRY in bot.pause_reasons:
        bot_resume(bot_id=bot.pk, reason=PauseReason.KEY_EXPIRY, actor=actor)
        bot.refresh_from_db()
    return bot, (old if not first_key else None)


@transaction.atomic
def bot_attention(*, bot_id, reason: str, actor=None, data: dict | None = None) -> Bot:
    """Something only a person can fix: the bot stops placing new orders until then."""
    bot = _lock(bot_id)
    bot.attention_reason = reason
    moved = _move(bot, BotStatus.NEEDS_ATTENTION, actor=actor, action="needs_attention",
                  data={"reason": reason, **(data or {})})
    _hurry_step(moved)
    return moved


@transaction.atomic
def bot_launch_request(*, bot_id, actor, request=None) -> Bot:
    """The operator's Launch: checked here, carried out by the launch job (it holds the key).

    The job sets the account up (hedge mode, cross margin, leverage) and only then makes the
    bot live and sends "strategy launched"; a venue that cannot do what the strategy needs
    leaves the bot "Awaiting launch" with the reason.
    """
    from sequence.trading.tasks import launch_bot

    bot = _lock(bot_id)
    if bot.status != BotStatus.AWAITING_LAUNCH:
        raise TransitionError(f"Only a bot “Awaiting launch” can be launched; this one is “{_label(bot.status)}”.")
    if bot.credential_id is None and bot.kind != Bot.Kind.PAPER:
        raise TransitionError("This bot has no verified key yet.")
    bot.attention_reason = ""
    bot.save(update_fields=["attention_reason"])
    audit_record(actor=actor, action="bot.launch_requested", target=bot, request=request)
    defer(launch_bot, lock=f"bot:{bot.pk}", bot_id=str(bot.pk), actor_id=getattr(actor, "pk", None))
    return bot


@transaction.atomic
def bot_pause(*, bot_id, reason: str, actor=None, request=None, data: dict | None = None) -> Bot:
    """Add a pause reason; a live bot becomes paused (entries and DCA cancelled, take-profit kept)."""
    reason = PauseReason(reason)
    bot = _lock(bot_id)
    if bot.status not in ENGINE_STATES:
        raise TransitionError(f"A bot that is “{_label(bot.status)}” cannot be paused.")
    if reason in bot.pause_reasons:
        return bot
    bot.pause_reasons = sorted({*bot.pause_reasons, reason})
    moved = _move(bot, BotStatus.PAUSED, actor=actor, action="paused", request=request,
                  data={"reason": reason, **(data or {})})
    _hurry_step(moved)
    return moved


@transaction.atomic
def bot_resume(*, bot_id, reason: str, actor=None, request=None) -> Bot:
    """Clear one pause reason; the bot trades again when none is left."""
    reason = PauseReason(reason)
    bot = _lock(bot_id)
    if reason not in bot.pause_reasons:
        raise TransitionError(f"This bot is not paused for “{reason.label}”.")
    bot.pause_reasons = [r for r in bot.pause_reasons if r != reason]
    to = BotStatus.LIVE if not bot.pause_reasons and bot.status == BotStatus.PAUSED else bot.status
    moved = _move(bot, to, actor=actor, action="resumed", request=request, data={"reason": reason})
    _hurry_step(moved)
    return moved


@transaction.atomic
def bot_stop(*, bot_id, actor, request=None) -> Bot:
    """Stop for good: every order is cancelled, the position is left to the operator (told its size)."""
    from sequence.trading.tasks import wind_down_bot

    bot = _lock(bot_id)
    was_trading = bot.launched_at is not None
    moved = _move(bot, BotStatus.STOPPED, actor=actor, action="stopped", request=request)
    if was_trading:
        defer(wind_down_bot, lock=f"bot:{bot.pk}", bot_id=str(bot.pk),
              operator_id=getattr(actor, "pk", None))
    return moved


def _hurry_step(bot: Bot) -> None:
    """Run the bot's next step now rather than at its scheduled time (pause takes effect at once)."""
    if bot.launched_at is None:
        return
    from sequence.trading.engine_jobs import step_now

    step_now(bot)


@transaction.atomic
def bot_mark_live(*, bot_id, actor, strategy_version, number: int, egress_ip: str, hedge: bool,
                  leverage) -> Bot:
    """Called by the launch job once the account is set up: live, launch email, first step."""
    from sequence.trading.engine_jobs import chain_start
    from sequence.trading.notify import email_launched

    bot = _lock(bot_id)
    if bot.status != BotStatus.AWAITING_LAUNCH:
        raise TransitionError(f"Only a bot “Awaiting launch” can be launched; this one is “{_label(bot.status)}”.")
    bot.strategy_version = strategy_version
    bot.number = bot.number or number
    bot.egress_ip, bot.hedge_mode, bot.leverage = egress_ip, hedge, leverage
    bot.launched_at = timezone.now()
    bot.save(update_fields=["strategy_version", "number", "egress_ip", "hedge_mode", "leverage", "launched_at"])
    _move(bot, BotStatus.LIVE, actor=actor, action="launched",
          data={"strategy_version": strategy_version.version, "hedge": hedge, "leverage": str(leverage)})
    BotEngine.objects.get_or_create(bot=bot)
    email_launched(bot)
    chain_start(bot)
    return bot


@transaction.atomic
def bot_launch_refused(*, bot_id, actor, reason: str) -> Bot:
    bot = _lock(bot_id)
    bot.attention_reason = reason
    bot.save(update_fields=["attention_reason"])
    audit_record(actor=actor, action="bot.launch_refused", target=bot, data={"reason": reason})
    return bot


@transaction.atomic
def bot_strategy_version_move(*, bot_id, strategy_version, actor, request=None) -> Bot:
    """An operator moves a bot to another frozen version of its own strategy.

    Only the bot row changes (``strategy_version``). A bot not yet launched trades it from its
    launch. A launched bot's sides each keep the version their running cycle began with (the
    engine stores it per side) and run the new one from their next cycle: a take-profit or DCA
    ladder is never re-priced mid-cycle by a catalogue change."""
    bot = _lock(bot_id)
    if bot.status == BotStatus.STOPPED:
        raise TransitionError("A stopped bot cannot be moved to another version.")
    if strategy_version.strategy_id != bot.offering.strategy_id:
        raise TransitionError("A bot can only move to a version of its own strategy.")
    before = bot.strategy_version.version if bot.strategy_version_id else None
    bot.strategy_version = strategy_version
    bot.save(update_fields=["strategy_version"])
    audit_record(actor=actor, action="bot.version_moved", target=bot, request=request,
                 data={"from": before, "to": strategy_version.version})
    return bot
