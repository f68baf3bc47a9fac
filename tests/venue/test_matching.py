"""The engine without HTTP: matching, fees, positions (linear, inverse, hedge), reduce-only.

These tests check the matching rules themselves, so they run on the idealised
market (``MarketProfile.ideal()``: no spread, no volume cap, no funding); the
realistic market has its own tests (test_market.py).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from sequence.venue.engine import Venue, VenueError
from sequence.venue.feed import MINUTE_MS, MarketClock
from sequence.venue.profile import MarketProfile
from tests.support.strategy_data import MAIN_SET
from tests.venue.helpers import make_venue


def make(candles, first=100.0, usdt="10000", btc="0"):
    return make_venue(candles, first=first, usdt=usdt, btc=btc, profile=MarketProfile.ideal())


def step(v, n=1):
    v.clock.advance(n * MINUTE_MS)
    v.sync()


LIN = "BTCUSDT-linear"
INV = "BTCUSD-inverse"
SPOT = "BTCUSDT-spot"


def test_post_only_that_would_cross_is_cancelled_not_filled():
    v, a = make([(100, 101, 99, 100)])
    m = v.markets[LIN]
    o = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="100.5", tif="PostOnly")
    assert o.status == "Cancelled" and o.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    assert o.filled == 0 and not a.executions and not a.open_orders
    ok = v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="99.5", tif="PostOnly")
    assert ok.status == "New"


def test_resting_order_fills_at_its_price_with_maker_fee():
    v, a = make([(100, 100.5, 98, 99)])
    m = v.markets[LIN]
    o = v.place_order(a, m, side="buy", type_="limit", qty="1", price="98.5")
    step(v)
    assert o.status == "Filled" and o.avg_price == D("98.5")
    x = a.executions[-1]
    assert x.is_maker and x.fee == D("1") * D("98.5") * m.maker_fee
    assert a.balance("USDT") == D(10000) - x.fee
    pos = a.positions[(LIN, 0)]
    assert (pos.side, pos.size, pos.entry) == ("buy", D(1), D("98.5"))


def test_order_outside_the_candle_range_does_not_fill():
    v, a = make([(100, 100.5, 99, 99.5)])
    o = v.place_order(a, v.markets[LIN], side="buy", type_="limit", qty="1", price="98.9")
    step(v)
    assert o.status == "New" and not a.executions


def test_market_order_takes_last_price_and_pays_taker_fee():
    v, a = make([])
    m = v.markets[LIN]
    o = v.place_order(a, m, side="sell", type_="market", qty="0.5")
    assert o.status == "Filled" and o.avg_price == D(100)
    assert a.executions[-1].fee == D("0.5") * 100 * m.taker_fee
    assert a.positions[(LIN, 0)].side == "sell"


def test_take_profit_fills_before_dca_in_the_same_candle():
    # long 1 @ 100; TP sell at 101 (reduce-only), DCA buy at 99; candle touches both.
    v, a = make([(100, 101.5, 98.5, 100)])
    m = v.markets[LIN]
    v.place_order(a, m, side="buy", type_="market", qty="1")
    dca = v.place_order(a, m, side="buy", type_="limit", qty="1", price="99")
    tp = v.place_order(a, m, side="sell", type_="limit", qty="1", price="101", reduce_only=True)
    step(v)
    assert tp.status == "Filled" and dca.status == "Filled"
    fills = [x.order for x in a.executions[1:]]
    assert fills == [tp, dca]  # take-profit first, whatever the candle's path
    pos = a.positions[(LIN, 0)]
    assert (pos.side, pos.size, pos.entry) == ("buy", D(1), D(99))
    # realised: 1 * (101 - 100), fees: taker at 100, maker at 101 and 99
    fees = D(100) * m.taker_fee + D(101) * m.maker_fee + D(99) * m.maker_fee
    assert a.balance("USDT") == D(10000) + 1 - fees


def test_reduce_only_cannot_grow_or_flip_a_position():
    v, a = make([(100, 100, 95, 96)])
    m = v.markets[LIN]
    with pytest.raises(VenueError) as e:
        v.place_order(a, m, side="sell", type_="limit", qty="1", price="101", reduce_only=True)
    assert e.value.kind == "reduce_only"
    v.place_order(a, m, side="buy", type_="market", qty="1")
    with pytest.raises(VenueError):  # same side as the position: would grow it
        v.place_order(a, m, side="buy", type_="limit", qty="1", price="90", reduce_only=True)
    # larger than the position: fills only the position, never flips
    o = v.place_order(a, m, side="sell", type_="market", qty="3", reduce_only=True)
    assert o.filled == D(1) and a.positions[(LIN, 0)].size == 0
    assert o.status == "PartiallyFilledCanceled"


def test_resting_reduce_only_left_without_position_is_cancelled_on_touch():
    v, a = make([(100, 102, 99, 101)])
    m = v.markets[LIN]
    v.place_order(a, m, side="buy", type_="market", qty="1")
    tp = v.place_order(a, m, side="sell", type_="limit", qty="1", price="101", reduce_only=True)
    v.place_order(a, m, side="sell", type_="market", qty="1")  # flat by hand
    step(v)
    assert tp.status == "Cancelled" and tp.filled == 0
    assert a.positions[(LIN, 0)].size == 0


def test_insufficient_margin_is_rejected():
    v, a = make([], usdt="10")
    with pytest.raises(VenueError) as e:
        v.place_order(a, v.markets[LIN], side="buy", type_="limit", qty="2", price="99")
    assert e.value.kind == "insufficient"


def test_duplicate_client_id_is_rejected():
    v, a = make([])
    m = v.markets[LIN]
    v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="90", link_id="x1")
    with pytest.raises(VenueError) as e:
        v.place_order(a, m, side="buy", type_="limit", qty="0.01", price="91", link_id="x1")
    assert e.value.kind == "duplicate"


def test_inverse_pnl_in_coin():
    # long 1000 USD @ 20000, close @ 25000: pnl = 1000*(1/20000 - 1/25000) = 0.01 BTC
    v, a = make([(20000, 25000, 20000, 25000)], first=20000.0, btc="1")
    m = v.markets[INV]
    v.place_order(a, m, side="buy", type_="market", qty="1000")
    tp = v.place_order(a, m, side="sell", type_="limit", qty="1000", price="25000",
                       reduce_only=True)
    step(v)
    assert tp.status == "Filled"
    fees = D(1000) / 20000 * m.taker_fee + D(1000) / 25000 * m.maker_fee
    assert a.balance("BTC") == D(1) + D("0.01") - fees


def test_hedge_mode_holds_both_sides_and_inverse_is_one_way():
    v, a = make([])
    lin, inv = v.markets[LIN], v.markets[INV]
    v.set_position_mode(a, lin, True)
    with pytest.raises(VenueError) as e:
        v.set_position_mode(a, inv, True)
    assert e.value.kind == "mode_unsupported"
    with pytest.raises(VenueError):  # hedge mode needs positionIdx 1 or 2
        v.place_order(a, lin, side="buy", type_="market", qty="1")
    v.place_order(a, lin, side="buy", type_="market", qty="1", position_idx=1)
    v.place_order(a, lin, side="sell", type_="market", qty="2", position_idx=2)
    assert a.positions[(LIN, 1)].size == 1 and a.positions[(LIN, 2)].size == 2
    with pytest.raises(VenueError) as e:
        v.set_position_mode(a, lin, False)
    assert e.value.kind == "mode_has_position"


def test_spot_moves_balances_and_fee_in_received_coin():
    v, a = make([(100, 100, 98, 99)])
    m = v.markets[SPOT]
    o = v.place_order(a, m, side="buy", type_="limit", qty="2", price="98")
    # its value is locked while open; the fee comes out of the BTC received
    assert v.available(a, "USDT") == D(10000) - 196
    step(v)
    assert o.status == "Filled"
    assert a.balance("USDT") == D(10000) - 196
    assert a.balance("BTC") == D(2) - D(2) * m.maker_fee


def test_spot_sale_of_held_coin_pays_its_fee_in_usdt_and_the_buy_back_may_spend_it_all():
    # a BTC-base spot bot: it sells BTC it holds, then buys back with every USDT the sale brought
    v, a = make([(100, 101, 99, 100), (100, 100, 97, 98)], usdt="0.01", btc="1")
    m = v.markets[SPOT]
    sale = v.place_order(a, m, side="sell", type_="limit", qty="0.5", price="100.5")
    assert v.available(a, "BTC") == D("0.5")  # the coin sold is locked while open
    step(v)
    assert sale.status == "Filled" and sale.fee_coin == "USDT"
    proceeds = D("0.5") * D("100.5") * (1 - m.maker_fee)
    assert a.balance("USDT") == D("0.01") + proceeds and a.balance("BTC") == D("0.5")
    qty = (proceeds / D(98)).quantize(m.qty_step, rounding="ROUND_FLOOR")
    back = v.place_order(a, m, side="buy", type_="limit", qty=qty, price="98")
    assert back.status == "New"  # the whole proceeds may be spent: the buy's fee is in BTC
    step(v)
    assert back.status == "Filled" and back.fee_coin == "BTC"
    assert a.balance("BTC") == D("0.5") + qty * (1 - m.maker_fee)
    assert a.balance("USDT") == D("0.01") + proceeds - qty * 98
    with pytest.raises(VenueError):
        v.place_order(a, m, side="sell", type_="limit", qty="1.2", price="100")  # no more than it holds


def test_fill_prices_follow_the_candle_file():
    from sequence.core.candles import load_rows

    path = str(MAIN_SET)
    rows = load_rows(path)[:30]
    from sequence.venue.feed import CandleFeed

    feed = CandleFeed(path, rebase=False)
    v = Venue(feed, MarketClock(feed.start_ms, speed=0))
    a = v.create_account("t")
    v.fund(a.id, "USDT", "100000", wallet="trading")
    low = min(r[3] for r in rows[:30])
    price = D(str(low)).quantize(D("0.1")) + D("0.1")
    o = v.place_order(a, v.markets[LIN], side="buy", type_="limit", qty="0.01", price=price)
    v.clock.advance(30 * MINUTE_MS)
    v.sync()
    assert o.status == "Filled" and a.executions[-1].price == price
    first_touch = next(i for i, r in enumerate(rows) if D(str(r[3])) <= price)
    assert a.executions[-1].time >= rows[first_touch][0]
    assert v.last_price == D(str(rows[29][4]))
