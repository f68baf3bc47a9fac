"""Cycles on small ledgers whose answers are worked out by hand in the comments."""

from decimal import Decimal as D

import pytest

from sequence.metrics.cycles import Funding, MetricFill, build_cycles, open_positions, side_stats


def F(ts, side, kind, buy, price, qty, fee="0", fee_in="quote", tid=""):
    return MetricFill(ts, side, kind, buy, D(price), D(qty), D(fee), fee_in, tid)


def test_linear_long_cycle_with_a_dca_and_fees():
    # buy 1 @100, DCA buy 1 @90, sell 2 @99; 0.1 USDT fee each:
    # quote moved -100 - 90 + 198 = 8; fees 0.3; pnl 7.7
    cycles = build_cycles([
        F(0, "long", "entry", True, "100", "1", "0.1", tid="a"),
        F(60_000, "long", "dca", True, "90", "1", "0.1", tid="b"),
        F(180_000, "long", "take_profit", False, "99", "2", "0.1", tid="c"),
    ])
    (c,) = cycles
    assert c.ending == "take_profit"
    assert c.pnl("quote") == D("7.7")
    assert c.fees("quote") == D("0.3")
    assert c.dca_depth == 1
    assert c.duration_ms == 180_000
    assert c.exit_price == D("99")
    assert c.trade_ids == ["a", "b", "c"]


def test_short_cycle_and_partial_take_profit_belongs_to_its_cycle():
    # short: sell 2 @100, buy 1 @95 (partial tp), buy 1 @90 (tp): +5 + 10 = 15
    cycles = build_cycles([
        F(0, "short", "entry", False, "100", "2"),
        F(1, "short", "take_profit", True, "95", "1"),
        F(2, "short", "take_profit", True, "90", "1"),
    ])
    (c,) = cycles
    assert c.pnl("quote") == D("15")
    assert len(c.exits) == 2
    assert c.exit_price == D("92.5")  # (95 + 90) / 2


def test_inverse_long_pnl_in_coin():
    # 100 contracts bought at 50 (2 BTC) and sold at 100 (1 BTC): +1 BTC; fee 0.001 BTC
    (c,) = build_cycles([
        F(0, "long", "entry", True, "50", "100", "0.0005", "coin"),
        F(1, "long", "take_profit", False, "100", "100", "0.0005", "coin"),
    ], contract="inverse")
    assert c.gross("coin") == D("1")
    assert c.pnl("coin") == D("0.999")


def test_btc_base_spot_short_side_counts_the_coin_and_the_usdt_left():
    # sell 1 BTC @100 (100 USDT, fee 0.1 USDT), buy 1.05 BTC @95 (99.75 USDT, fee 0.001 BTC)
    # coins: -1 + 1.05 - 0.001 = +0.049; USDT left 100 - 99.75 - 0.1 = 0.15
    # pnl in BTC at the close price 95: 0.05 + 0.25 / 95 - (0.001 + 0.1 / 95) = 0.049 + 0.15/95
    (c,) = build_cycles([
        F(0, "short", "entry", False, "100", "1", "0.1", "quote"),
        F(1, "short", "take_profit", True, "95", "1.05", "0.001", "coin"),
    ])
    # a spot take-profit that buys back more coins than were sold still flattens the cycle
    assert c.ending == "take_profit"
    assert c.quote_left() == D("0.15")
    assert c.pnl("coin") == D("0.049") + D("0.15") / D("95")


def test_a_spot_short_side_is_open_until_its_usdt_is_spent_not_once_it_has_its_coins_back():
    # sell 1 BTC @100 with a 0.1 USDT fee: 99.9 USDT held. A partial buy-back of 1.02 BTC @90
    # spends 91.8 (8.1 left: the cycle is open though it holds more coins than it sold); the
    # rest, 0.09 BTC @90 = 8.1, spends it all and ends it. Coins: -1 + 1.11 - fees 0.00111;
    # pnl in BTC = 0.11 - 0.00111 = 0.10889 (no USDT left)
    (c,) = build_cycles([
        F(0, "short", "entry", False, "100", "1", "0.1", "quote"),
        F(1, "short", "take_profit", True, "90", "1.02", "0.00102", "coin"),
        F(2, "short", "take_profit", True, "90", "0.09", "0.00009", "coin"),
    ], spot=True)
    assert c.ending == "take_profit" and c.exit_ts == 2 and len(c.exits) == 2
    assert c.quote_left() == 0 and c.pnl("coin") == D("0.10889")
    (open_,) = build_cycles([
        F(0, "short", "entry", False, "100", "1", "0.1", "quote"),
        F(1, "short", "take_profit", True, "90", "1.02", "0.00102", "coin"),
    ], spot=True)
    assert open_.ending is None and open_.size == D("8.1")


