"""Exchange rounding in the backtester (issue 9 items 6 and 13): the one rule of
sequence.core.precision, applied by replay() as the live engine applies it."""

from decimal import Decimal

import pytest
from hypothesis import given

from sequence.core.precision import Precision
from sequence.strategy.params import Params
from sequence.strategy.replay import replay
from tests.strategy.test_strategy_properties import SETTINGS, candles, params

D = Decimal
GRID = Precision(tick=D("0.5"), lot=D("0.001"))
LONG = Params(sides="long")


def _rows(*hlc):
    return [(i * 60000, c, h, lo, c, 1.0) for i, (h, lo, c) in enumerate(hlc)]


def test_hand_computed_entry_and_take_profit():
    # entry 10000*0.01/19999.7 = 0.00500007... -> a buy of 0.005 at 19999.5 (down to the tick)
    # take-profit 19999.5*1.005 = 20099.4975 -> a sell at 20099.5 (up to the tick)
    rows = _rows((19999.7, 19999.7, 19999.7), (20099.5, 19999.7, 20000.0))
    r = replay(LONG, rows, precision=GRID)
    entry, tp, again = r.fill_log
    assert (entry.kind, entry.price, entry.qty) == ("entry", 19999.5, 0.005)
    assert entry.balance_before == 10000.0
    assert tp.balance_before == pytest.approx(10000 - 0.0002 * 0.005 * 19999.5)  # 9999.9800005
    assert (tp.kind, tp.price, tp.qty) == ("take_profit", 20099.5, 0.005)
    # booked 0.005*(20099.5-19999.5) - 0.0002*0.005*20099.5 = 0.5 - 0.0200995 = 0.4799005
    assert again.balance_before - tp.balance_before == pytest.approx(0.4799005, abs=1e-9)
    assert (again.kind, again.price) == ("entry", 20000.0)


def test_a_coin_base_spot_book_is_rounded_on_the_coins_lot_at_each_price():
    from sequence.core.precision import round_order

    # 200 USDT at 19999.99 is 0.0100000050... BTC: down to the lot, 0.010000 BTC = 199.9999 USDT
    grid = Precision(tick=D("0.01"), lot=D("0.000001"), min_qty=D("0.000048")).sized_in_quote()
    r = round_order(grid, price=19999.99, qty=200.0, buy=False)
    assert (r.price, r.qty, r.sendable) == (D("19999.99"), D("199.9999"), True)
    assert r.qty / r.price == D("0.01")  # a whole number of lots, exactly
    # the minimum is in the coin too: 0.5 USDT is 0.000025 BTC, below 0.000048, raised for an entry
    assert not round_order(grid, price=20000, qty=0.5, buy=False).sendable
    raised = round_order(grid, price=20000, qty=0.5, buy=False, entry=True)
    assert raised.sendable and raised.qty == D("0.000048") * 20000
    # replay() applies it to a BTC-base spot book (B = 1 BTC; entry 1*1*0.01*19999.99 USDT)
    spot = Params(sides="short", market="spot", starting_balance=1.0)
    rows = _rows((19999.99, 19999.99, 19999.99))
    (entry,) = replay(spot, rows, precision=Precision(tick=D("0.01"), lot=D("0.000001"))).fill_log
    assert (entry.kind, entry.price, D(repr(entry.qty))) == ("entry", 19999.99, D("199.9999"))


def test_touch_tests_use_the_rounded_prices():
    # the high 20099.498 reaches the strategy's 20099.4975 take-profit but not the rounded 20099.5
    assert 19999.5 * (1 + LONG.markup) <= 20099.498 < 20099.5
    rows = _rows((19999.7, 19999.7, 19999.7), (20099.498, 19999.7, 20000.0))
    assert [f.kind for f in replay(LONG, rows, precision=GRID).fill_log] == ["entry"]
    rows = _rows((19999.7, 19999.7, 19999.7), (20099.5, 19999.7, 20000.0))
    assert [f.kind for f in replay(LONG, rows, precision=GRID).fill_log] == ["entry", "take_profit", "entry"]
    # first DCA level 19999.5*(1-0.01) = 19799.505 -> a buy at 19799.5: a low of 19799.502 misses it
    miss = _rows((19999.7, 19999.7, 19999.7), (19999.7, 19799.502, 19800.0))
    assert [f.kind for f in replay(LONG, miss, precision=GRID).fill_log] == ["entry"]
    hit = _rows((19999.7, 19999.7, 19999.7), (19999.7, 19799.5, 19800.0))
    dca = replay(LONG, hit, precision=GRID).fill_log[1]
    assert (dca.kind, dca.price, dca.qty) == ("dca", 19799.5, 0.005)


def test_entries_are_raised_to_the_minimum_and_small_orders_are_not_placed():
    # min notional 150 at 19999.5: 150/19999.5 = 0.0075002 -> 0.008 on the lot grid
    rows = _rows((19999.7, 19999.7, 19999.7))
    big = replay(LONG, rows, precision=Precision(tick=D("0.5"), lot=D("0.001"), min_notional=D("150")))
    assert big.fill_log[0].qty == 0.008
    # min qty 0.006: the entry rises to 0.006, its DCA (ddown 0.5: 0.003) is below it: not placed
    p = LONG.replace(ddown_factor=0.5)
    crash = _rows((19999.7, 19999.7, 19999.7), (19999.7, 15000.0, 15000.0), (15000.0, 10000.0, 10000.0))
    mq = Precision(tick=D("0.5"), lot=D("0.001"), min_qty=D("0.006"))
    r = replay(p, crash, precision=mq)
    assert [(f.kind, f.qty) for f in r.fill_log] == [("entry", 0.006)]
    assert [f.kind for f in replay(p, crash).fill_log] == ["entry"] + ["dca"] * 6  # unrounded it DCAs


def test_the_take_profit_closes_exactly_the_position():
    # entry 10000*0.7/10000 = 0.7, DCA min(0.7*0.15, ...) = 0.105 -> 0.1: in float 0.7 + 0.1 is
    # 0.7999999999999999, which rounds down to 0.7; the exchange holds 0.8, and so does the book
    assert 0.7 + 0.1 < 0.8
    p = Params(sides="long", initial_qty_pct=0.7, ddown_factor=0.15, markup=0.01)
    rows = _rows((10000.0, 10000.0, 10000.0), (10000.0, 9900.0, 9900.0), (10100.0, 9900.0, 10000.0))
    r = replay(p, rows, precision=Precision(lot=D("0.1"), tick=D("0.01")))
    entry, dca, tp = r.fill_log[:3]
    assert (entry.qty, dca.qty, dca.price) == (0.7, 0.1, 9900.0)
    # average (10000*0.7 + 9900*0.1)/0.8 = 9987.5; take-profit 9987.5*1.01 = 10087.375 -> 10087.38
    assert (tp.kind, tp.qty, tp.price) == ("take_profit", 0.8, 10087.38)


@SETTINGS
@given(params(), candles())
def test_no_rules_equals_the_unrounded_replay(p, rows):
    assert replay(p, rows, precision=Precision()) == replay(p, rows)
