"""Return measures of an equity curve in the unit of account.

The curve is ``(ts_ms, equity)`` samples in time order (float64 inside). Conventions:
daily equity at 00:00 UTC, annualised with sqrt(365), risk-free rate 0, Calmar = CAGR /
max drawdown. A measure that its data cannot define (one sample, no spread, no loss) is
``None``, never NaN or infinity.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DAY_MS", "Drawdown", "Returns", "cagr", "calmar", "daily_equity", "daily_returns",
    "drawdown", "returns", "sharpe", "sortino", "total_return",
]  # fmt: skip

DAY_MS = 86_400_000
YEAR_DAYS = 365.0


def total_return(equity: Sequence[float]) -> float | None:
    """``E_last / E_first - 1``. Example: 100 -> 110 gives 0.1."""
    if len(equity) < 1 or equity[0] <= 0:
        return None
    return equity[-1] / equity[0] - 1.0


def daily_equity(ts_ms: Sequence[int], equity: Sequence[float]) -> list[tuple[int, float]]:
    """The equity at each 00:00 UTC from the first sample's day on: the last sample at or before it.

    The first midnight is the first at or after the first sample; the last is the last at or
    before the last sample. Example: samples (day 0 00:00, 100), (day 0 12:00, 90),
    (day 1 06:00, 120), (day 2 00:00, 130) -> [(day 0, 100), (day 1, 90), (day 2, 130)].
    """
    if not ts_ms:
        return []
    first = -(-ts_ms[0] // DAY_MS) * DAY_MS
    out = []
    j = 0
    n = len(ts_ms)
    day = first
    while day <= ts_ms[-1]:
        while j + 1 < n and ts_ms[j + 1] <= day:
            j += 1
        out.append((day, float(equity[j])))
        day += DAY_MS
    return out


def daily_returns(daily: Sequence[tuple[int, float]]) -> list[float]:
    """``r_d = E_d / E_(d-1) - 1`` over consecutive midnights. Example: 100, 90, 130 -> -0.1, 0.4444."""
    return [b / a - 1.0 for (_, a), (_, b) in itertools.pairwise(daily) if a > 0]


def cagr(ts_ms: Sequence[int], equity: Sequence[float]) -> float | None:
    """``(E_last / E_first) ^ (365 / days) - 1``, days = (t_last - t_first) / 1 day.

    Example: 100 -> 121 over 730 days gives 1.21 ^ 0.5 - 1 = 0.1. A curve ending at or
    below 0 has CAGR -1.
    """
    if len(ts_ms) < 2 or equity[0] <= 0 or ts_ms[-1] <= ts_ms[0]:
        return None
    growth = equity[-1] / equity[0]
    if growth <= 0:
        return -1.0
    days = (ts_ms[-1] - ts_ms[0]) / DAY_MS
    try:
        return float(growth ** (YEAR_DAYS / days) - 1.0)
    except OverflowError:
        return None


@dataclass(frozen=True)
class Drawdown:
    """The deepest fall from a running peak, with when it started, bottomed and recovered."""

    max: float  # 1 - trough / peak, 0 when the curve never falls
    peak_ts: int | None
    trough_ts: int | None
    recovered_ts: int | None  # the first sample back at or above the peak; None: never
    duration_ms: int | None  # peak -> recovery, or peak -> last sample if never recovered
    recovery_ms: int | None  # trough -> recovery; None when it never recovered


def drawdown(ts_ms: Sequence[int], equity: Sequence[float]) -> Drawdown:
    """``max_t (1 - E_t / max_(s<=t) E_s)``, capped at 1, with its duration and recovery.

    Example: 100, 120, 90, 100, 130 at t = 0..4 -> peak 120 at t=1, trough 90 at t=2,
    max = 1 - 90/120 = 0.25, recovered at t=4 (130 >= 120): duration 3, recovery 2.
    A curve 100, 80, 90 never recovers: max 0.2, duration = t_last - t_peak = 2, recovery None.
    """
    best = Drawdown(0.0, None, None, None, None, None)
    if not equity:
        return best
    peak, peak_t = float(equity[0]), ts_ms[0]
    worst = 0.0
    worst_peak_t = worst_trough_t = None
    worst_peak = peak
    for t, e in zip(ts_ms, equity, strict=True):
        if e > peak:
            peak, peak_t = float(e), t
        elif peak > 0:
            dd = min(1.0, 1.0 - e / peak)
            if dd > worst:
                worst, worst_peak_t, worst_trough_t, worst_peak = dd, peak_t, t, peak
    if worst_peak_t is None or worst_trough_t is None:
        return best
    recovered = next(
        (t for t, e in zip(ts_ms, equity, strict=True) if t > worst_trough_t and e >= worst_peak),
        None,
    )
    end = recovered if recovered is not None else ts_ms[-1]
    return Drawdown(
        max=worst, peak_ts=worst_peak_t, trough_ts=worst_trough_t, recovered_ts=recovered,
        duration_ms=end - worst_peak_t,
        recovery_ms=None if recovered is None else recovered - worst_trough_t,
    )  # fmt: skip


def sharpe(daily: Sequence[float]) -> float | None:
    """``mean(r) / stdev(r) x sqrt(365)`` (sample stdev, n - 1), risk-free 0.

    Example: r = 0.01, -0.01, 0.02 -> mean 0.006667, stdev 0.015275, Sharpe = 0.43644 x
    19.10497 = 8.3381.
    """
    n = len(daily)
    if n < 2:
        return None
    mean = sum(daily) / n
    var = sum((r - mean) ** 2 for r in daily) / (n - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(YEAR_DAYS)


def sortino(daily: Sequence[float]) -> float | None:
    """``mean(r) / sqrt(mean(min(r, 0)^2)) x sqrt(365)``: only losing days count as risk.

    Example: r = 0.01, -0.01, 0.02 -> mean 0.006667, downside sqrt(0.0001 / 3) = 0.0057735,
    Sortino = 1.1547 x 19.10497 = 22.0605. No losing day: None.
    """
    n = len(daily)
    if n < 1:
        return None
    down = sum(min(r, 0.0) ** 2 for r in daily) / n
    if down <= 0:
        return None
    return (sum(daily) / n) / math.sqrt(down) * math.sqrt(YEAR_DAYS)


def calmar(cagr_: float | None, max_drawdown: float) -> float | None:
    """``CAGR / max drawdown``. Example: CAGR 0.1, max drawdown 0.25 -> 0.4. No drawdown: None."""
    if cagr_ is None or max_drawdown <= 0:
        return None
    return cagr_ / max_drawdown


@dataclass(frozen=True)
class Returns:
    total_return: float | None
    cagr: float | None
    drawdown: Drawdown
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    days: float

    def as_dict(self) -> dict[str, float | int | None]:
        """Flat, CSV-friendly (the sweep's columns)."""
        dd = self.drawdown
        return {
            "total_return": self.total_return, "cagr": self.cagr, "max_dd": dd.max,
            "max_dd_days": None if dd.duration_ms is None else dd.duration_ms / DAY_MS,
            "recovery_days": None if dd.recovery_ms is None else dd.recovery_ms / DAY_MS,
            "sharpe": self.sharpe, "sortino": self.sortino, "calmar": self.calmar,
        }  # fmt: skip


def returns(ts_ms: Sequence[int], equity: Sequence[float]) -> Returns:
    """Every measure of one curve: drawdown on every sample, Sharpe/Sortino on daily equity."""
    dd = drawdown(ts_ms, equity)
    g = cagr(ts_ms, equity)
    daily = daily_returns(daily_equity(ts_ms, equity))
    days = (ts_ms[-1] - ts_ms[0]) / DAY_MS if len(ts_ms) > 1 else 0.0
    return Returns(
        total_return=total_return(equity), cagr=g, drawdown=dd, sharpe=sharpe(daily),
        sortino=sortino(daily), calmar=calmar(g, dd.max), days=days,
    )  # fmt: skip
