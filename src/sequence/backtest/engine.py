"""Run one backtest: pick the engine for the size, time the simulation alone.

``engine="python"`` runs :func:`sequence.strategy.kernel.simulate` as plain
Python (no numpy, no numba: a warm process starts in a few tens of
milliseconds); ``engine="numba"`` runs the compiled kernel (importing numba
and loading its cached machine code costs about 0.4-0.5 s, after which a
candle costs a few nanoseconds). ``auto`` picks numba from
:data:`AUTO_NUMBA_ROWS` candles on: below that the plain loop finishes before
numba would have loaded (the kernel skips candles where nothing can trigger,
so plain Python does about 0.3 µs per candle). Both give identical results.
"""

from __future__ import annotations

import array
import time
from dataclasses import dataclass, field
from typing import Any

from sequence.backtest.data import Candles
from sequence.strategy.kernel import FILL_FIELDS, pack, simulate
from sequence.strategy.params import Params

__all__ = ["AUTO_NUMBA_ROWS", "BacktestResult", "run"]

AUTO_NUMBA_ROWS = 1_500_000
ENGINES = ("auto", "python", "numba")


@dataclass(frozen=True, slots=True)
class BacktestResult:
    candles: int
    fills: int
    closes: int
    final_balance: float
    final_equity: float
    max_drawdown: float
    core_seconds: float
    engine: str
    fill_log: Any = None  # flat (i, side, kind, price, qty) * fills, when recorded
    series: Any = None  # equity, long size, short size (each len candles), when recorded
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "candles": self.candles,
            "fills": self.fills,
            "closes": self.closes,
            "final_balance": self.final_balance,
            "final_equity": self.final_equity,
            "max_drawdown": self.max_drawdown,
            "core_seconds": self.core_seconds,
        }

    def fill_tuples(self) -> list[tuple[int, int, int, float, float]]:
        log = self.fill_log
        if log is None:
            return []
        return [
            (int(log[j]), int(log[j + 1]), int(log[j + 2]), float(log[j + 3]), float(log[j + 4]))
            for j in range(0, FILL_FIELDS * self.fills, FILL_FIELDS)
        ]


def choose_engine(engine: str, n: int) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "auto":
        return "numba" if n >= AUTO_NUMBA_ROWS else "python"
    return engine


def run(
    params: Params,
    candles: Candles,
    *,
    engine: str = "auto",
    record_fills: bool = False,
    record_series: bool = False,
) -> BacktestResult:
    n = len(candles)
    chosen = choose_engine(engine, n)
    cap = (1024 + n // 4) if record_fills else 0
    if chosen == "numba":
        import numpy as np

        from sequence.strategy.kernel_nb import simulate_nb

        c = candles.as_numpy()
        h, lo, cl = (np.ascontiguousarray(x, dtype=np.float64) for x in (c.high, c.low, c.close))
        p = np.asarray(pack(params), dtype=np.float64)
        series = np.empty(3 * n if record_series else 0, dtype=np.float64)
        none = np.empty(0, dtype=np.float64)
        simulate_nb(h[:1], lo[:1], cl[:1], p, none, none)  # compile or load it outside the timing
        while True:
            fills = np.empty(FILL_FIELDS * cap, dtype=np.float64)
            t0 = time.perf_counter()
            nf, ncl, b, e, dd = simulate_nb(h, lo, cl, p, fills, series)
            core = time.perf_counter() - t0
            if nf <= cap or not record_fills:
                break
            cap = nf
    else:
        h, lo, cl = candles.high, candles.low, candles.close
        if not isinstance(h, list):
            h, lo, cl = list(h), list(lo), list(cl)
        p = pack(params)
        series = array.array("d", bytes(8 * 3 * n)) if record_series else []
        while True:
            fills = array.array("d", bytes(8 * FILL_FIELDS * cap))
            t0 = time.perf_counter()
            nf, ncl, b, e, dd = simulate(h, lo, cl, p, fills, series)
            core = time.perf_counter() - t0
            if nf <= cap or not record_fills:
                break
            cap = nf
    return BacktestResult(
        candles=n,
        fills=int(nf),
        closes=int(ncl),
        final_balance=float(b),
        final_equity=float(e),
        max_drawdown=float(dd),
        core_seconds=core,
        engine=chosen,
        fill_log=fills if record_fills else None,
        series=series if record_series else None,
    )
