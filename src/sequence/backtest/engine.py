"""Run one backtest: pick the engine for the size, time the simulation alone.

``engine="python"`` runs :func:`sequence.strategy.kernel.simulate` as plain
Python (no numpy, no numba: a warm process starts in a few tens of
milliseconds); ``engine="numba"`` runs the compiled kernel (importing numba
and loading its cached machine code costs about 0.4-0.5 s, after which a
candle costs a few nanoseconds). ``auto`` picks numba from
:data:`AUTO_NUMBA_ROWS` candles on: below that the plain loop finishes before
numba would have loaded (the kernel skips candles where nothing can trigger,
so plain Python does about 0.3 µs per candle). Both give identical results.

``engine="replay"`` runs :func:`sequence.strategy.replay.replay` (``decide()``
candle by candle, about 15 µs a candle): the only engine that applies exchange
rounding, so ``run(..., precision=...)`` always uses it (the compiled kernels
do not round).

A run stops at ruin (``B <= 0`` or ``E <= 0`` after a candle): ``ruined`` is
true, ``ruin_index``/``ruin_timestamp`` name the candle and the results are as
of that candle. A value leaving float64's range raises :class:`SimulationRangeError`
(the CLI reports it with exit code 2), so no NaN or infinity is ever reported.
"""

from __future__ import annotations

import array
import math
import time
from dataclasses import dataclass, field
from typing import Any

from sequence.backtest.data import Candles
from sequence.core.precision import Precision
from sequence.strategy.kernel import FILL_FIELDS, pack, simulate
from sequence.strategy.params import Params

__all__ = ["AUTO_NUMBA_ROWS", "BacktestResult", "SimulationRangeError", "run"]

AUTO_NUMBA_ROWS = 1_500_000
ENGINES = ("auto", "python", "numba", "replay")


class SimulationRangeError(ValueError):
    """The balance or equity left float64's range (the prices and parameters are too extreme)."""


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
    extra: dict[str, Any] = field(default_factory=dict)
    ruin_index: int | None = None  # the candle after which the run stopped, ruined
    ruin_timestamp: int | None = None  # its open time, epoch ms

    @property
    def ruined(self) -> bool:
        return self.ruin_index is not None

    @property
    def candles_run(self) -> int:
        return self.candles if self.ruin_index is None else self.ruin_index + 1

    def summary(self) -> dict[str, Any]:
        return {
            "candles": self.candles,
            "fills": self.fills,
            "closes": self.closes,
            "final_balance": self.final_balance,
            "final_equity": self.final_equity,
            "max_drawdown": self.max_drawdown,
            "core_seconds": self.core_seconds,
            "ruined": self.ruined,
            "ruin_timestamp": self.ruin_timestamp,
        }

    def fill_tuples(self) -> list[tuple[int, int, int, float, float]]:
        log = self.fill_log
        if log is None:
            return []
        return [
            (int(log[j]), int(log[j + 1]), int(log[j + 2]), float(log[j + 3]), float(log[j + 4]))
            for j in range(0, FILL_FIELDS * self.fills, FILL_FIELDS)
        ]


def choose_engine(engine: str, n: int, *, rounding: bool = False) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if rounding:
        return "replay"
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
    precision: Precision | None = None,
) -> BacktestResult:
    """Run ``params`` over ``candles``; ``precision`` rounds orders (the replay engine)."""
    n = len(candles)
    chosen = choose_engine(engine, n, rounding=precision is not None)
    cap = (1024 + n // 4) if record_fills else 0
    h: Any
    lo: Any
    cl: Any
    p: Any
    series: Any
    fills: Any
    if chosen == "replay":
        return _run_replay(params, candles, precision, record_fills, record_series)
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
            nf, ncl, b, e, dd, stop = simulate_nb(h, lo, cl, p, fills, series)
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
            nf, ncl, b, e, dd, stop = simulate(h, lo, cl, p, fills, series)
            core = time.perf_counter() - t0
            if nf <= cap or not record_fills:
                break
            cap = nf
    return _result(
        candles, nf, ncl, b, e, dd, int(stop), core, chosen,
        fills if record_fills else None, series if record_series else None,
    )  # fmt: skip


def _result(
    candles: Candles, nf: Any, ncl: Any, b: Any, e: Any, dd: Any, stop: int, core: float,
    engine: str, fill_log: Any, series: Any,
) -> BacktestResult:  # fmt: skip
    b, e, dd = float(b), float(e), float(dd)
    if stop >= 0 and not (math.isfinite(b) and math.isfinite(e)):
        ts = int(candles.ts[stop])
        raise SimulationRangeError(
            f"the balance or equity left the range of float64 numbers after the candle at "
            f"{ts}: the prices or parameters are too extreme"
        )
    return BacktestResult(
        candles=len(candles),
        fills=int(nf),
        closes=int(ncl),
        final_balance=b,
        final_equity=e,
        max_drawdown=dd,
        core_seconds=core,
        engine=engine,
        fill_log=fill_log,
        series=series,
        ruin_index=stop if stop >= 0 else None,
        ruin_timestamp=int(candles.ts[stop]) if stop >= 0 else None,
    )


def _run_replay(
    params: Params, candles: Candles, precision: Precision | None, record_fills: bool,
    record_series: bool,
) -> BacktestResult:  # fmt: skip
    from sequence.strategy.decide import Book
    from sequence.strategy.replay import KIND_CODES, SIDE_CODES, replay

    n = len(candles)
    series = array.array("d", bytes(8 * 3 * n)) if record_series else None

    def on_candle(i: int, e: float, book: Book) -> None:
        assert series is not None
        series[i] = e
        series[n + i] = book.long.q
        series[2 * n + i] = book.short.q

    rows = candles.rows()
    t0 = time.perf_counter()
    r = replay(params, rows, precision=precision, on_candle=on_candle if record_series else None)
    core = time.perf_counter() - t0
    log = None
    if record_fills:
        log = array.array("d")
        for f in r.fill_log:
            log.extend((f.index, SIDE_CODES[f.side], KIND_CODES[f.kind], f.price, f.qty))
    return _result(
        candles, r.fills, r.closes, r.final_balance, r.final_equity, r.max_drawdown, r.stop,
        core, "replay", log, series,
    )  # fmt: skip
