"""The two known answers of DESIGN.md section 3, for every implementation."""

import numpy as np
import pytest

from sequence.strategy.kernel import pack, simulate
from sequence.strategy.kernel_nb import simulate_nb
from sequence.strategy.params import Params
from sequence.strategy.replay import replay
from tests.support.strategy_data import SECOND

KNOWN = [
    ({}, (483, 191, 10181.997744, 8173.887739, 0.199002)),
    (SECOND, (693, 272, 10615.367087, 8955.889872, 0.122826)),
]


def _check(got, want):
    fills, closes, balance, eq, dd, *stop = got
    assert stop in ([], [-1])
    assert (fills, closes) == want[:2]
    assert round(balance, 6) == want[2]
    assert round(eq, 6) == want[3]
    assert round(dd, 6) == want[4]


@pytest.mark.parametrize(("overrides", "want"), KNOWN, ids=["defaults", "second"])
def test_decide_replay(main_rows, overrides, want):
    r = replay(Params.from_mapping(overrides), main_rows)
    assert r.candles == 30240
    _check((r.fills, r.closes, r.final_balance, r.final_equity, r.max_drawdown), want)


@pytest.mark.parametrize(("overrides", "want"), KNOWN, ids=["defaults", "second"])
def test_kernel_as_plain_python(main_rows, overrides, want):
    h = [r[2] for r in main_rows]
    lo = [r[3] for r in main_rows]
    c = [r[4] for r in main_rows]
    _check(simulate(h, lo, c, pack(Params.from_mapping(overrides)), [], []), want)


@pytest.mark.parametrize(("overrides", "want"), KNOWN, ids=["defaults", "second"])
def test_kernel_compiled(main_rows, overrides, want):
    a = np.array(main_rows, dtype=np.float64)
    none = np.empty(0)
    got = simulate_nb(
        a[:, 2].copy(), a[:, 3].copy(), a[:, 4].copy(),
        np.array(pack(Params.from_mapping(overrides))), none, none,
    )  # fmt: skip
    _check(got, want)
