"""Issue 14 items 15 and 16: the whole accepted parameter space, its edges, and ruin.

Every parameter set that validation accepts runs identically in the three
engines (decide() replayed, the kernel as plain Python, the kernel compiled):
same fills, same balances, same stop. The parameters are drawn from
``params.BOUNDS`` itself (edges included), so a bound that is too loose for an
engine shows up here.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sequence.strategy.decide import Book, SideState, dca_order, decide
from sequence.strategy.kernel import pack, simulate
from sequence.strategy.kernel_nb import simulate_nb
from sequence.strategy.params import BOUNDS, KINDS, Params, ParamsError
from sequence.strategy.replay import replay

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _value(name):
    lo, lo_in, hi, hi_in, _ = BOUNDS[name]
    if KINDS[name] == "int":
        return st.integers(int(lo) if lo_in else int(lo) + 1, int(hi) if hi_in else int(hi) - 1)
    edges = [v for v, ok in ((lo, lo_in), (hi, hi_in)) if ok]
    inner = [math.nextafter(lo, math.inf), math.nextafter(hi, -math.inf)]
    return st.one_of(
        st.sampled_from(edges + inner),
        st.floats(lo, hi, exclude_min=not lo_in, exclude_max=not hi_in),
    )


@st.composite
def accepted_params(draw):
    """Any parameter set validation accepts (edges of every bound included)."""
    values = {name: draw(_value(name)) for name in BOUNDS}
    fee = values["maker_fee"]
    if draw(st.booleans()):  # often just above the fee rule's edge
        values["markup"] = min(math.nextafter(2 * fee / (1 - fee), 1.0) * draw(st.floats(1.0, 1.01)), 0.99)
    kind = draw(st.sampled_from(["linear", "inverse", "spot-long", "spot-short"]))
    if kind.startswith("spot"):
        values.update(market="spot", sides=kind[5:])
        values["wallet_exposure_limit"] = min(values["wallet_exposure_limit"], 1.0)
    else:
        values.update(contract=kind, sides=draw(st.sampled_from(["both", "long", "short"])))
    if draw(st.booleans()):
        values["starting_balance"] = None  # the unit's default
    try:
        return Params(**values)
    except ParamsError:
        assume(False)


@st.composite
def wild_candles(draw, n_max=60):
    """Short series with wide, sudden moves: levels at the edges, ruin, big wicks."""
    n = draw(st.integers(1, n_max))
    price = draw(st.sampled_from([1e-6, 0.01, 1.0, 20000.0, 1e9]))
    rows = []
    for i in range(n):
        o = price
        price = price * draw(st.sampled_from([0.1, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0, 10.0]))
        price *= draw(st.floats(0.999, 1.001))
        hi = max(o, price) * draw(st.sampled_from([1.0, 1.001, 1.5, 3.0]))
        lo = min(o, price) * draw(st.sampled_from([1.0, 0.999, 0.5, 0.05]))
        rows.append((i * 60000, o, hi, lo, price, 1.0))
    return rows


def _kernel(p, rows, compiled):
    h, lo, c = ([r[i] for r in rows] for i in (2, 3, 4))
    cap = 5 * (4 + 120 * len(rows))  # at most max_dca + 2 fills per side per candle
    if compiled:
        fills = np.zeros(cap)
        got = simulate_nb(np.array(h), np.array(lo), np.array(c), np.array(pack(p)), fills, np.empty(0))
        got = (int(got[0]), int(got[1]), float(got[2]), float(got[3]), float(got[4]), int(got[5]))
    else:
        fills = [0.0] * cap
        got = simulate(h, lo, c, pack(p), fills, [])
    log = [
        (int(fills[j]), int(fills[j + 1]), int(fills[j + 2]), float(fills[j + 3]), float(fills[j + 4]))
        for j in range(0, 5 * got[0], 5)
    ]
    return got, log


@SETTINGS
@given(accepted_params(), wild_candles())
def test_every_accepted_parameter_set_runs_the_same_in_every_engine(p, rows):
    ref = replay(p, rows)
    want = (ref.fills, ref.closes, ref.final_balance, ref.final_equity, ref.max_drawdown, ref.stop)
    ref_log = [f.as_tuple() for f in ref.fill_log]
    for compiled in (False, True):
        got, log = _kernel(p, rows, compiled)
        assert got[:2] == want[:2] and got[5] == want[5], compiled
        assert log == ref_log, compiled
        for a, b in zip(got[2:5], want[2:5], strict=True):
            assert a == b or math.isclose(a, b, rel_tol=1e-9), compiled
    # results are always usable: finite, sizes never negative, drawdown within [0, 1]
    assert math.isfinite(ref.final_balance) and math.isfinite(ref.final_equity)
    assert 0.0 <= ref.max_drawdown <= 1.0
    assert all(f.qty > 0 and f.price > 0 for f in ref.fill_log)
    if ref.stop >= 0:
        assert ref.ruined and (ref.final_balance <= 0 or ref.final_equity <= 0)
        assert ref.candles == ref.stop + 1
    else:
        assert ref.candles == len(rows) and ref.final_balance > 0 and ref.final_equity > 0


def test_spacing_one_is_refused_and_a_level_at_zero_is_not_placed():
    with pytest.raises(ParamsError, match="spacing: must be below 1"):
        Params(spacing=1.0)
    # spacing 0.5 * 2**1 = 1: the second long level would be at exactly 0
    p = Params(spacing=0.5, spacing_mult=2.0, sides="long")
    assert dca_order(p, "long", SideState(0.005, 20000.0, 1), 10000.0) is None
    assert [o.kind for o in decide(p, Book(SideState(0.005, 20000.0, 1)), 10000.0, 20000.0)] == ["take_profit"]
    # a price path that fills the first level (10000) and then falls to nearly nothing
    rows = [(0, 20000.0, 20000.0, 20000.0, 20000.0, 1.0), (60000, 20000.0, 20000.0, 9999.0, 10000.0, 1.0),
            (120000, 10000.0, 10000.0, 0.001, 0.001, 1.0)]  # fmt: skip
    ref = replay(p, rows)
    assert [f.kind for f in ref.fill_log] == ["entry", "dca"]
    assert simulate([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], pack(p), [], [])[:2] == (2, 0)


def test_the_fee_rule_counts_the_entry_fee():
    # the example: markup 0.00021 with fee 0.0002 loses on every cycle
    with pytest.raises(ParamsError, match=r"markup\*\(1-maker_fee\) must exceed 2\*maker_fee"):
        Params(markup=0.00021, maker_fee=0.0002)
    p = Params(markup=0.0004002, maker_fee=0.0002, sides="long")  # just above 2f/(1-f) = 0.00040008
    entry = decide(p, Book(), 10000.0, 20000.0)[0]
    fee_in = p.maker_fee * entry.qty * entry.price
    tp = entry.price * (1 + p.markup)
    booked = entry.qty * (tp - entry.price) - p.maker_fee * entry.qty * tp
    assert booked - fee_in > 0  # the whole cycle wins


def test_max_dca_is_bounded_so_the_float_vector_holds_it_exactly():
    with pytest.raises(ParamsError, match="max_dca: must be at most 100"):
        Params.from_mapping({"max_dca": 2**63})
    assert int(pack(Params(max_dca=100))[6]) == 100


def test_ruin_stops_the_run_at_that_candle():
    # WEL 50 long: a 3 % drop from the entry takes the equity below zero
    p = Params(wallet_exposure_limit=50.0, initial_qty_pct=1.0, sides="long", max_dca=1, markup=0.01)
    rows = [(0, 100.0, 100.0, 100.0, 100.0, 1.0), (60000, 100.0, 100.0, 99.5, 99.5, 1.0),
            (120000, 99.5, 99.5, 97.0, 97.0, 1.0), (180000, 97.0, 120.0, 97.0, 120.0, 1.0)]  # fmt: skip
    ref = replay(p, rows)
    assert ref.stop == 2 and ref.ruined and ref.candles == 3
    # 10000*50/100 = 5000 coins at 100: E = 10000 - 0.0002*500000 - 5000*3 = -5100 after candle 2
    assert ref.final_equity == pytest.approx(10000 - 0.0002 * 500000 - 5000 * 3.0)
    assert ref.max_drawdown == 1.0  # capped: never more than everything
    got = simulate([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], pack(p), [], [])
    assert got == (ref.fills, ref.closes, ref.final_balance, ref.final_equity, 1.0, 2)
    assert [f.index for f in ref.fill_log] == [0]  # nothing after the stop: the rally never closes


def test_starting_balance_defaults_to_the_unit_of_account():
    assert Params().starting_balance == 10000.0
    assert Params(contract="inverse").starting_balance == 1.0
    assert Params(market="spot", sides="short").starting_balance == 1.0
    assert Params(market="spot", sides="long").starting_balance == 10000.0
    assert Params.from_mapping({"contract": "inverse"}).starting_balance == 1.0
    assert Params().replace(contract="inverse").starting_balance == 1.0  # the default follows the unit
    assert Params(starting_balance=2.0).replace(contract="inverse").starting_balance == 2.0


@pytest.mark.parametrize("name", list(BOUNDS))
def test_every_bound_is_stated_and_enforced_at_its_edge(name):
    lo, lo_in, hi, hi_in, _ = BOUNDS[name]
    assert f"``{name}`` in ``{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}``" in Params.__doc__
    base = {"markup": 0.5} if name == "maker_fee" else {}  # room for the fee rule at the fee's edge
    if KINDS[name] == "int":
        outside = [int(lo) - 1, int(hi) + 1]
        inside = [int(lo), int(hi)]
    else:
        outside = [lo if not lo_in else math.nextafter(lo, -math.inf), hi if not hi_in else math.nextafter(hi, math.inf)]
        inside = [lo if lo_in else math.nextafter(lo, math.inf), hi if hi_in else math.nextafter(hi, -math.inf)]
    for v in outside:
        with pytest.raises(ParamsError) as e:
            Params.from_mapping({**base, name: v})
        assert e.value.field == name, v
    for v in inside:
        if name == "markup" and v < 2 * Params().maker_fee / (1 - Params().maker_fee):
            base = {"maker_fee": 0.0}
        assert getattr(Params.from_mapping({**base, name: v}), name) == v
