"""Exposure, monthly returns, buy-and-hold and the liquidation price, by hand."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from sequence.metrics.series import (
    buy_and_hold,
    exposure,
    liquidation_price,
    monthly_returns,
    usd_curve,
)


def ms(y, m, d):
    return int(datetime(y, m, d, tzinfo=UTC).timestamp() * 1000)


def test_usd_curve_and_buy_and_hold():
    assert usd_curve("coin", [0.5], [40_000.0]) == [20_000.0]
    assert usd_curve("quote", [7.0], [40_000.0]) == [7.0]
    assert buy_and_hold("quote", 10_000.0, [100.0, 120.0]) == [10_000.0, 12_000.0]
    assert buy_and_hold("coin", 1.0, [100.0, 120.0]) == [1.0, 1.0]


def test_exposure():
    x = exposure([0, 50, 50], [0, 0, 50], [100, 100, 100])
    assert x.ratio == [0.0, 0.5, 1.0]
    assert x.mean == pytest.approx(0.5) and x.max == 1.0
    assert x.time_in_market == pytest.approx(2 / 3)


def test_monthly_returns():
    ts = [ms(2024, 1, 1), ms(2024, 1, 31), ms(2024, 2, 15), ms(2024, 2, 28)]
    out = monthly_returns(ts, [100.0, 110.0, 99.0, 121.0])
    assert [m for m, _ in out] == ["2024-01", "2024-02"]
    assert [r for _, r in out] == pytest.approx([0.10, 0.10])  # 110/100, 121/110


def test_liquidation_price_by_hand():
    # linear long alone: (qE - W) / (q (1 - mmr)) = (100 - 50) / 0.995
    assert liquidation_price("linear", "long", D(1), D(100), D(50)) == D(50) / D("0.995")
    # inverse long alone: q (1 + mmr) / (q/E + W) = 100 x 1.005 / (1 + 1) = 50.25
    assert liquidation_price("inverse", "long", D(100), D(100), D(1)) == D("50.25")
    # a long with more wallet than its value: no liquidation above zero
    assert liquidation_price("linear", "long", D(1), D(100), D(200)) is None
