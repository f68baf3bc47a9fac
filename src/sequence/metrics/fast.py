"""numpy/numba forms of :func:`.returns.returns` and :func:`.series.exposure` for long curves.

Same definitions (the docstrings there hold the formulas and worked examples), computed on
arrays in one compiled pass each (``njit(cache=True, nogil=True)``: a sweep's threads run
them in parallel), so that a sweep of many parameter sets over a year of candles stays fast;
the tests check them equal to the reference forms. Daily equity, Sharpe and Sortino reuse the
reference functions on the (short) daily series.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

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

__all__ = ["curve_measures", "daily_equity_np", "drawdown_np", "exposure_np", "returns_np"]


@njit(cache=True, nogil=True)
def _drawdown_scan(e: Any) -> tuple[float, int, int, float]:
    """(worst, index of its peak, index of its trough, the peak's value) in one pass."""
    peak = e[0]
    peak_i = 0
    worst = 0.0
    w_peak_i = -1
    w_trough_i = -1
    w_peak = peak
    for i in range(e.shape[0]):
        v = e[i]
        if v > peak:
            peak = v
            peak_i = i
        elif peak > 0.0:
            dd = min(1.0, 1.0 - v / peak)
            if dd > worst:
                worst = dd
                w_peak_i = peak_i
                w_trough_i = i
                w_peak = peak
    return worst, w_peak_i, w_trough_i, w_peak


def drawdown_np(ts_ms: Any, equity: Any) -> Drawdown:
    e = np.ascontiguousarray(equity, dtype=np.float64)
    t = np.asarray(ts_ms, dtype=np.int64)
    if e.size == 0:
        return Drawdown(0.0, None, None, None, None, None)
    worst, peak_i, trough, top = _drawdown_scan(e)
    if not worst > 0:
        return Drawdown(0.0, None, None, None, None, None)
    after = np.flatnonzero(e[trough + 1 :] >= top)
    rec = None if after.size == 0 else int(t[trough + 1 + after[0]])
    end = rec if rec is not None else int(t[-1])
    return Drawdown(
        max=float(worst), peak_ts=int(t[peak_i]), trough_ts=int(t[trough]), recovered_ts=rec,
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


@njit(cache=True, nogil=True)
def _exposure_scan(lv: Any, sv: Any, e: Any) -> tuple[float, int, float, int]:
    """(sum of finite ratios, their count, the largest ratio, samples with a position)."""
    total = 0.0
    finite = 0
    top = 0.0
    held = 0
    for i in range(e.shape[0]):
        v = abs(lv[i]) + abs(sv[i])
        if v > 0.0:
            held += 1
        if e[i] > 0.0:
            r = v / e[i]
            total += r
            finite += 1
        else:
            r = np.inf if v > 0.0 else 0.0
            if r == 0.0:
                finite += 1
        if r > top:
            top = r
    return total, finite, top, held


def exposure_np(long_value: Any, short_value: Any, equity: Any) -> Exposure:
    """As :func:`.series.exposure`, without the per-sample ratios (``ratio`` is empty)."""
    e = np.ascontiguousarray(equity, dtype=np.float64)
    n = e.size
    if n == 0:
        return Exposure(ratio=[], mean=0.0, max=0.0, time_in_market=0.0)
    total, finite, top, held = _exposure_scan(
        np.ascontiguousarray(long_value, dtype=np.float64),
        np.ascontiguousarray(short_value, dtype=np.float64), e,
    )  # fmt: skip
    return Exposure(
        ratio=[], mean=total / finite if finite else 0.0, max=float(top), time_in_market=held / n,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _curve_scan(start: float, eq: Any, q_long: Any, q_short: Any, price: Any,
                coin: bool) -> tuple[float, int, int, int, float, int, float, int]:  # fmt: skip
    """One pass over the curve ``[start] + eq`` with position sizes: the drawdown (as
    :func:`_drawdown_scan`, then its recovery index, -1 if none) and the exposure sums (as
    :func:`_exposure_scan`, a position's value being ``q / P`` for a coin unit, else ``q x P``)."""
    n = eq.shape[0] + 1
    peak = start
    peak_i = 0
    worst = 0.0
    w_peak_i = -1
    w_trough_i = -1
    w_peak = peak
    total = 0.0
    finite = 1  # the start: no position, a ratio of 0
    top = 0.0
    held = 0
    for j in range(1, n):
        v = eq[j - 1]
        if v > peak:
            peak = v
            peak_i = j
        elif peak > 0.0:
            dd = min(1.0, 1.0 - v / peak)
            if dd > worst:
                worst = dd
                w_peak_i = peak_i
                w_trough_i = j
                w_peak = peak
        c = price[j - 1]
        x = (abs(q_long[j - 1]) + abs(q_short[j - 1])) / c if coin else \
            (abs(q_long[j - 1]) + abs(q_short[j - 1])) * c
        if x > 0.0:
            held += 1
        if v > 0.0:
            r = x / v
            total += r
            finite += 1
        else:
            r = np.inf if x > 0.0 else 0.0
            if r == 0.0:
                finite += 1
        if r > top:
            top = r
    rec = -1
    if w_trough_i >= 0:
        for j in range(w_trough_i + 1, n):
            if eq[j - 1] >= w_peak:
                rec = j
                break
    return worst, w_peak_i, w_trough_i, rec, total, finite, top, held


def curve_measures(ts_ms: Any, start: float, equity: Any, q_long: Any, q_short: Any, price: Any,
                   coin: bool) -> tuple[Returns, Exposure]:  # fmt: skip
    """:func:`returns_np` and :func:`exposure_np` of the curve ``[start] + equity`` (``ts_ms``
    has one more time, the start's) with positions given as sizes at ``price``, in one pass
    and without building the curve: a sweep's per-set measures."""
    e = np.ascontiguousarray(equity, dtype=np.float64)
    t = np.asarray(ts_ms, dtype=np.int64)
    worst, peak_i, trough, rec_i, total, finite, top, held = _curve_scan(
        float(start), e, np.ascontiguousarray(q_long, dtype=np.float64),
        np.ascontiguousarray(q_short, dtype=np.float64), np.ascontiguousarray(price, dtype=np.float64),
        coin,
    )  # fmt: skip
    n = e.size + 1
    if worst > 0:
        rec = None if rec_i < 0 else int(t[rec_i])
        end = rec if rec is not None else int(t[-1])
        dd = Drawdown(max=float(worst), peak_ts=int(t[peak_i]), trough_ts=int(t[trough]),
                      recovered_ts=rec, duration_ms=end - int(t[peak_i]),
                      recovery_ms=None if rec is None else rec - int(t[trough]))  # fmt: skip
    else:
        dd = Drawdown(0.0, None, None, None, None, None)
    last = float(e[-1]) if e.size else float(start)
    ends_t, ends_e = [int(t[0]), int(t[-1])], [float(start), last]
    g = cagr(ends_t, ends_e) if n > 1 else None
    first = -(-int(t[0]) // DAY_MS) * DAY_MS
    days = np.arange(first, int(t[-1]) + 1, DAY_MS, dtype=np.int64)
    idx = np.searchsorted(t, days, side="right") - 1
    values = [float(start) if i == 0 else float(e[i - 1]) for i in idx]
    daily = daily_returns(list(zip((int(d) for d in days), values, strict=True)))
    r = Returns(
        total_return=total_return(ends_e), cagr=g, drawdown=dd, sharpe=sharpe(daily),
        sortino=sortino(daily), calmar=calmar(g, dd.max),
        days=(int(t[-1]) - int(t[0])) / DAY_MS if n > 1 else 0.0,
    )  # fmt: skip
    x = Exposure(ratio=[], mean=total / finite if finite else 0.0, max=float(top),
                 time_in_market=held / n)  # fmt: skip
    return r, x
