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
