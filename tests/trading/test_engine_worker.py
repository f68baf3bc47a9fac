"""The engine in a real worker, over HTTP, with real ccxt against the simulated exchange:
launch from the operator page, live steps, pause keeps the take-profit, resume, stop."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.trading import services
from sequence.trading.models import Bot, EngineEvent, Order
from sequence.vault.services import credential_store
from tests.accounts.helpers import enable_totp, signed_in_via_email
from tests.onboarding.helpers import catalog, exchange_key
from tests.support.eventually import eventually as poll

pytestmark = pytest.mark.django_db(transaction=True)


def eventually(check, timeout=60.0, interval=0.2, what="condition", worker=None):
    """The shared poll, with this file's defaults and the worker's log tail on failure."""
    return poll(check, timeout=timeout, interval=interval, what=what,
                diagnostics=(lambda: worker.output()[-4000:]) if worker else None)


def verified_bot(user, offering, key) -> Bot:
    credential = credential_store(owner=user, exchange="bybit", fields={"api_key": key.api_key, "api_secret": key.secret})
    bot = services.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    services.bot_credential_verified(bot_id=bot.pk, credential=credential, expires_at=timezone.now() + timedelta(days=90),
                                     expiry_source="assumed", first_key=True)
    return Bot.objects.get(pk=bot.pk)


@pytest.fixture
def operator_client(client, operator, smtp_sink, worker):
    signed_in_via_email(client, operator, smtp_sink)
    enable_totp(client, operator)  # outside the demo an operator signs in only with an app
    return client


def test_launch_trade_pause_resume_stop(operator_client, alice, operator, venue, worker, smtp_sink):
    offering = catalog()["usdt-perp-hedge@bybit"]
    key = exchange_key(venue, amount="20000")
    bot = verified_bot(alice, offering, key)
    page = operator_client.get(f"/ops/bots/{bot.pk}/")
    assert page.status_code == 200 and b"Launch" in page.content
    assert operator_client.post(f"/ops/bots/{bot.pk}/launch/").status_code == 302
    eventually(lambda: Bot.objects.get(pk=bot.pk).status == "live", what="live", worker=worker)
    launched = smtp_sink.to("alice@example.com", "is live")
    assert "bluefalcon" in launched.get_body(("plain",)).get_content()
    account = venue.admin.account(key.account_id)
    assert account["hedge"] == {"BTCUSDT-linear": True}
    # both entries rest on the venue as post-only orders at the touch, recorded by our ids
    rested = eventually(lambda: len(venue.admin.account(key.account_id)["open_orders"]) == 2 and
                        venue.admin.account(key.account_id)["open_orders"], what="two entries", worker=worker)
    eventually(lambda: set(Order.objects.filter(bot=bot, state="open").values_list("client_order_id", flat=True))
               == {o["link_id"] for o in rested}, what="the database to know both by our ids", worker=worker)
    # the market moves: entries fill, take-profits and DCA ladders rest
    venue.admin.advance(candles=240)
    eventually(lambda: Order.objects.filter(bot=bot, kind="take_profit", state="open").exists(),
               what="a take-profit", worker=worker)
    eventually(lambda: Order.objects.filter(bot=bot, kind="dca", state="open").exists(), what="DCA levels")

    assert operator_client.post(f"/ops/bots/{bot.pk}/pause/").status_code == 302
    def paused_state():
        opens = venue.admin.account(key.account_id)["open_orders"]
        return opens and all(o["reduce_only"] for o in opens) and opens
    kept = eventually(paused_state, what="only take-profits left", worker=worker)
    assert Bot.objects.get(pk=bot.pk).pause_reasons == ["operator"]
    assert len(kept) >= 1
    assert operator_client.post(f"/ops/bots/{bot.pk}/resume/").status_code == 302
    eventually(lambda: any(not o["reduce_only"] for o in venue.admin.account(key.account_id)["open_orders"]),
               what="DCA or entries again", worker=worker)

    assert operator_client.post(f"/ops/bots/{bot.pk}/stop/").status_code == 302
    eventually(lambda: venue.admin.account(key.account_id)["open_orders"] == [], what="everything cancelled",
               worker=worker)
    stopped = smtp_sink.to("operator@example.com", "Bot stopped")
    assert "position is left to you" in stopped.get_body(("plain",)).get_content()
    assert Bot.objects.get(pk=bot.pk).status == "stopped"
    assert not EngineEvent.objects.filter(bot=bot, kind="foreign_activity").exists()
    assert Decimal(venue.admin.account(key.account_id)["wallets"]["trading"]["USDT"]) > 0
