"""Property tests of the invariants of DESIGN.md section 3."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequence.strategy.decide import Book, Order, SideState, apply_fill, dca_order, decide
from sequence.strategy.kernel import pack, simulate
from sequence.strategy.params import Params
from sequence.strategy.replay import replay

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def params(draw, spot=True):
    fee = draw(st.sampled_from([0.0, 0.0002, 0.001]))
    markup = draw(st.floats(0.0005, 0.03)) + fee * 2
    kind = draw(st.sampled_from(["linear", "inverse", "spot-long", "spot-short"] if spot else ["linear", "inverse"]))
    extra = {}
    wel = draw(st.floats(0.1, 3.0))
    if kind == "inverse":
        extra = {"contract": "inverse", "sides": draw(st.sampled_from(["both", "long", "short"]))}
    elif kind == "spot-long":
        extra = {"market": "spot", "sides": "long"}
        wel = min(wel, 1.0)
    elif kind == "spot-short":
        extra = {"market": "spot", "sides": "short"}
        wel = min(wel, 1.0)
    else:
        extra = {"sides": draw(st.sampled_from(["both", "long", "short"]))}
    return Params(
        wallet_exposure_limit=wel,
        initial_qty_pct=draw(st.floats(0.001, 0.2)),
        ddown_factor=draw(st.floats(0.1, 3.0)),
        spacing=draw(st.floats(0.001, 0.05)),
        spacing_mult=draw(st.floats(1.0, 2.0)),
        we_weight=draw(st.sampled_from([0.0, 0.5, 2.0])),
        max_dca=draw(st.integers(1, 10)),
        markup=markup,
        maker_fee=fee,
        starting_balance=draw(st.sampled_from([1.0, 10000.0])),
        **extra,
    )


@st.composite
def candles(draw, n_max=400):
    """A random walk of (t, o, h, l, c, v) rows."""
    n = draw(st.integers(1, n_max))
    steps = draw(st.lists(st.floats(-0.02, 0.02), min_size=n, max_size=n))
    wick = draw(st.lists(st.floats(0.0, 0.01), min_size=n, max_size=n))
    price = draw(st.floats(0.001, 100000.0))
    rows = []
    for i in range(n):
        o = price
        price = max(price * (1 + steps[i]), 1e-9)
        h = max(o, price) * (1 + wick[i])
        lo = min(o, price) * (1 - wick[(i + 1) % n])
        rows.append((i * 60000, o, h, lo, price, 1.0))
    return rows


@SETTINGS
@given(params(), candles())
def test_kernel_agrees_with_decide_fill_by_fill(p, rows):
    ref = replay(p, rows)
    fills = [0.0] * (5 * (ref.fills + 1))
    got = simulate([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], pack(p), fills, [])
    assert got == (ref.fills, ref.closes, ref.final_balance, ref.final_equity, ref.max_drawdown, ref.stop)
    assert [tuple(fills[j : j + 5]) for j in range(0, 5 * ref.fills, 5)] == [f.as_tuple() for f in ref.fill_log]


@SETTINGS
@given(params(), candles())
def test_dca_fill_respects_the_exposure_cap(p, rows):
    ref = replay(p, rows)
    costs = {"long": 0.0, "short": 0.0}
    book = Book()
    balance = p.starting_balance
    for f in ref.fill_log:
        assert f.balance_before == balance
        book, balance = apply_fill(p, book, balance, Order(f.side, f.kind, f.price, f.qty))
        s = book.side(f.side)
        costs[f.side] = s.q / s.a if p.coin_margined else s.a * s.q
        if f.kind == "dca":
            assert costs[f.side] <= p.wallet_exposure_limit * f.balance_before * (1 + 1e-9)


@SETTINGS
@given(params(), candles())
def test_take_profits_never_close_at_a_loss(p, rows):
    ref = replay(p, rows)
    log = ref.fill_log
    for i, f in enumerate(log):
        if f.kind == "take_profit":
            after = log[i + 1].balance_before if i + 1 < len(log) else ref.final_balance
            assert after > f.balance_before


@SETTINGS
@given(params(spot=False), st.floats(1.0, 1e6), st.floats(0.01, 1e5), st.floats(1.001, 100.0))
def test_entry_scales_with_cycle_start_balance(p, balance, close, factor):
    one = decide(p, Book(), balance, close)
    two = decide(p, Book(), balance * 2.0, close)
    for a, b in zip(one, two, strict=True):
        assert a.kind == b.kind == "entry"
        assert b.qty == 2.0 * a.qty  # exact: doubling is exact in binary floating point
        assert a.price == b.price == close
    more = decide(p, Book(), balance * factor, close)
    for a, b in zip(one, more, strict=True):
        assert math.isclose(b.qty, a.qty * factor, rel_tol=1e-12)


@SETTINGS
@given(
    params(spot=False),
    st.floats(0.01, 1.0),  # q*a/B before the deposit, as a share of the limit
    st.integers(0, 9),
    st.floats(0.0, 1e6),  # deposit
    st.sampled_from(["long", "short"]),
)
def test_a_deposit_during_a_cycle_changes_no_dca_size(p, share, k, deposit, side):
    p = p.replace(we_weight=0.0, sides="both")
    balance = 10000.0
    a = 20000.0
    cost = share * p.wallet_exposure_limit * balance
    q = cost * a if p.coin_margined else cost / a
    s = SideState(q, a, min(k, p.max_dca - 1))
    before = dca_order(p, side, s, balance)
    after = dca_order(p, side, s, balance + deposit)
    if before is None:
        return
    assert after is not None
    assert after.price == before.price  # we_weight 0: the level does not depend on B
    if before.qty == q * p.ddown_factor:  # not limited by the cap
        assert after.qty == before.qty
    else:  # only the cap moved
        assert after.qty >= before.qty


@SETTINGS
@given(params(), st.floats(0.01, 1e5), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=300))
def test_no_dca_fill_while_the_range_stays_inside_the_first_spacing(p, base, pts):
    top = base * (1.0 + p.spacing) * (1.0 - 1e-9)  # every price in [base, top)
    rows = []
    for i, (x, y, z) in enumerate(pts):
        lo, hi = sorted((base + x * (top - base), base + y * (top - base)))
        c = lo + z * (hi - lo)
        rows.append((i * 60000, c, hi, lo, c, 1.0))
    ref = replay(p, rows)
    assert not [f for f in ref.fill_log if f.kind == "dca"]
    got = simulate([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], pack(p), [], [])
    assert got[0] == ref.fills
