"""Withdrawal notices against the simulated exchange, the withdrawals injected on the venue.

The cycle's timed moves (the pause's "safe to withdraw", expiry) are the periodic job's
body, ``services.notices_progress``, called here where the job would run.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.compliance import services
from sequence.compliance.models import Alert, FundMove, WithdrawalNotice
from sequence.trading.models import Order
from tests.compliance.helpers import alerts, bot_state, emails, new_bot, run, step, withdraw

pytestmark = pytest.mark.django_db
N = WithdrawalNotice.Status


def give(user, bot, amount, planned_for=None) -> WithdrawalNotice:
    return services.notice_create(user=user, bot_id=bot.pk, amount=Decimal(str(amount)),
                                  planned_for=planned_for or timezone.localdate())


def test_a_notice_below_the_limit_is_recorded_and_acknowledged_and_covers_its_withdrawal(alice):
    bot, port, venue = new_bot(alice)
    notice = give(alice, bot, 300)
    assert notice.status == N.RECORDED and not notice.large
    assert notice.share == pytest.approx(Decimal("0.03"), abs=Decimal("0.002"))
    assert bot_state(bot) == ("live", [])
    received = emails(alice, "withdrawal_notice_received")
    assert len(received) == 1 and received[0].context["large"] is False
    withdraw(venue, bot, 300)
    run(bot, port, venue, 1)
    notice.refresh_from_db()
    assert notice.status == N.USED and notice.ledger_record_id
    assert FundMove.objects.get(bot=bot, amount=Decimal(-300)).notice_id == notice.pk
    assert alerts(bot) == [] and bot_state(bot) == ("live", [])
    assert emails(alice, "trading_resumed") == []  # it never paused


def test_a_notice_above_the_limit_pauses_then_safe_then_the_ledger_resumes(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    balance = venue.account(bot.venue_account_id).balance("USDT")
    notice = give(alice, bot, 800)
    assert notice.large and notice.status == N.PAUSING
    assert bot_state(bot) == ("paused", ["withdrawal"])
    assert emails(alice, "withdrawal_notice_received")[0].context["large"] is True
    assert services.notices_progress() == 0  # entries still rest: no paused step has run yet
    assert emails(alice, "withdrawal_safe") == []
    step(bot, port)  # the paused step cancels the entries and DCA orders, keeps the take-profit
    assert not Order.objects.filter(bot=bot, kind__in=("entry", "dca"), state__in=("open", "pending")).exists()
    assert all(o.reduce_only for o in venue.account(bot.venue_account_id).open_orders.values())
    assert services.notices_progress() == 1
    notice.refresh_from_db()
    assert notice.status == N.SAFE and notice.safe_at is not None
    assert len(emails(alice, "withdrawal_safe")) == 1
    withdraw(venue, bot, 800)
    run(bot, port, venue, 1)
    notice.refresh_from_db()
    assert notice.status == N.USED
    assert bot_state(bot) == ("live", [])
    resumed = emails(alice, "trading_resumed")
    assert len(resumed) == 1 and resumed[0].context["how"] == "ledger"
    assert alerts(bot) == []  # an announced withdrawal is no finding
    # the engine's B, from which its next cycle is sized (E2, tests/trading), is the balance after it
    from sequence.trading.models import BotEngine

    assert BotEngine.objects.get(bot=bot).balance == pytest.approx(balance - 800, abs=Decimal(50))
    run(bot, port, venue, 10)
    assert len(emails(alice, "trading_resumed")) == 1 and len(emails(alice, "withdrawal_safe")) == 1


def test_the_client_may_confirm_the_withdrawal_before_the_ledger_shows_it(alice):
    bot, port, venue = new_bot(alice)
    notice = give(alice, bot, 900)
    step(bot, port)
    services.notices_progress()
    services.notice_confirm(user=alice, notice_id=notice.pk)
    assert bot_state(bot) == ("live", [])
    assert emails(alice, "trading_resumed")[0].context["how"] == "client"
    withdraw(venue, bot, 900)  # shows up afterwards: covered, nothing more happens
    run(bot, port, venue, 2)
    notice.refresh_from_db()
    assert notice.status == N.CONFIRMED and notice.ledger_record_id
    assert alerts(bot) == [] and len(emails(alice, "trading_resumed")) == 1
    with pytest.raises(services.NoticeError):
        services.notice_confirm(user=alice, notice_id=notice.pk)


def test_a_notice_not_used_expires_and_the_bot_resumes(alice, settings):
    settings.WITHDRAWAL_NOTICE_HOURS = 5
    bot, port, venue = new_bot(alice)
    notice = give(alice, bot, 1000)
    assert notice.expires_at - notice.created_at == pytest.approx(timedelta(hours=5), abs=timedelta(seconds=5))
    step(bot, port)
    services.notices_progress()
    assert services.notices_progress() == 0  # nothing more to do until it expires
    WithdrawalNotice.objects.filter(pk=notice.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.notices_progress() == 1
    notice.refresh_from_db()
    assert notice.status == N.EXPIRED
    assert bot_state(bot) == ("live", [])
    expired = emails(alice, "withdrawal_notice_expired")
    assert len(expired) == 1 and expired[0].context["resumed"] is True
    # a late withdrawal of that size is then unannounced
    run(bot, port, venue, 1)
    withdraw(venue, bot, 1000)
    run(bot, port, venue, 1)
    assert len(alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)) == 1


def test_a_notice_for_a_later_day_waits_then_pauses(alice):
    bot, _, _ = new_bot(alice)
    notice = give(alice, bot, 1000, planned_for=timezone.localdate() + timedelta(days=2))
    assert notice.status == N.SCHEDULED and bot_state(bot) == ("live", [])
    assert services.notices_progress() == 0
    WithdrawalNotice.objects.filter(pk=notice.pk).update(planned_for=timezone.localdate())
    assert services.notices_progress() == 1
    assert bot_state(bot) == ("paused", ["withdrawal"])


def test_a_withdrawal_pause_and_a_compliance_pause_are_lifted_each_by_its_own(alice, operator):
    bot, port, venue = new_bot(alice, sides="both")
    notice = give(alice, bot, 900)
    acct = venue.account(bot.venue_account_id)
    venue.place_order(acct, venue.markets["BTCUSDT-linear"], side="buy", type_="market", qty="0.01",
                      position_idx=1, link_id="mine-3")
    step(bot, port)
    assert bot_state(bot) == ("paused", ["compliance", "withdrawal"])
    alert = alerts(bot, Alert.Kind.MANUAL_TRADE)[0]
    with pytest.raises(services.NoticeError):
        services.alert_handle(alert_id=alert.pk, actor=operator, action="resolve", note="  ")
    services.alert_handle(alert_id=alert.pk, actor=operator, action="acknowledge", note="asked the client")
    assert bot_state(bot) == ("paused", ["compliance", "withdrawal"])
    services.alert_handle(alert_id=alert.pk, actor=operator, action="resolve", note="client's mistake, closed")
    assert bot_state(bot) == ("paused", ["withdrawal"])
    services.notice_confirm(user=alice, notice_id=notice.pk)
    assert bot_state(bot) == ("live", [])


def test_the_progress_job_is_periodic_and_runs_the_service(alice):
    from procrastinate.contrib.django import app

    from sequence.compliance import tasks

    periodic = {p.periodic_id: p for p in app.periodic_registry.periodic_tasks.values()}
    assert "withdrawal_notices_progress" in periodic
    assert periodic["withdrawal_notices_progress"].task.name == "compliance.notices_progress"
    bot, port, _ = new_bot(alice)
    notice = give(alice, bot, 900)
    step(bot, port)
    tasks.notices_progress(timestamp=0)  # the job's body, as the worker runs it
    notice.refresh_from_db()
    assert notice.status == N.SAFE


def test_a_scheduled_notice_of_a_bot_that_needs_attention_waits_and_the_others_go_on(alice, bob):
    from sequence.trading import services as trading

    bot, _, _ = new_bot(alice)
    waiting = give(alice, bot, 1000, planned_for=timezone.localdate() + timedelta(days=1))
    other, port, _ = new_bot(bob)
    later = give(bob, other, 1000)
    trading.bot_attention(bot_id=bot.pk, reason="a person is needed")
    WithdrawalNotice.objects.filter(pk=waiting.pk).update(planned_for=timezone.localdate())
    step(other, port)
    assert services.notices_progress() == 1  # bob's is safe; alice's cannot pause a bot needing attention
    assert WithdrawalNotice.objects.get(pk=waiting.pk).status == N.SCHEDULED
    assert WithdrawalNotice.objects.get(pk=later.pk).status == N.SAFE
