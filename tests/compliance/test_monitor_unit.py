"""The monitor fed a StepSummary built by hand: the non-base cases the engine cannot see yet
(it reads the base currency's ledger only), liquidations and funding, malformed data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.compliance.models import Alert, FundMove
from sequence.compliance.monitors import on_step
from sequence.engine.model import EngineEvent
from sequence.trading.hooks import StepSummary
from tests.compliance.helpers import alerts, bot_state, emails, new_bot

pytestmark = pytest.mark.django_db


def summary(bot, *events: EngineEvent, balance="10000", previous="10000", market_ms=1) -> StepSummary:
    return StepSummary(bot_id=str(bot.pk), status="live", pause_reasons=(), balance=Decimal(balance),
                       base_currency="USDT", market_ms=market_ms, events=events, fills=(),
                       previous_balance=Decimal(previous) if previous is not None else None)


def fund(kind, currency, amount, rid) -> EngineEvent:
    return EngineEvent("deposit", {"kind": kind, "currency": currency, "amount": str(amount),
                                   "exchange_type": "TRANSFER_IN", "id": rid})


def test_a_non_base_deposit_is_one_alert_and_one_email_without_a_pause(alice):
    bot, _, _ = new_bot(alice, steps=1)
    for i in range(11):  # the same ledger record reported again (a re-read) makes nothing new
        on_step(summary(bot, fund("deposit", "BTC", "0.1", "rec-1"), market_ms=i + 1))
    found = alerts(bot, Alert.Kind.NON_BASE_DEPOSIT)
    assert len(found) == 1 and found[0].record_id == "rec-1" and not found[0].paused
    assert found[0].data["currency"] == "BTC" and found[0].data["amount"] == "0.1"
    # priced in the strategy's unit of account from the bot's own market (BTC/USDT)
    assert found[0].data["value_currency"] == "USDT" and Decimal(found[0].data["value"]) > 0
    assert len(emails(alice, "compliance_non_base_deposit")) == 1
    assert bot_state(bot) == ("live", [])


def test_a_non_base_withdrawal_is_one_alert_and_one_email(alice):
    bot, _, _ = new_bot(alice, steps=1)
    on_step(summary(bot, fund("withdrawal", "ETH", "-2", "rec-2")))
    on_step(summary(bot, fund("withdrawal", "ETH", "-2", "rec-2")))
    found = alerts(bot, Alert.Kind.NON_BASE_WITHDRAWAL)
    assert len(found) == 1 and found[0].data["amount"] == "2" and "value" not in found[0].data
    assert len(emails(alice, "compliance_non_base_withdrawal")) == 1
    assert bot_state(bot) == ("live", [])


def test_the_share_is_of_the_balance_before_the_outflow(alice):
    bot, _, _ = new_bot(alice, steps=1)
    on_step(summary(bot, fund("transfer", "USDT", "-1100", "out-1"), balance="18900", previous="20000"))
    move = FundMove.objects.get(bot=bot, record_id="out-1")
    assert move.balance_before == Decimal(20000) and move.share == Decimal("0.055")
    assert len(alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)) == 1


def test_without_a_previous_snapshot_the_balance_before_is_now_plus_the_outflow(alice):
    bot, _, _ = new_bot(alice, steps=1)
    on_step(summary(bot, fund("withdrawal", "USDT", "-400", "out-2"), balance="9600", previous=None))
    move = FundMove.objects.get(bot=bot, record_id="out-2")
    assert move.balance_before == Decimal(10000) and move.share == Decimal("0.04")
    assert alerts(bot) == []


def test_a_transfer_in_funding_and_garbage_are_no_findings(alice):
    bot, _, _ = new_bot(alice, steps=1)
    earlier = set(FundMove.objects.filter(bot=bot).values_list("record_id", flat=True))  # the launch funding
    on_step(summary(bot, fund("transfer", "USDT", "300", "in-1"), EngineEvent("deposit", {"kind": "withdrawal"}),
                    EngineEvent("deposit", {"kind": "withdrawal", "currency": "USDT", "amount": "lots"}),
                    EngineEvent("foreign_activity", {"what": "position closed", "side": "long", "size": "1"})))
    assert alerts(bot) == []
    assert set(FundMove.objects.filter(bot=bot).values_list("record_id", flat=True)) - earlier == {"in-1"}
    assert bot_state(bot) == ("live", [])


def test_the_limit_is_the_strategys_catalogue_setting(alice):
    from sequence.compliance.models import StrategyRules

    bot, _, _ = new_bot(alice, steps=1)
    StrategyRules.objects.create(strategy=bot.offering.strategy, withdrawal_limit=Decimal("0.10"))
    on_step(summary(bot, fund("withdrawal", "USDT", "-800", "w-8")))
    assert alerts(bot) == []  # 8% is within this strategy's 10%
    on_step(summary(bot, fund("withdrawal", "USDT", "-300", "w-3"), market_ms=2))
    assert len(alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)) == 1  # 8% + 3% in 24 h


def test_a_ledger_a_step_late_is_of_the_balance_before_it_not_the_previous_snapshot(alice):
    # the previous snapshot already lacks the 600 (the balance showed it before the ledger did)
    bot, _, _ = new_bot(alice, steps=1)
    on_step(summary(bot, fund("withdrawal", "USDT", "-600", "late-1"), balance="9400", previous="9400"))
    move = FundMove.objects.get(bot=bot, record_id="late-1")
    assert move.balance_before == Decimal(10000) and move.share == Decimal("0.06")
    assert len(alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)) == 1


def test_two_outflows_in_one_step_each_share_of_what_was_left(alice):
    bot, _, _ = new_bot(alice, steps=1)
    on_step(summary(bot, fund("withdrawal", "USDT", "-200", "a"), fund("transfer", "USDT", "-250", "b"),
                    balance="9550", previous="10000"))
    a, b = (FundMove.objects.get(bot=bot, record_id=r) for r in "ab")
    assert (a.balance_before, b.balance_before) == (Decimal(10000), Decimal(9800))
    assert alerts(bot) == []  # 2% + 2.55%: within 5%
    on_step(summary(bot, fund("withdrawal", "USDT", "-100", "c"), balance="9450", previous="9550", market_ms=2))
    assert len(alerts(bot, Alert.Kind.LARGE_WITHDRAWAL)) == 1  # + 1.05%: 5.6% in 24 h


def test_the_ledgers_balance_after_gives_the_balance_before_exactly(alice):
    bot, _, _ = new_bot(alice, steps=1)
    event = EngineEvent("deposit", {"kind": "withdrawal", "currency": "USDT", "amount": "-300", "id": "x",
                                    "balance_after": "11700"})
    on_step(summary(bot, event, balance="11650", previous="11990"))
    assert FundMove.objects.get(bot=bot, record_id="x").balance_before == Decimal(12000)
