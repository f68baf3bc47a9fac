"""decide() replayed candle by candle and the kernel (plain and compiled) agree fill by fill."""

import pytest

from sequence.core.candles import load_rows
from sequence.strategy.kernel import pack, simulate
from sequence.strategy.params import Params
from sequence.strategy.replay import replay
from tests.support.strategy_data import CANDLES, SECOND

FILES = sorted(CANDLES.glob("*.csv*"))
ROWS = 6000  # replay is slow (about 15 µs a candle): full small files, the head of big ones
SETS = {
    "defaults": Params(),
    "second": Params.from_mapping(SECOND),
    "tight": Params(spacing=0.002, markup=0.001, max_dca=4, ddown_factor=2.0, we_weight=1.0),
}


def _kernel_fills(p, rows, compiled):
    h, lo, c = ([r[i] for r in rows] for i in (2, 3, 4))
    if compiled:
        import numpy as np

        from sequence.strategy.kernel_nb import simulate_nb

        h, lo, c = (np.array(x) for x in (h, lo, c))
        fills = np.zeros(5 * 4 * len(rows))
        got = simulate_nb(h, lo, c, np.array(pack(p)), fills, np.empty(0))
    else:
        fills = [0.0] * (5 * 4 * len(rows))
        got = simulate(h, lo, c, pack(p), fills, [])
    log = [
        (int(fills[j]), int(fills[j + 1]), int(fills[j + 2]), float(fills[j + 3]), float(fills[j + 4]))
        for j in range(0, 5 * got[0], 5)
    ]
    return got, log


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.split(".")[0])
@pytest.mark.parametrize("name", list(SETS))
def test_parity(path, name):
    p = SETS[name]
    rows = load_rows(path)[:ROWS]
    ref = replay(p, rows)
    want = (ref.fills, ref.closes, ref.final_balance, ref.final_equity, ref.max_drawdown, ref.stop)
    ref_log = [f.as_tuple() for f in ref.fill_log]
    for compiled in (False, True):
        got, log = _kernel_fills(p, rows, compiled)
        assert got == want, f"compiled={compiled}"
        assert log == ref_log, f"compiled={compiled}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.split(".")[0])
def test_plain_and_compiled_kernel_agree_on_whole_files(path):
    rows = load_rows(path)
    for p in (Params.from_mapping(SECOND), Params(contract="inverse", starting_balance=1.0)):
        assert _kernel_fills(p, rows, False) == _kernel_fills(p, rows, True)
