"""Every email kind of the funds rules, delivered by the real worker to a real SMTP server,
with the client's anti-phishing code in the same place of both parts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from sequence.compliance import notify, services
from sequence.compliance.models import Alert, WithdrawalNotice
from tests.compliance.helpers import new_bot
from tests.support.smtp import html_of, text_of

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "bluefalcon"  # alice's anti-phishing code (tests/conftest.py)


def test_every_new_kind_is_delivered_with_the_anti_phishing_code_in_both_parts(alice, worker, smtp_sink):
    bot, _, _ = new_bot(alice, steps=1)
    notice = WithdrawalNotice.objects.create(
        bot=bot, user=alice, amount=Decimal(800), currency="USDT", planned_for=timezone.localdate(),
        balance=Decimal(10000), share=Decimal("0.08"), limit=Decimal("0.05"), large=True, status="safe",
        expires_at=timezone.now())
    manual = Alert.objects.create(bot=bot, kind="manual_trade", record_id="fill:t1", paused=True, data={
        "what": "fill", "side": "buy", "price": "30000", "qty": "0.01", "client_order_id": "mine-1"})
    large = Alert.objects.create(bot=bot, kind="large_withdrawal", record_id="w1", paused=True, data={
        "currency": "USDT", "amount": "600", "balance_before": "10000", "share_pct": "6", "window_pct": "6",
        "limit_pct": "5"})
    out = Alert.objects.create(bot=bot, kind="non_base_withdrawal", record_id="w2", data={
        "currency": "BTC", "amount": "0.05", "value": "1500", "value_currency": "USDT"})
    dep = Alert.objects.create(bot=bot, kind="non_base_deposit", record_id="d1", data={
        "currency": "ETH", "amount": "2"})
    with transaction.atomic():
        notify.email_notice_received(notice)
        notify.email_safe_to_withdraw(notice)
        notify.email_trading_resumed(notice, how="ledger")
        notify.email_notice_expired(notice, resumed=True)
        for alert in (manual, large, out, dep):
            notify.email_alert(alert, bot)
        services.operator_action_notify(bot_id=bot.pk, action="paused", version="1",
                                        note="checking the account with you")
        services.operator_action_notify(bot_id=bot.pk, action="stopped", note="at the client's request")
    expected = {
        "Withdrawal notice received": "800 USDT",
        "Safe to withdraw": "safe to withdraw 800 USDT",
        "Trading resumed": "in the exchange",
        "Withdrawal notice expired": "has expired",
        "a trade we did not place": "buy 0.01 at 30000",
        "without notice": "6.00%",
        "BTC left the account": "about 1500.00 USDT",
        "ETH arrived on the account": "move the ETH",
        "Paused by the trading team": "checking the account with you",
        "Stopped by the trading team": "at the client",
    }
    for subject, body in expected.items():
        msg = smtp_sink.to("alice@example.com", subject)
        text, html = text_of(msg), html_of(msg)
        assert text.startswith(f"Your anti-phishing code: {CODE}"), (subject, text[:200])
        assert 'class="anti-phishing"' in html and CODE in html.split('class="anti-phishing"', 1)[1][:300], subject
        assert body in text and (body in html or body.replace("'", "&#x27;") in html), (subject, body)
    for subject in expected:  # one each (the bot's launch sent its own "is live" besides)
        assert sum(subject in str(m["Subject"]) for m in smtp_sink.messages) == 1, subject
