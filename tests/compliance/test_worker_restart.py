"""In the real worker, over HTTP and ccxt against the simulated exchange: an unannounced 6%
withdrawal injected through the exchange's admin API, and an order the client places with
their own key, are one alert, one email and a pause each, and stay one after more steps and
after the worker is restarted."""

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


def launched_bot(user, operator, venue, *, amount="20000") -> tuple[Bot, object]:
    offering = catalog()["usdt-perp-hedge@bybit"]
    key = exchange_key(venue, amount=amount)
    credential = credential_store(owner=user, exchange="bybit", fields={"api_key": key.api_key,
                                                                        "api_secret": key.secret})
    bot = services.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    services.bot_credential_verified(bot_id=bot.pk, credential=credential, first_key=True,
                                     expires_at=timezone.now() + timedelta(days=90), expiry_source="assumed")
    services.bot_launch_request(bot_id=bot.pk, actor=operator)
    return bot, key


def place_with_the_clients_key(venue, key, price: Decimal) -> None:
    """A limit buy the client places on their account themselves, through ccxt like any client app."""
    import asyncio

    from sequence.exchanges.adapters.base import MarketCache
    from sequence.exchanges.config import ExchangeConfig
    from sequence.exchanges.domain import OrderRequest, PositionSide, Side
    from sequence.exchanges.factory import create_adapter
    from sequence.exchanges.secret import Credentials

    async def place():
        creds = Credentials.of(key.api_key, key.secret, None)
        async with create_adapter(ExchangeConfig("bybit", api_url=venue.url, egress_ip="test"), "linear", creds,
                                  market_cache=MarketCache()) as adapter:
            await adapter.create_order(OrderRequest("BTC/USDT:USDT", Side.BUY, Decimal("0.001"), price,
                                                    "myownorder1", position_side=PositionSide.LONG))

    asyncio.run(place())


def steps_of(bot) -> int:
    return BotEngine.objects.filter(bot=bot).values_list("steps", flat=True).first() or 0


def wait_steps(bot, more: int, worker) -> None:
    target = steps_of(bot) + more
    eventually(lambda: steps_of(bot) >= target, timeout=60, interval=0.2,
               what=f"{more} more steps of the bot (worker log: {worker.log_path})")


def test_an_unannounced_withdrawal_is_one_alert_across_steps_and_a_worker_restart(
        alice, operator, venue, worker, smtp_sink):
    bot, key = launched_bot(alice, operator, venue)
    account = key.account_id
    try:
        eventually(lambda: steps_of(bot) >= 2, timeout=60, interval=0.2, what="the live bot's first steps")
        venue.admin.advance(candles=1)  # the market moves on: the withdrawal is dated after the last read
        venue.admin.withdraw(account, "USDT", Decimal("1200"), wallet="trading")  # 6% of 20,000
        alert = eventually(lambda: Alert.objects.filter(bot=bot, kind="large_withdrawal").first(), timeout=60,
                           interval=0.2, what="the large-withdrawal alert")
        assert alert.paused and Decimal(alert.data["share_pct"]) == pytest.approx(Decimal(6), abs=Decimal("0.01"))
        eventually(lambda: Bot.objects.get(pk=bot.pk).pause_reasons == ["compliance"], what="the compliance pause")
        mail = smtp_sink.to("alice@example.com", "without notice", timeout=30)
        assert "1200" in mail.get_body(("plain",)).get_content()
        last = Decimal(venue.admin.clock()["last_price"])
        place_with_the_clients_key(venue, key, (last * Decimal("0.9")).quantize(Decimal("0.1")))
        manual = eventually(lambda: Alert.objects.filter(bot=bot, kind="manual_trade").first(), timeout=60,
                            interval=0.2, what="the manual-trade alert")
        assert manual.data["client_order_id"] == "myownorder1" and manual.paused
        smtp_sink.to("alice@example.com", "a trade we did not place", timeout=30)
        wait_steps(bot, 10, worker)  # the resting order is reported by every one of them
        worker.stop()
        worker.start()
        wait_steps(bot, 3, worker)  # the restarted worker steps it again
        assert sorted(Alert.objects.filter(bot=bot).values_list("kind", flat=True)) == ["large_withdrawal",
                                                                                        "manual_trade"]
        for kind, subject in (("compliance_large_withdrawal", "without notice"),
                              ("compliance_manual_trade", "a trade we did not place")):
            assert OutboundEmail.objects.filter(user=alice, kind=kind).count() == 1
            assert sum(subject in str(m["Subject"]) for m in smtp_sink.messages) == 1
    finally:  # the chain ends (a failure too): the worker goes idle for the next test
        services.bot_stop(bot_id=bot.pk, actor=operator)
