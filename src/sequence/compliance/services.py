"""Writes of the funds rules: notices, their cycle (pause, safe, resume, expiry), alerts.

Pauses and resumes go through :mod:`sequence.trading.services` with this app's reasons
(withdrawal for a notice, compliance for an alert); each resume clears only its own reason,
so a bot paused for two things trades again only when both are over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sequence.compliance import notify, selectors
from sequence.compliance.models import Alert, StrategyRules, WithdrawalNotice
from sequence.ops.services import audit_record
from sequence.trading import services as trading
from sequence.trading.selectors import bot_for_operator
from sequence.trading.services import TransitionError
from sequence.trading.statuses import ENGINE_STATES, PauseReason

log = logging.getLogger(__name__)
N = WithdrawalNotice.Status


class NoticeError(ValueError):
    """A notice that cannot be given or changed, with a sentence for the client."""


@dataclass(frozen=True)
class Preview:
    bot: object
    amount: Decimal
    currency: str
    planned_for: date
    balance: Decimal
    recent_share: Decimal  # the last 24 hours' outflows
    share: Decimal  # this amount's share plus the recent one
    limit: Decimal

    @property
    def large(self) -> bool:
        return self.share > self.limit

    @property
    def share_pct(self) -> Decimal:
        return self.share * 100

    @property
    def starts_later(self) -> bool:
        return self.planned_for > timezone.localdate()

    @property
    def recent_pct(self) -> Decimal:
        return self.recent_share * 100

    @property
    def limit_pct(self) -> Decimal:
        return self.limit * 100


def notice_hours() -> int:
    return int(settings.WITHDRAWAL_NOTICE_HOURS)


def notice_preview(*, bot, amount: Decimal, planned_for: date) -> Preview:
    """What a notice would be: its share of the last snapshot's balance, and whether it pauses."""
    if bot.status not in ENGINE_STATES or bot.launched_at is None:
        raise NoticeError("Notices are for a strategy that is trading: this one is not live.")
    balance = selectors.snapshot_balance(bot)
    if not balance or balance <= 0:
        raise NoticeError("We have not read this account's balance yet. Try again in a minute.")
    currency = bot.offering.strategy.base_currency
    recent = selectors.recent_outflow_share(bot.pk, currency)
    return Preview(bot=bot, amount=amount, currency=currency, planned_for=planned_for, balance=balance,
                   recent_share=recent, share=amount / balance + recent,
                   limit=selectors.withdrawal_limit(bot.offering.strategy_id))


def _starts_at(planned_for: date) -> datetime:
    start = datetime.combine(planned_for, time.min, tzinfo=timezone.get_current_timezone())
    return max(timezone.now(), start)


@transaction.atomic
def notice_create(*, user, bot_id, amount: Decimal, planned_for: date, request=None) -> WithdrawalNotice:
    """Record a notice; above the limit, pause the bot for it now (or on the planned date)."""
    bot = trading.bot_lock(bot_id=bot_id, user=user)
    bot = bot_for_operator(bot.pk)
    p = notice_preview(bot=bot, amount=amount, planned_for=planned_for)
    starts = _starts_at(planned_for)
    now_due = starts <= timezone.now()
    status = (N.PAUSING if now_due else N.SCHEDULED) if p.large else N.RECORDED
    notice = WithdrawalNotice.objects.create(
        bot=bot, user=user, amount=amount, currency=p.currency, planned_for=planned_for, balance=p.balance,
        share=p.share, limit=p.limit, large=p.large, status=status,
        expires_at=starts + timedelta(hours=notice_hours()))
    audit_record(actor=user, action="compliance.notice", target=bot, request=request,
                 data={"notice": notice.pk, "amount": str(amount), "share": str(p.share), "large": p.large})
    if status == N.PAUSING:
        trading.bot_pause(bot_id=bot.pk, reason=PauseReason.WITHDRAWAL, actor=user, request=request,
                          data={"notice": notice.pk})
    notify.email_notice_received(notice)
    return notice


def notice_start(notice: WithdrawalNotice) -> None:
    """A scheduled notice's date has come: pause for it."""
    notice.status = N.PAUSING
    notice.save(update_fields=["status"])
    trading.bot_pause(bot_id=notice.bot_id, reason=PauseReason.WITHDRAWAL, data={"notice": notice.pk})


def notice_safe(notice: WithdrawalNotice) -> None:
    notice.status, notice.safe_at = N.SAFE, timezone.now()
    notice.save(update_fields=["status", "safe_at"])
    notify.email_safe_to_withdraw(notice)


def _resume_withdrawal(bot_id, *, actor=None) -> bool:
    """Clear the withdrawal pause when no other notice above the limit still holds it."""
    if WithdrawalNotice.objects.filter(bot_id=bot_id, large=True, status__in=(N.PAUSING, N.SAFE)).exists():
        return False
    bot = bot_for_operator(bot_id)
    if bot is None or PauseReason.WITHDRAWAL not in bot.pause_reasons:
        return False
    trading.bot_resume(bot_id=bot_id, reason=PauseReason.WITHDRAWAL, actor=actor)
    return True


