"""Parameter sweeps: many parameter sets over one candle series, on all cores.

A grid file is a JSON object ``{"base": {...}, "grid": {"name": [values...], ...}}``
(the cartesian product of the lists over ``base``, which itself goes over
``--params`` and the defaults), or a JSON array of parameter objects. Each set
is validated like a parameter file. The compiled kernel releases the GIL
(``nogil=True``), so plain threads run one set per core. Each set's equity curve
is measured by :mod:`sequence.metrics` (:data:`METRIC_FIELDS`: CAGR, drawdown
duration and recovery, Sharpe, Sortino, Calmar, exposure). Results are sorted
best first by ``sort`` (default ``return``; any of :data:`SORT_KEYS`, highest
first except the drawdown measures, smallest first; a measure a set cannot
define sorts last), then smallest max drawdown, then input order.

CSV only: parquet would need pyarrow (a large dependency) for a table that
is small.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sequence.backtest.data import Candles
from sequence.strategy.kernel import N_PARAMS, pack
from sequence.strategy.params import FIELD_NAMES, Params, ParamsError, parse_json

__all__ = ["SORT_KEYS", "GridError", "SweepResults", "load_grid", "run_sweep", "sort_rows", "write_csv"]

MAX_SETS = 1_000_000
RESULT_FIELDS = (
    "fills", "closes", "final_balance", "final_equity", "return", "max_drawdown", "ruined",
)  # fmt: skip
METRIC_FIELDS = (
    "cagr", "max_dd_days", "recovery_days", "sharpe", "sortino", "calmar", "mean_exposure",
    "max_exposure", "time_in_market",
)  # fmt: skip
SORT_KEYS = ("return", "max_drawdown", "final_equity", "closes", "fills", *METRIC_FIELDS)
SMALLER_IS_BETTER = frozenset({"max_drawdown", "max_dd_days", "recovery_days", "max_exposure"})


class GridError(ValueError):
    pass


def expand_grid(data: Any, base: Params) -> list[Params]:
    if isinstance(data, list):
        if not data:
            raise GridError("the list of parameter sets is empty")
        sets = []
        for i, item in enumerate(data):
            if not isinstance(item, dict):
                raise GridError(f"set {i}: must be a JSON object")
            try:
                sets.append(base.replace(**item))
            except ParamsError as e:
                raise GridError(f"set {i}: {e}") from None
        return sets
    if not isinstance(data, dict):
        raise GridError("must be a JSON object {'base': {...}, 'grid': {...}} or an array")
    unknown = set(data) - {"base", "grid"}
    if unknown:
        raise GridError(f"unknown key(s) {', '.join(sorted(unknown))}: use 'base' and 'grid'")
    over = data.get("base", {})
    if not isinstance(over, dict):
        raise GridError("base: must be a JSON object of parameters")
    try:
        base = base.replace(**over)
    except ParamsError as e:
        raise GridError(f"base: {e}") from None
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise GridError("grid: must be a JSON object of parameter -> list of values")
    names = list(grid)
    for name in names:
        if name not in FIELD_NAMES:
            raise GridError(f"grid.{name}: unknown parameter")
        values = grid[name]
        if not isinstance(values, list) or not values:
            raise GridError(f"grid.{name}: must be a non-empty list of values")
    total = 1
    for name in names:
        total *= len(grid[name])
    if total > MAX_SETS:
        raise GridError(f"{total:,} parameter sets: more than {MAX_SETS:,}")
    sets = []
    for combo in itertools.product(*(grid[n] for n in names)):
        changes = dict(zip(names, combo, strict=True))
        try:
            sets.append(base.replace(**changes))
        except ParamsError as e:
            raise GridError(f"set {json.dumps(changes)}: {e}") from None
    return sets


def load_grid(path: str, base: Params | None = None) -> list[Params]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = parse_json(fh.read())
    except OSError as e:
        raise GridError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise GridError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise GridError(f"{path}: invalid JSON: {e}") from None
    except RecursionError:
        raise GridError(f"{path}: invalid JSON: nested too deeply") from None
    except ValueError as e:
        raise GridError(f"{path}: {e}") from None
    try:
        return expand_grid(data, base or Params())
    except GridError as e:
        raise GridError(f"{path}: {e}") from None


@dataclass
class SweepResults:
    rows: list[dict[str, Any]]
    seconds: float

    def __len__(self) -> int:
        return len(self.rows)


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()
        self.last = 0.0

    def add(self, k: int) -> None:
        with self.lock:
            self.done += k
            now = time.perf_counter()
            if self.enabled and (now - self.last > 0.1 or self.done == self.total):
                self.last = now
                frac = self.done / self.total
                bar = "#" * int(frac * 30)
                el = now - self.t0
                eta = el / frac - el if frac else 0.0
                sys.stderr.write(
                    f"\rsweep [{bar:<30}] {self.done}/{self.total} {el:5.1f}s eta {eta:5.1f}s"
                )
                if self.done == self.total:
                    sys.stderr.write("\n")
                sys.stderr.flush()


def _measure(p: Params, ts: Any, close: Any, series: Any, n: int, stop: int) -> dict[str, Any]:
    """The :mod:`sequence.metrics` measures of one set's curve (its candles up to ``stop``):
    the starting balance, then the equity after each candle, with both sides' sizes."""
    from sequence.metrics.fast import curve_measures

    k = n if stop < 0 else stop + 1
    r, x = curve_measures(ts[: k + 1], p.starting_balance, series[:k], series[n : n + k],
                          series[2 * n : 2 * n + k], close[:k], p.coin_margined)  # fmt: skip
    row = r.as_dict()
    return {
        **{f: row[f] for f in ("cagr", "max_dd_days", "recovery_days", "sharpe", "sortino", "calmar")},
        "mean_exposure": x.mean, "max_exposure": x.max, "time_in_market": x.time_in_market,
    }  # fmt: skip


