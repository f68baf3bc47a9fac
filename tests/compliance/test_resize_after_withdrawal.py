"""Issue 12 item 1 (F1, E2): after a withdrawal above the limit, once the bot resumes, the next
cycle is sized from the new (lower) balance, not the one before the withdrawal.

Against the in-process simulated exchange, through the real engine step: the notice pauses the
bot, the withdrawal is booked on the venue's ledger, the engine sees it and the bot resumes; the
cycle in progress closes at its take-profit and the next cycle's entry is the strategy's formula
``q = B * wallet_exposure_limit * initial_qty_pct / price`` on the market's grid, with ``B`` the
wallet balance the venue holds when that cycle starts.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from sequence.compliance import services
from sequence.compliance.models import WithdrawalNotice
from sequence.core.precision import round_order
from sequence.strategy.params import Params
from sequence.trading.models import BotEngine, BotSide, Order
from sequence.trading.ports import precision_of
from tests.compliance.helpers import bot_state, emails, new_bot, step, withdraw
from tests.trading.helpers import SYMBOL

pytestmark = pytest.mark.django_db

START = Decimal(100000)
OUT = Decimal(20000)  # 20% of the balance: far above the 5% rule
MAX_CANDLES = 1500  # the take-profit (0.5% up) is reached long before on the shipped candles


def entry_qty(params: Params, precision, balance: Decimal, price: Decimal) -> Decimal:
    """The strategy's entry size on ``balance``, rounded as the exchange takes it."""
    raw = balance * Decimal(repr(params.wallet_exposure_limit)) * Decimal(repr(params.initial_qty_pct)) / price
    return round_order(precision, price=price, qty=raw, buy=True, entry=True).qty


def test_the_cycle_after_a_large_withdrawal_is_sized_from_the_new_balance(alice):
    bot, port, venue = new_bot(alice, balance=str(START), steps=2)
    params = Params.from_mapping(bot.offering.strategy.params)
    precision = precision_of(async_to_sync(port.load_markets)()[SYMBOL])
    account = venue.account(bot.venue_account_id)
    side = BotSide.objects.get(bot=bot, side="long")
    assert side.size > 0, "the first cycle's entry has filled: the withdrawal comes mid-cycle"
    first_cycle = side.cycle
    assert side.cycle_balance == pytest.approx(START, abs=Decimal(10))

    notice = services.notice_create(user=alice, bot_id=bot.pk, amount=OUT, planned_for=timezone.localdate())
    assert notice.large and bot_state(bot) == ("paused", ["withdrawal"])
    step(bot, port)  # the paused step: entries and DCA cancelled, the take-profit kept
    assert services.notices_progress() == 1 and emails(alice, "withdrawal_safe")
    withdraw(venue, bot, OUT)
    assert venue.step() is not None
    step(bot, port)  # the engine reads the withdrawal in the ledger: the notice is used, the bot resumes
    notice.refresh_from_db()
    assert notice.status == WithdrawalNotice.Status.USED and bot_state(bot) == ("live", [])
    assert emails(alice, "trading_resumed")
    assert BotEngine.objects.get(bot=bot).balance < START - OUT + Decimal(100)

    # on to the cycle's take-profit; B is the venue's balance when the next cycle starts
    balance_at_start = None
    for _ in range(MAX_CANDLES):
        assert venue.step() is not None
        before_step = account.balance("USDT")
        step(bot, port)
        if BotSide.objects.get(bot=bot, side="long").cycle > first_cycle:
            balance_at_start = before_step
            break
    assert balance_at_start is not None, f"no take-profit in {MAX_CANDLES} candles"
    entry = Order.objects.filter(bot=bot, kind="entry", cycle=first_cycle + 1).order_by("pk").first()
    assert entry is not None, "the next cycle began with its entry"

    side = BotSide.objects.get(bot=bot, side="long")
    assert side.cycle_balance == balance_at_start  # the engine's B for the cycle: the venue's, after the withdrawal
    assert balance_at_start < START - OUT + Decimal(1000)  # the cycle's profit is small beside 20,000
    expected = entry_qty(params, precision, balance_at_start, entry.price)
    assert entry.qty == expected
    # and not the size the balance before the withdrawal would have given (the test can tell them apart)
    assert entry_qty(params, precision, side.cycle_balance + OUT, entry.price) > expected


def test_an_entry_cancelled_by_the_pause_is_placed_again_sized_from_the_new_balance(alice):
    from tests.trading.helpers import live_bot, market_venue

    venue = market_venue()  # realistic fills: a post-only entry at the bid rests until the price comes down
    bot, port = live_bot(alice, venue, {"sides": "long"}, balance=str(START))
    assert venue.step() is not None
    step(bot, port)
    assert Order.objects.filter(bot=bot, kind="entry", state="open").exists()
    assert BotSide.objects.get(bot=bot, side="long").size == 0  # flat: the cycle has no position yet
    services.notice_create(user=alice, bot_id=bot.pk, amount=OUT, planned_for=timezone.localdate())
    step(bot, port)  # the paused step cancels the resting entry
    assert not Order.objects.filter(bot=bot, kind="entry", state="open").exists()
    services.notices_progress()
    withdraw(venue, bot, OUT)
    for _ in range(2):  # the withdrawal is seen and the bot resumes, then it plans its entry again
        assert venue.step() is not None
        step(bot, port)
    assert bot_state(bot) == ("live", [])
    entry = Order.objects.filter(bot=bot, kind="entry", state__in=("open", "filled")).order_by("-pk").first()
    assert entry is not None
    params = Params.from_mapping(bot.offering.strategy.params)
    precision = precision_of(async_to_sync(port.load_markets)()[SYMBOL])
    assert entry.qty == entry_qty(params, precision, START - OUT, entry.price)
