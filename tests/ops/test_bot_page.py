"""Issue 11 item 3: one page per bot, read from what the engine keeps; a version move."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.catalog.services import strategy_upsert, strategy_version_current
from sequence.ops.models import AuditEvent
from sequence.trading import services as trading
from sequence.trading.models import Bot, BotEngine, BotSide, Fill, Order
from tests.onboarding.helpers import catalog
from tests.ops.helpers import submission

pytestmark = pytest.mark.django_db


def trading_rows(bot, n: int) -> None:
    BotSide.objects.get_or_create(bot=bot, side="long", defaults={"size": Decimal("0.123"),
                                                                  "entry_price": Decimal(30000)})
    for i in range(n):
        order = Order.objects.create(bot=bot, client_order_id=f"{bot.pk.hex[:20]}{i:04d}", side="long",
                                     kind="dca", level=i + 1, cycle=1, buy=True, price=Decimal(29000 - i),
                                     qty=Decimal("0.01"), state="open")
        Fill.objects.create(bot=bot, trade_id=f"t{i}", order=order, side="long", kind="entry", cycle=1, buy=True,
                            price=Decimal("30123.5"), qty=Decimal("0.01"), executed_at=timezone.now())


def test_the_bot_page_shows_history_position_orders_fills_expiry_and_the_code_status(ops, alice, operator):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    trading.bot_stop(bot_id=sub.bot_id, actor=operator)
    trading_rows(Bot.objects.get(pk=sub.bot_id), 2)
    html = ops.get(f"/ops/bots/{sub.bot_id}/").content.decode()
    assert "awaiting_launch → stopped" in html and "operator@example.com" in html  # state history
    assert "0.123" in html and "30000" in html  # position
    assert html.count("<td>DCA ") == 2 and "30123.5" in html  # resting orders, fills
    assert re.search(r'id="key-expiry">API key: ending <code>\w{4}</code>, expires [\d-]+ [\d:]+ \(in 90 days, assumed\)', html)
    # a part of a day counts as a day, as on the client's dashboard and in the reminders
    Bot.objects.filter(pk=sub.bot_id).update(key_expires_at=timezone.now() + timedelta(days=2, hours=3))
    assert "(in 3 days, assumed)" in ops.get(f"/ops/bots/{sub.bot_id}/").content.decode()
    assert 'id="anti-phishing">Anti-phishing code: set' in html
    assert "bluefalcon" not in html  # never the code itself
    alice.anti_phishing_code = ""
    alice.save(update_fields=["anti_phishing_code"])
    assert "Anti-phishing code: <strong>not set</strong>" in ops.get(f"/ops/bots/{sub.bot_id}/").content.decode()


def test_the_bot_page_reads_a_fixed_number_of_queries(ops, alice, operator, django_assert_max_num_queries):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    bot = Bot.objects.get(pk=sub.bot_id)
    trading_rows(bot, 1)
    with django_assert_max_num_queries(14) as few:
        assert ops.get(f"/ops/bots/{bot.pk}/").status_code == 200
    for i in range(20):
        trading.bot_launch_refused(bot_id=bot.pk, actor=operator, reason=f"r{i}")  # more history
    Order.objects.filter(bot=bot).delete()
    Fill.objects.filter(bot=bot).delete()
    trading_rows(bot, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = ops.get(f"/ops/bots/{bot.pk}/")
    assert page.content.decode().count("<td>DCA ") == 15
    with django_assert_max_num_queries(8) as listing:
        ops.get("/ops/bots/")
    for _ in range(5):
        submission(alice, catalog()["usdt-perp-hedge@okx"])
    with django_assert_max_num_queries(len(listing.captured_queries)):
        assert ops.get("/ops/bots/").content.decode().count("data-bot=") == 6


def test_moving_a_bot_to_another_version_changes_its_strategy_version(ops, alice, operator):
    offering = catalog()["usdt-perp-hedge@bybit"]
    sub = submission(alice, offering)
    v1 = strategy_version_current(strategy=offering.strategy)
    Bot.objects.filter(pk=sub.bot_id).update(strategy_version=v1)
    s = offering.strategy
    strategy_upsert(slug=s.slug, name=s.name, base_currency=s.base_currency, min_balance=s.min_balance,
                    params={**s.params, "wallet_exposure_limit": 0.7})
    v2 = strategy_version_current(strategy=type(s).objects.get(pk=s.pk))
    assert v2.version == v1.version + 1
    ops.post(f"/ops/bots/{sub.bot_id}/move/", {"version": str(v2.pk)})
    assert Bot.objects.get(pk=sub.bot_id).strategy_version == v2
    event = AuditEvent.objects.get(action="bot.version_moved")
    assert event.actor == operator and event.data == {"from": v1.version, "to": v2.version}
    other = strategy_version_current(strategy=catalog()["usdt-spot-dca@bybit"].strategy)
    refused = ops.post(f"/ops/bots/{sub.bot_id}/move/", {"version": str(other.pk)}, follow=True)
    assert "Choose a version of this bot" in refused.content.decode()
    assert Bot.objects.get(pk=sub.bot_id).strategy_version == v2


def test_pausing_and_stopping_from_the_console_tell_the_client_with_the_note(ops, alice, operator):
    from sequence.notifications.models import OutboundEmail

    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    Bot.objects.filter(pk=sub.bot_id).update(status="live")
    ops.post(f"/ops/bots/{sub.bot_id}/pause/", {"note": "We are checking a foreign order."})
    bot = Bot.objects.get(pk=sub.bot_id)
    assert bot.status == "paused" and bot.pause_reasons == ["operator"]
    paused = OutboundEmail.objects.get(kind="bot_paused_by_operator")
    assert paused.user == alice and paused.context["note"] == "We are checking a foreign order."
    ops.post(f"/ops/bots/{sub.bot_id}/stop/")
    assert Bot.objects.get(pk=sub.bot_id).status == "stopped"
    assert OutboundEmail.objects.get(kind="bot_stopped_by_operator").user == alice
    assert AuditEvent.objects.filter(action__in=("bot.paused", "bot.stopped"), actor=operator).count() == 2


def test_before_its_first_step_the_live_panel_says_so_not_empty_labels(ops, alice, operator):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    engine = BotEngine.objects.create(bot_id=sub.bot_id, shard=0, next_step_at=None)
    html = ops.get(f"/ops/bots/{sub.bot_id}/").content.decode()
    assert "No step yet" in html and "last price" not in html
    engine.balance, engine.balance_currency, engine.last_price = Decimal("1234.5"), "USDT", Decimal("30100")
    engine.last_step_at = timezone.now()
    engine.save()
    html = ops.get(f"/ops/bots/{sub.bot_id}/").content.decode()
    assert "No step yet" not in html and "Balance 1234.500000 USDT · last price 30100" in html
