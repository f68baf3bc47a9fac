"""Issue 11 item 6 (H3): what needs the team, in one place, each with a count on the home page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.compliance.models import Alert, WithdrawalNotice
from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import email_enqueue
from sequence.trading.models import Bot
from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, submission, with_app

pytestmark = pytest.mark.django_db


def count(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}"><span class="count">(\d+)</span>', html).group(1))


def test_the_home_page_counts_expiring_keys_dead_letters_flags_notices_and_alerts(client, operator, alice,
                                                                                   settings):
    settings.DEMO = False
    with_app(operator)
    sign_in(client, operator)
    html = client.get("/ops/").content.decode()
    assert [count(html, n) for n in ("launch", "flags", "expiring", "dead", "withdrawals", "alerts")] == [0] * 6

    offerings = catalog()
    soon = submission(alice, offerings["usdt-perp-hedge@bybit"])
    Bot.objects.filter(pk=soon.bot_id).update(key_expires_at=timezone.now() + timedelta(days=3))
    submission(alice, offerings["usdt-perp-hedge@okx"])  # expires in 90 days: not listed
    submission(alice, offerings["kraken-spot@kraken"], status="verifying", flags=("kraken_contact_support",))
    email_enqueue(kind="keys_received", user=alice, dedup_key="d", context={})
    OutboundEmail.objects.filter(kind="keys_received").update(status="dead", last_error="550 mailbox unavailable")
    Alert.objects.create(bot_id=soon.bot_id, kind="manual_trade", record_id="t1")
    Alert.objects.create(bot_id=soon.bot_id, kind="manual_trade", record_id="t2", status="resolved")
    now = timezone.now()
    WithdrawalNotice.objects.create(bot_id=soon.bot_id, user=alice, amount=Decimal(100), currency="USDT",
                                    planned_for=now.date(), balance=Decimal(1000), share=Decimal("0.1"),
                                    limit=Decimal("0.05"), large=True, status="scheduled",
                                    expires_at=now + timedelta(days=2))
    html = client.get("/ops/").content.decode()
    assert count(html, "launch") == 2 and count(html, "flags") == 1 and count(html, "expiring") == 1
    assert count(html, "dead") == 1 and "550 mailbox unavailable" in html
    assert count(html, "withdrawals") == 1 and count(html, "alerts") == 1
    assert "Notice: 100 USDT" in html and "Alert: Manual trade" in html