def test_funding_goes_to_the_side_that_paid_it():
    cycles = build_cycles(
        [F(0, "long", "entry", True, "100", "1"), F(0, "short", "entry", False, "100", "1"),
         F(10, "long", "take_profit", False, "101", "1"), F(20, "short", "stop", True, "102", "1")],
        funding=[Funding(5, "long", D("-0.2")), Funding(15, "short", D("0.3")),
                 Funding(30, "long", D("-9"))],  # the last: long flat, no cycle
    )
    long_, short = cycles
    assert long_.funding == D("-0.2") and long_.pnl("quote") == D("0.8")
    assert short.funding == D("0.3") and short.pnl("quote") == D("-1.7")
    assert short.ending == "stop"


def test_open_position_unrealised_and_stats_per_side():
    cycles = build_cycles([
        F(0, "long", "entry", True, "100", "1", "0.1"),
        F(1, "long", "dca", True, "90", "1", "0.1"),
        F(2, "long", "take_profit", False, "99", "2", "0.1"),   # +7.7
        F(3, "long", "entry", True, "100", "1"),
        F(4, "long", "manual", False, "98", "1"),                # -2
        F(5, "long", "entry", True, "100", "1"),
        F(6, "long", "dca", True, "90", "1"),                    # open: average 95
    ])
    (pos,) = open_positions(cycles, contract="linear", unit="quote", mark=D("99"))
    assert pos.average_entry == D("95") and pos.size == D("2")
    assert pos.unrealised_pnl == D("8")  # -190 + 2 x 99
    long_, short, total = side_stats(cycles, "quote")
    assert (long_.cycles, long_.wins, long_.pnl, long_.mean_pnl) == (2, 1, D("5.7"), D("2.85"))
    assert long_.win_rate == 0.5
    assert long_.endings == {"take_profit": 1, "manual": 1}
    assert long_.max_dca_depth == 1 and long_.mean_dca_depth == 0.5
    assert short.cycles == 0 and short.mean_pnl is None
    assert total.pnl == D("5.7")


def test_a_sell_on_a_flat_side_starts_nothing_and_a_bad_contract_is_refused():
    assert build_cycles([F(0, "long", "manual", False, "100", "1")]) == []
    with pytest.raises(ValueError, match="contract must be one of"):
        build_cycles([], contract="perpetual")


def test_spot_coin_fee_comes_out_of_the_position_and_dust_ends_the_cycle():
    # buy 1 BTC @100 with a 0.001 BTC fee: 0.999 held; the take-profit sells 0.99899 (the lot
    # leaves 0.00001 of dust, 0.001 % of the size): the cycle is over
    # what the account holds after: 109.8889 - 0.1 = 109.7889 USDT for its 100, and 0.00001
    # BTC of dust worth 0.0011 at 110: pnl = 9.7889 + 0.0011 = 9.79 (by the module's formula:
    # quote 9.8889 + coins moved 0.00101 x 110 - fees (0.1 + 0.001 x 110) = 9.79)
    (c,) = build_cycles([
        F(0, "long", "entry", True, "100", "1", "0.001", "coin"),
        F(1, "long", "take_profit", False, "110", "0.99899", "0.1", "quote"),
    ], spot=True)
    assert c.ending == "take_profit"
    assert c.pnl("quote") == D("9.79")


def test_the_engine_cycle_number_ends_a_cycle_left_open_by_dust():
    fills = [
        MetricFill(0, "long", "entry", True, D(100), D(1), cycle=1),
        MetricFill(1, "long", "take_profit", False, D(110), D("0.9"), cycle=1),  # 0.1 left
        MetricFill(2, "long", "entry", True, D(105), D(1), cycle=2),
    ]
    first, second = build_cycles(fills)
    assert (first.ending, first.exit_ts, second.ending) == ("take_profit", 1, None)
    assert first.pnl("quote") == D("-100") + D("99") + D("0.1") * D(110)  # the 0.1 left at 110
