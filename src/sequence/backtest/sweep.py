"""Parameter sweeps: many parameter sets over one candle series, on all cores.

A grid file is a JSON object ``{"base": {...}, "grid": {"name": [values...], ...}}``
(the cartesian product of the lists over ``base``, which itself goes over
``--params`` and the defaults), or a JSON array of parameter objects. Each set
is validated like a parameter file. The compiled kernel releases the GIL
(``nogil=True``), so plain threads run one set per core. Results are sorted
best first: highest return (final equity over starting balance), then
smallest max drawdown, then input order.

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

__all__ = ["GridError", "SweepResults", "load_grid", "run_sweep", "write_csv"]

MAX_SETS = 1_000_000
RESULT_FIELDS = (
    "fills", "closes", "final_balance", "final_equity", "return", "max_drawdown", "ruined",
)  # fmt: skip


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


def run_sweep(
    sets: list[Params], candles: Candles, *, workers: int | None = None, progress: bool = True
) -> SweepResults:
    import numpy as np

    from sequence.strategy.kernel_nb import sweep_nb

    c = candles.as_numpy()
    h, lo, cl = (np.ascontiguousarray(x, dtype=np.float64) for x in (c.high, c.low, c.close))
    m = len(sets)
    table = np.empty((m, N_PARAMS), dtype=np.float64)
    for j, p in enumerate(sets):
        table[j] = pack(p)
    out = np.zeros((m, 6), dtype=np.float64)
    workers = max(1, workers or os.cpu_count() or 1)
    chunk = max(1, min(16, m // (workers * 4) or 1))
    bar = _Progress(m, progress)
    sweep_nb(h[:2], lo[:2], cl[:2], table[:1], out[:1].copy())  # compile or load before timing
    t0 = time.perf_counter()

    def work(start: int) -> None:
        stop = min(m, start + chunk)
        sweep_nb(h, lo, cl, table[start:stop], out[start:stop])
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
        rows.append(row)
    rows.sort(key=lambda r: (-r["return"] if r["return"] == r["return"] else math.inf, r["max_drawdown"], r["set"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return SweepResults(rows, seconds)


def write_csv(results: SweepResults, path: str | None) -> None:
    cols = ["rank", "set", *FIELD_NAMES, *RESULT_FIELDS]
    fh = open(path, "w", newline="", encoding="utf-8") if path else sys.stdout  # noqa: SIM115
    try:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in results.rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    finally:
        if path:
            fh.close()
        else:
            fh.flush()
