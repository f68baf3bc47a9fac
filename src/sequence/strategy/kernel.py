"""The backtest kernel: DESIGN.md section 3 in one loop, for numba and for plain Python.

:func:`simulate` uses only float arithmetic, indexing and ``len``, so the same
source runs as plain Python (on lists or ``array.array``: fast for small
series, no compile) and compiled by numba (:mod:`sequence.strategy.kernel_nb`,
``njit(cache=True, nogil=True)``, no fastmath: float64, operations in the
order written, ``x ** float(k)`` for the C library's ``pow``).

Skipping: between fills nothing can happen unless a candle's high reaches the
lowest price that can trigger upwards (long take-profit, short DCA level) or
its low reaches the highest that can trigger downwards (long DCA level, short
take-profit). Those two thresholds are the exact values the full step would
compute (same formulas, same inputs, since ``B`` and the books only change on
fills), so a candle that crosses neither is skipped exactly; a candle that does
runs the full step. The drawdown divides only at a new low since the last peak
(the drawdown is monotone in equity for a fixed peak), which is exact too.

This module imports nothing heavy: the CLI runs small files through it as
plain Python without importing numpy or numba.
"""

from __future__ import annotations

import math
from typing import Protocol

from sequence.strategy.params import Params

__all__ = ["FILL_FIELDS", "N_PARAMS", "pack", "simulate"]

N_PARAMS = 13
FILL_FIELDS = 5  # candle index, side (0 long, 1 short), kind (0 entry, 1 dca, 2 tp), price, qty
INF = math.inf


def pack(p: Params) -> list[float]:
    """The parameter vector the kernel reads (order matters)."""
    return [
        p.wallet_exposure_limit,
        p.initial_qty_pct,
        p.ddown_factor,
        p.spacing,
        p.spacing_mult,
        p.we_weight,
        float(p.max_dca),
        p.markup,
        p.maker_fee,
        1.0 if p.long_enabled else 0.0,
        1.0 if p.short_enabled else 0.0,
        1.0 if p.coin_margined else 0.0,
        p.starting_balance,
    ]


class Floats(Protocol):
    """What the kernel reads: a list, an ``array('d')`` or a numpy float64 array."""

    def __len__(self) -> int: ...
    def __getitem__(self, i: int, /) -> float: ...


class FloatBuffer(Floats, Protocol):
    """What the kernel writes (fills, series)."""

    def __setitem__(self, i: int, v: float, /) -> None: ...