def notice_used(notice: WithdrawalNotice, *, record_id: str) -> None:
    """The ledger showed the announced withdrawal: the notice is done, the bot trades again."""
    was_confirmed = notice.status == N.CONFIRMED
    notice.ledger_record_id = record_id
    if not was_confirmed:
        notice.status, notice.closed_at = N.USED, timezone.now()
    notice.save(update_fields=["ledger_record_id", "status", "closed_at"])
    if notice.large and not was_confirmed:
        _resume_withdrawal(notice.bot_id)
        notify.email_trading_resumed(notice, how="ledger")


@transaction.atomic
def notice_confirm(*, user, notice_id, request=None) -> WithdrawalNotice:
    """The client says they have withdrawn: resume without waiting for the ledger."""
    found = selectors.notice_for_user(user=user, notice_id=notice_id)
    if found is None:
        raise NoticeError("That notice is not one of yours.")
    trading.bot_lock(bot_id=found.bot_id)  # lock order: the bot, then its notice
    notice = WithdrawalNotice.objects.select_for_update(of=("self",)).get(pk=found.pk)
    if not notice.large or notice.status not in (N.PAUSING, N.SAFE, N.SCHEDULED):
        raise NoticeError("This notice is not holding your strategy paused: there is nothing to confirm.")
    notice.status, notice.closed_at = N.CONFIRMED, timezone.now()
    notice.save(update_fields=["status", "closed_at"])
    audit_record(actor=user, action="compliance.notice_confirmed", target=notice.bot, request=request,
                 data={"notice": notice.pk})
    _resume_withdrawal(notice.bot_id, actor=user)
    notify.email_trading_resumed(notice, how="client")
    return notice


def notice_expire(notice: WithdrawalNotice) -> None:
    notice.status, notice.closed_at = N.EXPIRED, timezone.now()
    notice.save(update_fields=["status", "closed_at"])
    resumed = _resume_withdrawal(notice.bot_id) if notice.large else False
    notify.email_notice_expired(notice, resumed=resumed)


def notices_progress(*, bot_id=None) -> int:
    """Move every open notice along (the periodic job; ``bot_id``: one bot's). Returns the moves.

    A notice past its expiry expires (the bot resumes); a scheduled one whose date has come
    pauses the bot; a pausing one becomes "safe to withdraw" once the bot is paused for it and
    no entry or DCA order of it rests any more (the paused step cancelled them).
    """
    qs = WithdrawalNotice.objects.filter(status__in=WithdrawalNotice.OPEN)
    if bot_id is not None:
        qs = qs.filter(bot_id=bot_id)
    moved = 0
    for notice_id, notice_bot in qs.order_by("created_at", "id").values_list("pk", "bot_id"):
        try:
            moved += _progress_one(notice_id, notice_bot)
        except TransitionError as exc:  # e.g. the bot needs attention: it waits, or expires
            log.info("notice %s: %s", notice_id, exc)
    return moved


@transaction.atomic
def _progress_one(notice_id, bot_id) -> int:
    trading.bot_lock(bot_id=bot_id)  # lock order: the bot, then its notice
    notice = WithdrawalNotice.objects.select_for_update(of=("self",)).get(pk=notice_id)
    if not notice.is_open:
        return 0
    now = timezone.now()
    if now >= notice.expires_at:
        notice_expire(notice)
    elif notice.status == N.SCHEDULED and timezone.localdate(now) >= notice.planned_for:
        notice_start(notice)
    elif notice.status == N.PAUSING and _paused_safely(notice.bot_id):
        notice_safe(notice)
    else:
        return 0
    return 1


def _paused_safely(bot_id) -> bool:
    """Paused for the withdrawal, and no entry or DCA order of the bot rests any more.

    A step that began before the pause committed traded as live; if it left an entry or a DCA
    resting, the next (paused) step cancels it and the notice is safe then.
    """
    from sequence.trading.selectors import bot_live
    from sequence.trading.statuses import BotStatus, OrderKind

    bot = bot_for_operator(bot_id)
    if bot is None or bot.status != BotStatus.PAUSED or PauseReason.WITHDRAWAL not in bot.pause_reasons:
        return False
    orders = bot_live(bot, fills=0, events=0).orders
    return not any(o.kind in (OrderKind.ENTRY, OrderKind.DCA) for o in orders)


def operator_action_notify(*, bot_id, action: str, note: str = "", version: str = "") -> None:
    """Tell the client an operator paused or stopped their bot (the console calls this).

    ``version``: what makes this pause another one than the last (e.g. its audit event id).
    """
    bot = bot_for_operator(bot_id)
    if bot is None:
        raise NoticeError("No such bot.")
    if action == "paused":
        notify.email_operator_paused(bot, version=version or timezone.now().isoformat(), note=note)
    elif action == "stopped":
        notify.email_operator_stopped(bot, note=note)
    else:
        raise NoticeError("The action is paused or stopped.")


