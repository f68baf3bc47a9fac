"""Return measures on synthetic curves, each answer worked out by hand."""

import math

import pytest

from sequence.metrics.returns import (
    DAY_MS,
    cagr,
    calmar,
    daily_equity,
    daily_returns,
    drawdown,
    returns,
    sharpe,
    sortino,
    total_return,
)

D0 = 1_700_006_400_000  # 2023-11-15 00:00 UTC


def test_total_return_and_cagr():
    assert total_return([100.0, 110.0]) == pytest.approx(0.1)
    # 100 -> 121 over two years of 365 days: 1.21 ** 0.5 - 1 = 0.1
    assert cagr([0, 730 * DAY_MS], [100.0, 121.0]) == pytest.approx(0.1, abs=1e-12)
    assert cagr([0, DAY_MS], [100.0, 0.0]) == -1.0
    assert cagr([0], [100.0]) is None


def test_drawdown_that_recovers():
    # peak 120 at t=1, trough 90 at t=2 (25 %), back above 120 at t=4
    dd = drawdown([0, 1, 2, 3, 4], [100.0, 120.0, 90.0, 100.0, 130.0])
    assert dd.max == pytest.approx(0.25)
    assert (dd.peak_ts, dd.trough_ts, dd.recovered_ts) == (1, 2, 4)
    assert (dd.duration_ms, dd.recovery_ms) == (3, 2)


def test_drawdown_that_never_recovers():
    # 100 -> 80 (20 %) -> 90: still under water at the end
    dd = drawdown([0, 10, 20], [100.0, 80.0, 90.0])
    assert dd.max == pytest.approx(0.2)
    assert dd.recovered_ts is None and dd.recovery_ms is None
    assert dd.duration_ms == 20  # from the peak to the last sample
    assert drawdown([0, 1], [1.0, 2.0]).max == 0.0


def test_daily_equity_at_midnight_utc():
    h = 3_600_000
    ts = [D0, D0 + 12 * h, D0 + DAY_MS + 6 * h, D0 + 2 * DAY_MS]
    daily = daily_equity(ts, [100.0, 90.0, 120.0, 130.0])
    # day 1 00:00 takes the 12:00 sample of day 0 (the last at or before midnight)
    assert daily == [(D0, 100.0), (D0 + DAY_MS, 90.0), (D0 + 2 * DAY_MS, 130.0)]
    r = daily_returns(daily)
    assert r == pytest.approx([-0.1, 130 / 90 - 1])


def test_sharpe_sortino_calmar_by_hand():
    r = [0.01, -0.01, 0.02]
    # mean 0.0066667, sample stdev 0.0152753 -> 0.436436 x sqrt(365) = 8.33808
    assert sharpe(r) == pytest.approx(8.33808, rel=1e-5)
    # downside sqrt(0.0001 / 3) = 0.00577350 -> 1.154701 x sqrt(365) = 22.06058
    assert sortino(r) == pytest.approx(22.06058, rel=1e-5)
    assert sortino([0.01, 0.02]) is None
    assert sharpe([0.01, 0.01]) is None
    assert calmar(0.1, 0.25) == pytest.approx(0.4)
    assert calmar(0.1, 0.0) is None


def test_returns_bundle_is_finite_or_none():
    ts = [D0 + i * DAY_MS for i in range(4)]
    out = returns(ts, [100.0, 101.0, 99.99, 102.0])
    row = out.as_dict()
    assert row["total_return"] == pytest.approx(0.02)
    assert row["max_dd"] == pytest.approx(0.01)  # 1 - 99.99/101
    assert row["max_dd_days"] == 2.0 and row["recovery_days"] == 1.0
    assert all(v is None or math.isfinite(v) for v in row.values())
