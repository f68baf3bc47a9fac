"""Each monitor against the simulated exchange: events injected on the venue, the bot stepped.

Each case checks the alert, the client's email and the pause, then ten more steps: no second
alert, no second email.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.compliance.models import Alert, FundMove
from tests.compliance.helpers import alerts, bot_state, emails, new_bot, run, step, withdraw

pytestmark = pytest.mark.django_db


def ten_more_steps(bot, port, venue):
    run(bot, port, venue, 10)


def test_a_manual_order_with_the_clients_key_is_an_alert_an_email_and_a_pause(alice):
    bot, port, venue = new_bot(alice, sides="both")
    acct = venue.account(bot.venue_account_id)
    market = venue.markets["BTCUSDT-linear"]
    # the client trades on the account themselves (their key, their own client order id)
    venue.place_order(acct, market, side="buy", type_="market", qty="0.01", position_idx=1, link_id="mine-1")
    step(bot, port)
    found = alerts(bot, Alert.Kind.MANUAL_TRADE)
    assert len(found) == 1, found
    assert found[0].record_id.startswith("fill:") and found[0].data["client_order_id"] == "mine-1"
    assert found[0].paused
    assert bot_state(bot) == ("paused", ["compliance"])
    sent = emails(alice, "compliance_manual_trade")
    assert len(sent) == 1 and sent[0].context["client_order_id"] == "mine-1"
    ten_more_steps(bot, port, venue)
    assert len(alerts(bot)) == 1
    assert len(emails(alice, "compliance_manual_trade")) == 1


def test_a_resting_manual_order_is_one_alert_however_many_steps_see_it(alice):
    bot, port, venue = new_bot(alice, sides="both")
    acct = venue.account(bot.venue_account_id)
    market = venue.markets["BTCUSDT-linear"]
    venue.place_order(acct, market, side="buy", type_="limit", qty="0.01", price="1000", position_idx=1,
                      link_id="mine-2")
    step(bot, port)
    ten_more_steps(bot, port, venue)  # the engine reports the resting order at every step
    found = alerts(bot, Alert.Kind.MANUAL_TRADE)
    assert [a.data.get("client_order_id") for a in found] == ["mine-2"]
    assert found[0].record_id.startswith("order:")
    assert bot_state(bot) == ("paused", ["compliance"])
    assert len(emails(alice, "compliance_manual_trade")) == 1


def test_an_unannounced_six_percent_withdrawal_pauses_alerts_and_emails(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    before = venue.account(bot.venue_account_id).balance("USDT")
    withdraw(venue, bot, before * Decimal("0.06"))
    step(bot, port)
    found = alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)
    assert len(found) == 1
    assert Decimal(found[0].data["share_pct"]) == pytest.approx(Decimal(6), abs=Decimal("0.05"))
    assert found[0].paused and bot_state(bot) == ("paused", ["compliance"])
    sent = emails(alice, "compliance_large_withdrawal")
    assert len(sent) == 1 and Decimal(sent[0].context["amount"]) == before * Decimal("0.06")
    ten_more_steps(bot, port, venue)
    assert len(alerts(bot)) == 1 and len(emails(alice, "compliance_large_withdrawal")) == 1
    # the paused bot keeps only take-profits on the book
    assert all(o.reduce_only for o in venue.account(bot.venue_account_id).open_orders.values())


def test_a_one_percent_withdrawal_is_recorded_not_an_alert(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    withdraw(venue, bot, 100)
    step(bot, port)
    ten_more_steps(bot, port, venue)
    assert alerts(bot) == []
    assert bot_state(bot) == ("live", [])
    move = FundMove.objects.get(bot=bot, amount__lt=0)
    assert move.amount == Decimal(-100) and move.share == pytest.approx(Decimal("0.01"), abs=Decimal("0.001"))
    assert emails(alice, "compliance_large_withdrawal") == []


def test_one_percent_withdrawals_add_up_over_24_hours(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    for _ in range(4):
        withdraw(venue, bot, 100)
        run(bot, port, venue, 1)  # the market moves on between withdrawals
    assert alerts(bot) == []  # about 4%: within the limit
    assert FundMove.objects.filter(bot=bot, amount__lt=0).count() == 4
    withdraw(venue, bot, 150)
    run(bot, port, venue, 1)
    found = alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)
    assert len(found) == 1 and Decimal(found[0].data["window_pct"]) > 5
    assert bot_state(bot) == ("paused", ["compliance"])


def test_a_base_currency_deposit_is_no_alert(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    venue.deposit(bot.venue_account_id, "USDT", "5000", wallet="trading")
    step(bot, port)
    ten_more_steps(bot, port, venue)
    assert alerts(bot) == []
    assert bot_state(bot) == ("live", [])
    assert FundMove.objects.filter(bot=bot, currency="USDT", amount=Decimal(5000)).count() == 1


def test_a_non_base_deposit_on_the_venue_is_an_alert_and_an_email(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    venue.deposit(bot.venue_account_id, "BTC", "0.1", wallet="trading")
    step(bot, port)
    ten_more_steps(bot, port, venue)
    found = alerts(bot, Alert.Kind.NON_BASE_DEPOSIT)
    assert len(found) == 1 and found[0].data["currency"] == "BTC"
    assert len(emails(alice, "compliance_non_base_deposit")) == 1
    assert bot_state(bot) == ("live", [])  # reported, not paused


def test_a_non_base_withdrawal_on_the_venue_is_an_alert_and_an_email(alice):
    bot, port, venue = new_bot(alice, balance="10000")
    venue.deposit(bot.venue_account_id, "BTC", "0.1", wallet="funding")
    venue.transfer(bot.venue_account_id, "BTC", "0.1", from_wallet="funding", to_wallet="trading")
    run(bot, port, venue, 1)
    withdraw(venue, bot, "0.05", coin="BTC")
    run(bot, port, venue, 1)
    ten_more_steps(bot, port, venue)
    found = alerts(bot, Alert.Kind.NON_BASE_WITHDRAWAL)
    assert len(found) == 1 and found[0].data["currency"] == "BTC"
    assert len(emails(alice, "compliance_non_base_withdrawal")) == 1
    assert bot_state(bot) == ("live", [])