def simulate(
    h: Floats,
    l: Floats,  # noqa: E741
    c: Floats,
    p: Floats,
    fills: FloatBuffer,
    series: FloatBuffer,
) -> tuple[int, int, float, float, float, int]:
    """Run the strategy over candles ``h, l, c``; return ``(fills, closes, B, E, max_dd, stop)``.

    ``stop`` is -1 when every candle ran, else the index of the candle after
    which the run stopped: ruin (``B <= 0`` or ``E <= 0``, DESIGN.md section 3;
    the results are as of that candle and ``max_dd`` is at most 1), or a value
    that left float64's range (``B`` or ``E`` infinite or NaN: the caller reports
    it as an error). A side whose entry size underflows to zero places no entry
    and tries again at the next close; a long DCA level at or below zero is not
    placed. ``min`` only ever sees finite numbers (the bounds of
    :class:`~sequence.strategy.params.Params`), where numba's and Python's agree.

    ``p`` is :func:`pack`'s vector. ``fills`` (flat, length a multiple of 5)
    receives up to ``len(fills)//5`` fills as ``(i, side, kind, price, qty)``;
    the count returned is the true count, so a caller whose buffer was too
    small sizes it up and runs again. ``series`` is empty, or of length
    ``3*len(c)`` and receives the equity, long size and short size per candle.
    """
    wel = p[0]
    iqp = p[1]
    ddown = p[2]
    spacing = p[3]
    mult = p[4]
    wew = p[5]
    max_dca = int(p[6])
    markup = p[7]
    fee = p[8]
    long_on = p[9] != 0.0
    short_on = p[10] != 0.0
    coin = p[11] != 0.0
    b = p[12]
    cap = len(fills) // 5
    n = len(c)
    with_series = len(series) > 0

    ql = 0.0
    al = 1.0
    ial = 1.0
    kl = 0
    qs = 0.0
    as_ = 1.0
    ias = 1.0
    ks = 0
    peak = b
    low = b
    max_dd = 0.0
    e = b
    nf = 0
    ncl = 0
    up = INF
    dn = -INF
    flat_pending = long_on or short_on
    stop = -1
    for i in range(n):
        hi = h[i]
        lo = l[i]
        if hi < up and lo > dn and not flat_pending:
            # Nothing can trigger (see the module): only the equity moves, and B did not change,
            # so only E can end the run. Each test of E sits in the branch such an E takes
            # (low > 0 until the run stops): this keeps the common candle fast.
            ci = c[i]
            if coin:
                ic = 1.0 / ci
                e = b + ql * (ial - ic) + qs * (ic - ias)
            else:
                e = b + ql * (ci - al) + qs * (as_ - ci)
            if e > peak:
                peak = e
                low = e
                if e == INF:
                    stop = i
            elif e < low:
                low = e
                dd = (peak - e) / peak
                if dd > max_dd:
                    max_dd = dd
                if e <= 0.0:
                    stop = i
            elif e != e:  # NaN
                stop = i
            if with_series:
                series[i] = e
                series[n + i] = ql
                series[2 * n + i] = qs
            if stop >= 0:
                break
            continue
        nf0 = nf
        if hi >= up or lo <= dn:
            # 1. long side
            if ql > 0.0:
                tp = al * (1.0 + markup)
                if hi >= tp:
                    if coin:
                        b += ql * (1.0 / al - 1.0 / tp) - fee * ql / tp
                    else:
                        b += ql * (tp - al) - fee * ql * tp
                    if nf < cap:
                        j = nf * 5
                        fills[j] = float(i)
                        fills[j + 1] = 0.0
                        fills[j + 2] = 2.0
                        fills[j + 3] = tp
                        fills[j + 4] = ql
                    nf += 1
                    ncl += 1
                    ql = 0.0
                    kl = 0
                    flat_pending = True
                else:
                    while kl < max_dca and b > 0.0:
                        cost = ql / al if coin else ql * al
                        we = cost / b
                        lvl = al * (1.0 - spacing * mult ** float(kl) * (1.0 + wew * we / wel))
                        if lo > lvl:
                            break
                        if coin:
                            qty = min(ql * ddown, (wel * b - cost) * lvl)
                        else:
                            qty = min(ql * ddown, (wel * b - al * ql) / lvl)
                        if not qty > 0.0:
                            break
                        if coin:
                            al = (ql + qty) / (ql / al + qty / lvl)
                        else:
                            al = (al * ql + lvl * qty) / (ql + qty)
                        ial = 1.0 / al
                        ql += qty
                        kl += 1
                        if coin:
                            b -= fee * qty / lvl
                        else:
                            b -= fee * qty * lvl
                        if nf < cap:
                            j = nf * 5
                            fills[j] = float(i)
                            fills[j + 1] = 0.0
                            fills[j + 2] = 1.0
                            fills[j + 3] = lvl
                            fills[j + 4] = qty
                        nf += 1
            # 2. short side, mirrored
            if qs > 0.0:
                tp = as_ * (1.0 - markup)
                if lo <= tp:
                    if coin:
                        b += qs * (1.0 / tp - 1.0 / as_) - fee * qs / tp
                    else:
                        b += qs * (as_ - tp) - fee * qs * tp
                    if nf < cap:
                        j = nf * 5
                        fills[j] = float(i)
                        fills[j + 1] = 1.0
                        fills[j + 2] = 2.0
                        fills[j + 3] = tp
                        fills[j + 4] = qs
                    nf += 1
                    ncl += 1
                    qs = 0.0
                    ks = 0
                    flat_pending = True
                else:
                    while ks < max_dca and b > 0.0:
                        cost = qs / as_ if coin else qs * as_
                        we = cost / b
                        lvl = as_ * (1.0 + spacing * mult ** float(ks) * (1.0 + wew * we / wel))
                        if hi < lvl:
                            break
                        if coin:
                            qty = min(qs * ddown, (wel * b - cost) * lvl)
                        else:
                            qty = min(qs * ddown, (wel * b - as_ * qs) / lvl)
                        if not qty > 0.0:
                            break
                        if coin:
                            as_ = (qs + qty) / (qs / as_ + qty / lvl)
                        else:
                            as_ = (as_ * qs + lvl * qty) / (qs + qty)
                        ias = 1.0 / as_
                        qs += qty
                        ks += 1
                        if coin:
                            b -= fee * qty / lvl
                        else:
                            b -= fee * qty * lvl
                        if nf < cap:
                            j = nf * 5
                            fills[j] = float(i)
                            fills[j + 1] = 1.0
                            fills[j + 2] = 1.0
                            fills[j + 3] = lvl
                            fills[j + 4] = qty
                        nf += 1
        ci = c[i]
        # 3. entries at the close, long first
        if flat_pending:
            flat_pending = False
            q = b * wel * iqp * ci if coin else b * wel * iqp / ci
            if long_on and not ql > 0.0 and not q > 0.0:
                flat_pending = True  # the size underflows: no order, try again at the next close
            elif long_on and not ql > 0.0:
                ql = q
                b -= fee * ql / ci if coin else fee * ql * ci
                al = ci
                ial = 1.0 / al
                kl = 0
                if nf < cap:
                    j = nf * 5
                    fills[j] = float(i)
                    fills[j + 1] = 0.0
                    fills[j + 2] = 0.0
                    fills[j + 3] = ci
                    fills[j + 4] = ql
                nf += 1
            q = b * wel * iqp * ci if coin else b * wel * iqp / ci
            if short_on and not qs > 0.0 and not q > 0.0:
                flat_pending = True
            elif short_on and not qs > 0.0:
                qs = q
                b -= fee * qs / ci if coin else fee * qs * ci
                as_ = ci
                ias = 1.0 / as_
                ks = 0
                if nf < cap:
                    j = nf * 5
                    fills[j] = float(i)
                    fills[j + 1] = 1.0
                    fills[j + 2] = 0.0
                    fills[j + 3] = ci
                    fills[j + 4] = qs
                nf += 1
        if nf != nf0 and b > 0.0:
            # the books or the balance changed: recompute the trigger thresholds
            up = INF
            dn = -INF
            if ql > 0.0:
                up = al * (1.0 + markup)
                if kl < max_dca:
                    cost = ql / al if coin else ql * al
                    we = cost / b
                    lvl = al * (1.0 - spacing * mult ** float(kl) * (1.0 + wew * we / wel))
                    if lvl > 0.0:  # a level at or below zero is not placed
                        if coin:
                            qty = min(ql * ddown, (wel * b - cost) * lvl)
                        else:
                            qty = min(ql * ddown, (wel * b - al * ql) / lvl)
                        if qty > 0.0:  # at the cap the level cannot fill until something changes
                            dn = lvl
            if qs > 0.0:
                tp = as_ * (1.0 - markup)
                if tp > dn:
                    dn = tp
                if ks < max_dca:
                    cost = qs / as_ if coin else qs * as_
                    we = cost / b
                    lvl = as_ * (1.0 + spacing * mult ** float(ks) * (1.0 + wew * we / wel))
                    if coin:
                        qty = min(qs * ddown, (wel * b - cost) * lvl)
                    else:
                        qty = min(qs * ddown, (wel * b - as_ * qs) / lvl)
                    if qty > 0.0 and lvl < up:
                        up = lvl
        # 4. equity at the close
        if coin:
            ic = 1.0 / ci
            e = b + ql * (ial - ic) + qs * (ic - ias)
        else:
            e = b + ql * (ci - al) + qs * (as_ - ci)
        if e > peak:
            peak = e
            low = e
        elif e < low:
            low = e
            dd = (peak - e) / peak
            if dd > max_dd:
                max_dd = dd
        if with_series:
            series[i] = e
            series[n + i] = ql
            series[2 * n + i] = qs
        if not (b > 0.0 and e > 0.0 and e < INF):
            # ruin (B or E at or below zero), or a value out of float64's range: stop here
            stop = i
            break
    if stop >= 0 and max_dd > 1.0:
        max_dd = 1.0  # a drawdown is at most everything
    return nf, ncl, b, e, max_dd, stop
