"""Hand-computed examples: linear, inverse, spot (both bases). Values worked out on paper."""

import pytest

from sequence.strategy.decide import Book, Order, SideState, apply_fill, decide, equity
from sequence.strategy.kernel import pack, simulate
from sequence.strategy.params import Params
from sequence.strategy.replay import replay

approx = pytest.approx


def test_linear_long_cycle():
    p = Params()
    (long_entry, _short_entry) = decide(p, Book(), 10000.0, 20000.0)
    assert long_entry == Order("long", "entry", 20000.0, 0.005)  # 10000*1*0.01/20000
    book, b = apply_fill(p, Book(), 10000.0, long_entry)
    assert b == approx(9999.98)  # fee 0.0002*0.005*20000 = 0.02
    tp, dca = decide(p, book, b, 20000.0)[:2]
    assert tp.kind == "take_profit" and tp.price == approx(20100.0) and tp.reduce_only
    assert dca.kind == "dca" and dca.price == approx(19800.0) and dca.qty == 0.005
    # DCA fill: average (20000*0.005 + 19800*0.005)/0.01 = 19900, fee 0.0002*0.005*19800 = 0.0198
    book2, b2 = apply_fill(p, book, b, dca)
    assert book2.long == SideState(approx(0.01), approx(19900.0), 1)
    assert b2 == approx(9999.98 - 0.0198)
    # second level: 19900*(1 - 0.01*1.5) = 19601.5
    assert decide(p, book2, b2, 19800.0)[1].price == approx(19601.5)
    # take-profit at 19900*1.005 = 19999.5: 0.01*99.5 - 0.0002*0.01*19999.5 = 0.995 - 0.039999
    tp2 = decide(p, book2, b2, 19800.0)[0]
    book3, b3 = apply_fill(p, book2, b2, tp2)
    assert b3 - b2 == approx(0.995 - 0.039999)
    assert book3.long.flat


def test_linear_short_take_profit_and_equity():
    p = Params(sides="short")
    book, b = apply_fill(p, Book(), 10000.0, Order("short", "entry", 20000.0, 0.005))
    # equity at 19000: 9999.98 + 0.005*(20000-19000) = 10004.98
    assert equity(p, book, b, 19000.0) == approx(10004.98)
    tp = decide(p, book, b, 20000.0)[0]
    assert tp.price == approx(19900.0) and tp.is_buy
    _, b2 = apply_fill(p, book, b, tp)
    assert b2 - b == approx(0.005 * 100 - 0.0002 * 0.005 * 19900)  # 0.4801


def test_inverse_long_cycle():
    p = Params(contract="inverse", starting_balance=1.0)
    entry = decide(p, Book(), 1.0, 20000.0)[0]
    assert entry.qty == approx(200.0)  # 1 BTC * 1 * 0.01 * 20000 = 200 USD of contracts
    book, b = apply_fill(p, Book(), 1.0, entry)
    assert b == approx(1.0 - 0.000002)  # fee 0.0002*200/20000 BTC
    # equity at 19000: B + 200*(1/20000 - 1/19000) = B - 0.000526316
    assert equity(p, book, b, 19000.0) == approx(b - 0.000526315789, abs=1e-12)
    tp, dca, _short_entry = decide(p, book, b, 20000.0)
    assert tp.price == approx(20100.0)
    assert dca.price == approx(19800.0)
    assert dca.qty == approx(200.0)  # min(200*1, (1*B - 200/20000)*19800)
    book2, _b2 = apply_fill(p, book, b, dca)
    # harmonic average: 400 / (200/20000 + 200/19800) = 19899.497487...
    assert book2.long.a == approx(400 / (200 / 20000 + 200 / 19800))
    _, b3 = apply_fill(p, book, b, tp)
    # 200*(1/20000 - 1/20100) - 0.0002*200/20100 = 0.0000497512 - 0.0000019900
    assert b3 - b == approx(0.0000497512438 - 0.00000199004975, abs=1e-13)


def test_inverse_short_take_profit_is_booked_in_coin():
    p = Params(contract="inverse", sides="short", starting_balance=1.0)
    book, b = apply_fill(p, Book(), 1.0, Order("short", "entry", 20000.0, 200.0))
    tp = decide(p, book, b, 20000.0)[0]
    assert tp.price == approx(19900.0)
    _, b2 = apply_fill(p, book, b, tp)
    # 200*(1/19900 - 1/20000) - 0.0002*200/19900
    assert b2 - b == approx(0.0000502512563 - 0.00000201005025, abs=1e-13)


def test_spot_with_usdt_base_is_the_long_side_without_leverage():
    p = Params(market="spot", sides="long")
    orders = decide(p, Book(), 10000.0, 20000.0)
    assert [o.side for o in orders] == ["long"]
    assert orders[0].qty == 0.005
    assert not p.coin_margined


def test_spot_with_btc_base_sells_rallies_and_buys_back_more_btc():
    p = Params(market="spot", sides="short", starting_balance=1.0)
    assert p.coin_margined
    (entry,) = decide(p, Book(), 1.0, 20000.0)
    assert entry.side == "short" and not entry.is_buy
    assert entry.qty == approx(200.0)  # sells 0.01 BTC for 200 USDT
    book, b = apply_fill(p, Book(), 1.0, entry)
    tp = decide(p, book, b, 20000.0)[0]
    _, b2 = apply_fill(p, book, b, tp)
    # buys back 200/19900 BTC for the 200 USDT: 0.0100502513 BTC, 0.0000502513 more than sold
    assert b2 - b == approx(200 / 19900 - 200 / 20000 - 0.0002 * 200 / 19900, abs=1e-13)


@pytest.mark.parametrize(
    "params",
    [
        Params(contract="inverse", starting_balance=1.0),
        Params(market="spot", sides="short", starting_balance=2.0, wallet_exposure_limit=0.8),
        Params(market="spot", sides="long", wallet_exposure_limit=1.0),
    ],
    ids=["inverse", "spot-coin", "spot-quote"],
)
def test_kernel_follows_decide_for_coin_and_spot(main_rows, params):
    rows = main_rows[:8000]
    ref = replay(params, rows)
    fills = [0.0] * (5 * (ref.fills + 1))
    got = simulate([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows],
                   pack(params), fills, [])  # fmt: skip
    assert got == (ref.fills, ref.closes, ref.final_balance, ref.final_equity, ref.max_drawdown, ref.stop)
    assert [tuple(fills[j : j + 5]) for j in range(0, 5 * ref.fills, 5)] == [
        f.as_tuple() for f in ref.fill_log
    ]