def alert_raise(*, bot, kind: str, record_id: str, data: dict, pause: bool) -> Alert | None:
    """One finding: the alert (once per bot, kind, record), the client's email, the pause."""
    alert, created = Alert.objects.get_or_create(bot=bot, kind=kind, record_id=record_id[:80],
                                                 defaults={"data": data})
    if not created:
        return None
    if pause and bot.status in ENGINE_STATES:
        trading.bot_pause(bot_id=bot.pk, reason=PauseReason.COMPLIANCE, data={"alert": alert.pk, "kind": kind})
        alert.paused = True
        alert.save(update_fields=["paused"])
    audit_record(actor=None, action=f"compliance.alert.{kind}", target=bot,
                 data={"alert": alert.pk, "record_id": alert.record_id, "paused": alert.paused})
    log.warning("bot %s: compliance alert %s (%s)", bot.pk, kind, alert.record_id)
    notify.email_alert(alert, bot)
    return alert


@transaction.atomic
def alert_handle(*, alert_id, actor, action: str, note: str, request=None) -> Alert:
    """An operator acknowledges or resolves an alert; resolving the last pausing one resumes."""
    if action not in ("acknowledge", "resolve"):
        raise NoticeError("Choose acknowledge or resolve.")
    note = note.strip()
    if not note:
        raise NoticeError("Write a note: what was checked and what was decided.")
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise NoticeError("No such alert.")
    trading.bot_lock(bot_id=alert.bot_id)
    alert = Alert.objects.select_for_update(of=("self",)).get(pk=alert_id)
    if alert.status == Alert.Status.RESOLVED:
        raise NoticeError("This alert is already resolved.")
    alert.status = Alert.Status.RESOLVED if action == "resolve" else Alert.Status.ACKNOWLEDGED
    alert.note, alert.handled_by, alert.handled_at = note[:2000], actor, timezone.now()
    alert.save(update_fields=["status", "note", "handled_by", "handled_at"])
    audit_record(actor=actor, action=f"compliance.alert_{alert.status}", target=alert.bot, request=request,
                 data={"alert": alert.pk})
    if action == "resolve" and alert.paused and not selectors.open_pausing_alerts(alert.bot_id):
        bot = bot_for_operator(alert.bot_id)
        if bot is not None and PauseReason.COMPLIANCE in bot.pause_reasons:
            trading.bot_resume(bot_id=alert.bot_id, reason=PauseReason.COMPLIANCE, actor=actor, request=request)
    return alert


# --- the catalogue's setting: the withdrawal share above which a bot pauses (F1) ----------------

class RulesError(ValueError):
    """A withdrawal threshold that cannot be stored, with a sentence for the operator."""


PERCENT_PLACES = 6  # the share is kept with 8 decimal places: a percent with at most 6


def withdrawal_percent_parse(text: str) -> Decimal:
    """An operator's percent ("5", "7.5", "7.5 %") as a Decimal in (0, 100]."""
    text = (text or "").strip().removesuffix("%").strip()
    if not text:
        raise RulesError("Enter the withdrawal threshold as a percent of the balance, e.g. 5.")
    try:
        percent = Decimal(text)
    except ArithmeticError:
        raise RulesError("The withdrawal threshold must be a number of percent, e.g. 5 or 7.5.") from None
    return _checked_percent(percent)


def _checked_percent(percent: Decimal) -> Decimal:
    if not percent.is_finite():
        raise RulesError("The withdrawal threshold must be a number of percent, e.g. 5 or 7.5.")
    if percent <= 0:
        raise RulesError("The withdrawal threshold must be above 0%.")
    if percent > 100:
        raise RulesError("The withdrawal threshold is a share of the balance: at most 100%.")
    if -percent.normalize().as_tuple().exponent > PERCENT_PLACES:
        raise RulesError(f"The withdrawal threshold takes at most {PERCENT_PLACES} decimal places.")
    return percent


def withdrawal_percent(strategy_id) -> Decimal:
    """The strategy's threshold in percent (the guide's 5% unless an operator set another)."""
    percent = (selectors.withdrawal_limit(strategy_id) * 100).normalize()
    return Decimal(f"{percent:f}")  # 100, not 1E+2


@transaction.atomic
def withdrawal_limit_set(*, strategy, percent: Decimal, actor, request=None) -> Decimal:
    """Set the strategy's withdrawal threshold (percent); audited with before and after.
    Notices given from now on use it; a notice already given keeps the limit it was given with."""
    percent = _checked_percent(Decimal(percent))
    before = withdrawal_percent(strategy.pk)
    StrategyRules.objects.update_or_create(strategy_id=strategy.pk, defaults={"withdrawal_limit": percent / 100})
    after = withdrawal_percent(strategy.pk)
    audit_record(actor=actor, action="compliance.withdrawal_limit_set", target=strategy, request=request,
                 data={"before_pct": str(before), "after_pct": str(after)})
    return after