def sort_rows(rows: list[dict[str, Any]], key: str) -> None:
    """Best first by ``key`` (see the module), then smallest max drawdown, then input order."""
    sign = 1.0 if key in SMALLER_IS_BETTER else -1.0

    def order(r: dict[str, Any]) -> tuple[float, float, int]:
        v = r.get(key)
        primary = sign * float(v) if isinstance(v, int | float) and math.isfinite(v) else math.inf
        return (primary, r["max_drawdown"], r["set"])

    rows.sort(key=order)
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank


def run_sweep(
    sets: list[Params], candles: Candles, *, workers: int | None = None, progress: bool = True,
    sort: str = "return",
) -> SweepResults:  # fmt: skip
    import numpy as np

    from sequence.strategy.kernel_nb import simulate_nb

    c = candles.as_numpy()
    h, lo, cl = (np.ascontiguousarray(x, dtype=np.float64) for x in (c.high, c.low, c.close))
    m = len(sets)
    table = np.empty((m, N_PARAMS), dtype=np.float64)
    for j, p in enumerate(sets):
        table[j] = pack(p)
    out = np.zeros((m, 6), dtype=np.float64)
    measures: list[dict[str, Any]] = [{} for _ in range(m)]
    n = len(cl)
    step = int(c.ts[1] - c.ts[0]) if n > 1 else 60_000
    ts = np.concatenate(([int(c.ts[0]) if n else 0], np.asarray(c.ts, dtype=np.int64) + step))
    workers = max(1, workers or os.cpu_count() or 1)
    chunk = max(1, min(16, m // (workers * 4) or 1))
    bar = _Progress(m, progress)
    none = np.empty(0, dtype=np.float64)
    simulate_nb(h[:2], lo[:2], cl[:2], table[0], none, none)  # compile or load before timing
    local = threading.local()
    t0 = time.perf_counter()

    def work(start: int) -> None:
        stop = min(m, start + chunk)
        if getattr(local, "series", None) is None:  # one curve buffer per thread
            local.series = np.empty(3 * n, dtype=np.float64)
        for j in range(start, stop):
            res = simulate_nb(h, lo, cl, table[j], none, local.series)
            out[j] = res
            measures[j] = _measure(sets[j], ts, cl, local.series, n, int(res[5]))
        bar.add(stop - start)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(0, m, chunk)))
    seconds = time.perf_counter() - t0
    rows = []
    for j, p in enumerate(sets):
        row: dict[str, Any] = {"set": j, **p.to_dict()}
        row["fills"] = int(out[j, 0])
        row["closes"] = int(out[j, 1])
        row["final_balance"] = float(out[j, 2])
        row["final_equity"] = float(out[j, 3])
        row["return"] = float(out[j, 3]) / p.starting_balance - 1.0
        row["max_drawdown"] = float(out[j, 4])
        # stopped early: ruin (or, with non-finite values, float64 overflow)
        row["ruined"] = bool(out[j, 5] >= 0)
        row.update(measures[j])
        rows.append(row)
    sort_rows(rows, sort)
    return SweepResults(rows, seconds)


def parse_date_ms(text: str) -> int:
    """``YYYY-MM-DD`` or an ISO date-time, read in UTC unless it names its offset."""
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--split: not a date (YYYY-MM-DD or ISO date-time): {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def split_candles(candles: Candles, at_ms: int) -> tuple[Candles, Candles]:
    """The candles before ``at_ms`` (train) and from it on (test); each must hold two candles."""
    import numpy as np

    c = candles.as_numpy()
    i = int(np.searchsorted(np.asarray(c.ts), at_ms, side="left"))
    if i < 2 or len(c) - i < 2:
        raise ValueError(
            f"--split: the date must leave at least two candles on each side (the file has "
            f"{len(c):,} candles, {i:,} before the date)"
        )

    def part(a: int, b: int) -> Candles:
        return Candles(c.ts[a:b], c.open[a:b], c.high[a:b], c.low[a:b], c.close[a:b],
                       c.volume[a:b], c.source, c.from_cache)  # fmt: skip

    return part(0, i), part(i, len(c))


def add_test_scores(train: SweepResults, test: SweepResults) -> None:
    """Each train row gets the same set's test figures as ``test_<name>`` columns."""
    by_set = {r["set"]: r for r in test.rows}
    for row in train.rows:
        other = by_set[row["set"]]
        for k in ("return", "max_drawdown", *METRIC_FIELDS):
            row[f"test_{k}"] = other[k]


def write_csv(results: SweepResults, path: str | None) -> None:
    cols = ["rank", "set", *FIELD_NAMES, *RESULT_FIELDS, *METRIC_FIELDS]
    if results.rows and "test_return" in results.rows[0]:
        cols += [f"test_{k}" for k in ("return", "max_drawdown", *METRIC_FIELDS)]
    fh = open(path, "w", newline="", encoding="utf-8") if path else sys.stdout  # noqa: SIM115
    try:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in results.rows:
            w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v)
                        for k, v in row.items()})  # fmt: skip
    finally:
        if path:
            fh.close()
        else:
            fh.flush()
