"""SPEC D4: reminders at 10 and at 7 days before a key expires, each exactly once, and expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import render_email
from sequence.onboarding.lifecycle import key_reminders_run
from sequence.onboarding.models import KeyReminder
from sequence.trading.models import Bot, BotStatus
from sequence.vault.services import credential_store
from tests.onboarding.helpers import catalog


def make_bot(user, expires_in_days: float, status=BotStatus.LIVE) -> Bot:
    offering = catalog()["usdt-perp-hedge@bybit"]
    credential = credential_store(owner=user, exchange="bybit",
                                  fields={"api_key": "AbCdEf1234567890Zz", "api_secret": "S" * 36})
    return Bot.objects.create(user=user, offering=offering, credential=credential, status=status,
                              key_expires_at=timezone.now() + timedelta(days=expires_in_days))


def emails(kind: str) -> int:
    return OutboundEmail.objects.filter(kind=kind).count()


@pytest.mark.django_db
def test_ten_and_seven_days_each_once_then_expiry_pauses(alice):
    bot = make_bot(alice, expires_in_days=20)
    start = timezone.now()
    assert key_reminders_run(now=start) == {"10d": 0, "7d": 0, "1h": 0, "expired": 0}
    for days_later, reminders, paused, expired in [
            (10.5, 1, 0, 0), (10.6, 1, 0, 0), (12, 1, 0, 0), (13.1, 2, 0, 0), (15, 2, 0, 0),
            (19.9, 2, 0, 0), (19.97, 2, 1, 0), (19.99, 2, 1, 0), (20.01, 2, 1, 1), (25, 2, 1, 1)]:
        with time_machine.travel(start + timedelta(days=days_later), tick=False):
            key_reminders_run()
            key_reminders_run()  # a second run (or a second worker) sends nothing more
        assert emails("key_expiry_reminder") == reminders, days_later
        assert emails("keys_expiring_paused") == paused, days_later
        assert emails("keys_expired") == expired, days_later
        bot.refresh_from_db()
        # paused an hour before expiry, while the key still works (43 minutes before, here)
        assert (bot.status == BotStatus.PAUSED) == (paused == 1), days_later
        assert bot.pause_reasons == (["key_expiry"] if paused else []), days_later
    assert set(KeyReminder.objects.values_list("window", flat=True)) == {"10d", "7d", "1h", "expired"}


@pytest.mark.django_db
def test_a_key_verified_late_still_gets_both_in_order(alice):
    make_bot(alice, expires_in_days=8)  # inside the 10-day window already
    assert key_reminders_run()["10d"] == 1
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1), tick=False):
        assert key_reminders_run()["7d"] == 1


@pytest.mark.django_db
def test_an_expired_key_that_never_went_live_needs_attention(alice):
    bot = make_bot(alice, expires_in_days=-1, status=BotStatus.AWAITING_LAUNCH)
    assert key_reminders_run()["expired"] == 1
    bot.refresh_from_db()
    assert bot.status == BotStatus.NEEDS_ATTENTION
    subject, text, html = render_email(OutboundEmail.objects.get(kind="keys_expired"), {})
    assert "has expired" in subject and "bluefalcon" in text and "bluefalcon" in html
    assert "paused" not in text  # it was not trading


@pytest.mark.django_db
def test_a_refreshed_key_gets_its_own_reminders(alice):
    bot = make_bot(alice, expires_in_days=9)
    key_reminders_run()
    bot.credential = credential_store(owner=alice, exchange="bybit",
                                      fields={"api_key": "ZzYyXx0987654321Ab", "api_secret": "T" * 36})
    bot.key_expires_at = timezone.now() + timedelta(days=9)
    bot.save()
    assert key_reminders_run()["10d"] == 1
    msg = OutboundEmail.objects.filter(kind="key_expiry_reminder").latest("pk")
    subject, text, _ = render_email(msg, {})
    assert "expires in 9 days" in subject and "Refresh API" in text
    assert "ending 21Ab" in text  # the new key's tail, not the old one's


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_notice_exactly_once(alice, worker):
    for days in (9, 6, -1):
        make_bot(alice, expires_in_days=days)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            key_reminders_run()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert KeyReminder.objects.count() == 3
    assert emails("key_expiry_reminder") == 2 and emails("keys_expired") == 1


def test_the_dashboard_and_the_reminders_count_the_same_days():
    from sequence.onboarding.selectors import key_days_left

    now = timezone.now()
    assert key_days_left(now + timedelta(days=90) - timedelta(seconds=1), now) == 90  # a fresh 90-day key
    assert key_days_left(now + timedelta(days=8, hours=12), now) == 9
    assert key_days_left(now + timedelta(minutes=5), now) == 1
    assert key_days_left(now, now) == -1 and key_days_left(now - timedelta(days=2), now) == -1  # expired
