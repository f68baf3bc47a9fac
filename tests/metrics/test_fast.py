"""The numpy forms agree with the reference forms (whose answers are hand-checked)."""

import random

import pytest

from sequence.metrics.fast import daily_equity_np, drawdown_np, exposure_np, returns_np
from sequence.metrics.returns import DAY_MS, daily_equity, drawdown, returns
from sequence.metrics.series import exposure


def test_the_hand_examples():
    dd = drawdown_np([0, 1, 2, 3, 4], [100.0, 120.0, 90.0, 100.0, 130.0])
    assert (dd.max, dd.peak_ts, dd.trough_ts, dd.recovered_ts) == (pytest.approx(0.25), 1, 2, 4)
    never = drawdown_np([0, 10, 20], [100.0, 80.0, 90.0])
    assert never.recovered_ts is None and never.duration_ms == 20


@pytest.mark.parametrize("seed", range(20))
def test_random_curves_agree(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 400)
    t0 = 1_700_000_000_000 + rng.randint(0, DAY_MS)
    ts = sorted(t0 + rng.randint(0, 30 * DAY_MS) for _ in range(n))
    eq = [100.0]
    for _ in range(n - 1):
        eq.append(max(0.0, eq[-1] * (1 + rng.gauss(0, 0.03))) if rng.random() > 0.1 else eq[-1])
    assert drawdown_np(ts, eq) == drawdown(ts, eq)
    assert daily_equity_np(ts, eq) == daily_equity(ts, eq)
    assert returns_np(ts, eq) == returns(ts, eq)
    lv = [rng.choice([0.0, rng.random() * 50]) for _ in range(n)]
    sv = [rng.choice([0.0, rng.random() * 50]) for _ in range(n)]
    ref, fast = exposure(lv, sv, eq), exposure_np(lv, sv, eq)
    assert fast.mean == pytest.approx(ref.mean) and fast.max == ref.max
    assert fast.time_in_market == ref.time_in_market


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("coin", [False, True])
def test_the_one_pass_curve_measures_agree(seed, coin):
    from sequence.metrics.fast import curve_measures

    rng = random.Random(seed)
    n = rng.randint(1, 300)
    t0 = 1_700_000_000_000
    ts = [t0 + i * 3_600_000 for i in range(n + 1)]
    start = 100.0
    eq = [start * (1 + rng.gauss(0, 0.05)) for _ in range(n)]
    if seed == 0:
        eq[-1] = -1.0  # ruined: equity at or below zero, a position still held
    price = [20_000 * (1 + rng.gauss(0, 0.01)) for _ in range(n)]
    ql = [rng.choice([0.0, rng.random()]) for _ in range(n)]
    qs = [rng.choice([0.0, rng.random()]) for _ in range(n)]
    r, x = curve_measures(ts, start, eq, ql, qs, price, coin)
    curve = [start, *eq]
    assert r == returns(ts, curve)
    value = [(a + b) / p if coin else (a + b) * p for a, b, p in zip(ql, qs, price, strict=True)]
    ref = exposure([0.0, *value], [0.0] * (n + 1), curve)
    assert x.mean == pytest.approx(ref.mean) and x.max == pytest.approx(ref.max)
    assert x.time_in_market == ref.time_in_market
