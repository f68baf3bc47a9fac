"""numpy forms of :func:`.returns.returns` and :func:`.series.exposure` for long curves.

Same definitions (the docstrings there hold the formulas and worked examples), computed on
arrays so that a sweep of many parameter sets over millions of candles stays fast; the tests
check them equal to the reference forms. Daily equity, Sharpe and Sortino reuse the
reference functions on the (short) daily series.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sequence.metrics.returns import (
    DAY_MS,
    Drawdown,
    Returns,
    cagr,
    calmar,
    daily_returns,
    sharpe,
    sortino,
    total_return,
)  # fmt: skip
from sequence.metrics.series import Exposure

__all__ = ["daily_equity_np", "drawdown_np", "exposure_np", "returns_np"]


def drawdown_np(ts_ms: Any, equity: Any) -> Drawdown:
    e = np.asarray(equity, dtype=np.float64)
    t = np.asarray(ts_ms, dtype=np.int64)
    if e.size == 0:
        return Drawdown(0.0, None, None, None, None, None)
    peak = np.maximum.accumulate(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, np.minimum(1.0, 1.0 - e / peak), 0.0)
    trough = int(np.argmax(dd))
    worst = float(dd[trough])
    if not worst > 0:
        return Drawdown(0.0, None, None, None, None, None)
    top = peak[trough]
    peak_i = int(np.argmax(e[: trough + 1] == top))  # the first sample at the running peak
    after = np.nonzero(e[trough + 1 :] >= top)[0]
    rec = None if after.size == 0 else int(t[trough + 1 + after[0]])
    end = rec if rec is not None else int(t[-1])
    return Drawdown(
        max=worst, peak_ts=int(t[peak_i]), trough_ts=int(t[trough]), recovered_ts=rec,
        duration_ms=end - int(t[peak_i]), recovery_ms=None if rec is None else rec - int(t[trough]),
    )  # fmt: skip


def daily_equity_np(ts_ms: Any, equity: Any) -> list[tuple[int, float]]:
    t = np.asarray(ts_ms, dtype=np.int64)
    if t.size == 0:
        return []
    first = -(-int(t[0]) // DAY_MS) * DAY_MS
    days = np.arange(first, int(t[-1]) + 1, DAY_MS, dtype=np.int64)
    idx = np.searchsorted(t, days, side="right") - 1
    e = np.asarray(equity, dtype=np.float64)
    return [(int(d), float(e[i])) for d, i in zip(days, idx, strict=True)]


def returns_np(ts_ms: Any, equity: Any) -> Returns:
    e = np.asarray(equity, dtype=np.float64)
    t = np.asarray(ts_ms, dtype=np.int64)
    dd = drawdown_np(t, e)
    ends_t, ends_e = [int(t[0]), int(t[-1])], [float(e[0]), float(e[-1])]
    g = cagr(ends_t, ends_e) if t.size > 1 else None
    daily = daily_returns(daily_equity_np(t, e))
    return Returns(
        total_return=total_return(ends_e) if e.size else None, cagr=g, drawdown=dd,
        sharpe=sharpe(daily), sortino=sortino(daily), calmar=calmar(g, dd.max),
        days=(int(t[-1]) - int(t[0])) / DAY_MS if t.size > 1 else 0.0,
    )  # fmt: skip


def exposure_np(long_value: Any, short_value: Any, equity: Any) -> Exposure:
    v = np.abs(np.asarray(long_value, dtype=np.float64)) + np.abs(
        np.asarray(short_value, dtype=np.float64)
    )
    e = np.asarray(equity, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(e > 0, v / e, np.where(v > 0, np.inf, 0.0))
    finite = ratio[np.isfinite(ratio)]
    n = ratio.size
    return Exposure(
        ratio=[], mean=float(finite.mean()) if finite.size else 0.0,
        max=float(ratio.max()) if n else 0.0,
        time_in_market=float(np.count_nonzero(v > 0)) / n if n else 0.0,
    )  # fmt: skip
