"""In the real worker, over HTTP and ccxt against the simulated exchange: an unannounced 6%
withdrawal injected through the exchange's admin API is one alert, one email, one pause, and
stays one after more steps and after the worker is restarted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.compliance.models import Alert
from sequence.notifications.models import OutboundEmail
from sequence.trading import services
from sequence.trading.models import Bot, BotEngine
from sequence.vault.services import credential_store
from tests.onboarding.helpers import catalog, exchange_key
from tests.support.eventually import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def launched_bot(user, operator, venue, *, amount="20000") -> tuple[Bot, str]:
    offering = catalog()["usdt-perp-hedge@bybit"]
    key = exchange_key(venue, amount=amount)
    credential = credential_store(owner=user, exchange="bybit", fields={"api_key": key.api_key,
                                                                        "api_secret": key.secret})
    bot = services.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    services.bot_credential_verified(bot_id=bot.pk, credential=credential, first_key=True,
                                     expires_at=timezone.now() + timedelta(days=90), expiry_source="assumed")
    services.bot_launch_request(bot_id=bot.pk, actor=operator)
    return bot, key.account_id


def steps_of(bot) -> int:
    return BotEngine.objects.filter(bot=bot).values_list("steps", flat=True).first() or 0


def wait_steps(bot, more: int, worker) -> None:
    target = steps_of(bot) + more
    eventually(lambda: steps_of(bot) >= target, timeout=60, interval=0.2,
               what=f"{more} more steps of the bot (worker log: {worker.log_path})")


def test_an_unannounced_withdrawal_is_one_alert_across_steps_and_a_worker_restart(
        alice, operator, venue, worker, smtp_sink):
    bot, account = launched_bot(alice, operator, venue)
    eventually(lambda: steps_of(bot) >= 2, timeout=60, interval=0.2, what="the live bot's first steps")
    venue.admin.advance(candles=1)  # the market moves on: the withdrawal is dated after the last read
    venue.admin.withdraw(account, "USDT", Decimal("1200"), wallet="trading")  # 6% of 20,000
    alert = eventually(lambda: Alert.objects.filter(bot=bot, kind="large_withdrawal").first(), timeout=60,
                       interval=0.2, what="the large-withdrawal alert")
    assert alert.paused and Decimal(alert.data["share_pct"]) == pytest.approx(Decimal(6), abs=Decimal("0.01"))
    eventually(lambda: Bot.objects.get(pk=bot.pk).pause_reasons == ["compliance"], what="the compliance pause")
    mail = smtp_sink.to("alice@example.com", "without notice", timeout=30)
    assert "1200" in mail.get_body(("plain",)).get_content()
    wait_steps(bot, 10, worker)
    worker.stop()
    worker.start()
    wait_steps(bot, 5, worker)
    assert Alert.objects.filter(bot=bot).count() == 1
    assert OutboundEmail.objects.filter(user=alice, kind="compliance_large_withdrawal").count() == 1
    assert sum("without notice" in str(m["Subject"]) for m in smtp_sink.messages) == 1
    services.bot_stop(bot_id=bot.pk, actor=operator)  # the chain ends: the worker goes idle
