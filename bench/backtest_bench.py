"""Backtester benchmark (run by `make bench`): prints figures, asserts nothing.

One symbol, both sides, 1-minute candles. The one-year series (525,600 rows)
is built from the main set (bench/_series.py) into a temp dir. Whole-process
figures run the real CLI (`python -m sequence.cli backtest ... --json`) as a
subprocess, medians of several runs, peak RSS from os.wait4's rusage. The
numba cache and the candle cache are private temp dirs, so "cold" really is
cold (parse + compile) and nothing outside the temp dir is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from _series import MAIN_SET, YEAR_ROWS, build_rows, write_csv  # noqa: E402

SECOND = {
    "wallet_exposure_limit": 0.5,
    "initial_qty_pct": 0.05,
    "ddown_factor": 1.5,
    "spacing": 0.008,
    "spacing_mult": 1.25,
    "we_weight": 0.5,
    "max_dca": 8,
    "markup": 0.004,
}
RUNS = 5


LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0\n"
    "sys.stderr.write(r.stderr.decode())\n"
    "print(f'{r.returncode} {wall} {rss}')\n"
    "sys.stdout.write(r.stdout.decode())\n"
)


def cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run the CLI once through a small launcher process: (wall s, peak RSS MiB, stdout).

    The launcher is small, so the measured child (forked from it) starts small:
    forking the benchmark itself would count its own memory as the child's.
    """
    cmd = [sys.executable, "-m", "sequence.cli", "backtest", *args]
    r = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], env=env, capture_output=True, check=False
    )
    first, _, out = r.stdout.decode().partition("\n")
    code, wall, rss = first.split()
    if r.returncode != 0 or code != "0":
        raise SystemExit(f"CLI failed: {' '.join(cmd)}\n{r.stderr.decode()}")
    return float(wall), float(rss), out


def median_cli(
    args: list[str], env: dict[str, str], runs: int = RUNS
) -> tuple[float, float, dict]:
    """Median wall time, largest peak RSS, last result."""
    times, rsss = [], []
    out = ""
    for _ in range(runs):
        wall, rss, out = cli(args, env)
        times.append(wall)
        rsss.append(rss)
    return statistics.median(times), max(rsss), json.loads(out.splitlines()[-1])


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "OVER"


def main() -> int:
    import numpy as np

    from sequence.backtest.data import load_candles
    from sequence.core.candles import load_rows
    from sequence.strategy.kernel import pack, simulate
    from sequence.strategy.params import Params
    from sequence.strategy.replay import replay

    tmp = Path(tempfile.mkdtemp(prefix="seq-bench-"))
    t0 = time.perf_counter()
    year = write_csv(tmp / "year_1m.csv.gz", build_rows(YEAR_ROWS))
    print(f"built one-year series: {YEAR_ROWS:,} rows -> {year} ({time.perf_counter() - t0:.1f} s)")
    params = {"defaults": tmp / "defaults.json", "second": tmp / "second.json"}
    params["defaults"].write_text("{}")
    params["second"].write_text(json.dumps(SECOND))

    # -- in-process: the kernel alone ------------------------------------
    os.environ["SEQUENCE_CACHE"] = str(tmp / "candle-cache-inproc")
    os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-inproc")
    from sequence.strategy.kernel_nb import simulate_nb

    yc = load_candles(year, numpy=True)
    h, lo, c = (np.ascontiguousarray(x) for x in (yc.high, yc.low, yc.close))
    none = np.empty(0)
    print("\n== core simulation, one year, in-process (median of 7) ==")
    core_ns = {}
    for name, p in (("defaults", Params()), ("second", Params.from_mapping(SECOND))):
        pv = np.array(pack(p))
        simulate_nb(h, lo, c, pv, none, none)
        ts = []
        for _ in range(7):
            t = time.perf_counter()
            simulate_nb(h, lo, c, pv, none, none)
            ts.append(time.perf_counter() - t)
        core = statistics.median(ts)
        core_ns[name] = core / len(c) * 1e9
        hl, ll, cl = h.tolist(), lo.tolist(), c.tolist()
        t = time.perf_counter()
        py = simulate(hl, ll, cl, pack(p), [], [])
        py_s = time.perf_counter() - t
        nb = simulate_nb(h, lo, c, pv, none, none)
        assert py == nb, "plain Python and numba disagree"
        print(
            f"{name:9s} numba {core * 1e3:7.2f} ms = {core_ns[name]:5.2f} ns/candle "
            f"[target <= 10: {verdict(core_ns[name], 10.0)}; stretch <= 2: "
            f"{verdict(core_ns[name], 2.0)}]; "
            f"plain-Python loop {py_s * 1e3:7.1f} ms = {py_s / len(c) * 1e9:6.0f} ns/candle; "
            f"ratio python/numba {py_s / core:6.0f}x"
        )
    rows = load_rows(MAIN_SET)
    t = time.perf_counter()
    replay(Params(), rows)
    rp = time.perf_counter() - t
    m = np.array(rows)
    mh, ml, mc = m[:, 2].copy(), m[:, 3].copy(), m[:, 4].copy()
    pv = np.array(pack(Params()))
    t = time.perf_counter()
    for _ in range(20):
        simulate_nb(mh, ml, mc, pv, none, none)
    k30 = (time.perf_counter() - t) / 20
    print(
        f"main set ({len(rows):,} candles): decide() replay {rp * 1e3:.0f} ms "
        f"= {rp / len(rows) * 1e9:,.0f} ns/candle; numba {k30 * 1e6:.0f} µs; "
        f"ratio replay/numba {rp / k30:,.0f}x"
    )

    # -- whole process ------------------------------------------------------
    base_env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cold_env = {
        **base_env,
        "SEQUENCE_CACHE": str(tmp / "candle-cache-cli"),
        "NUMBA_CACHE_DIR": str(tmp / "numba-cli"),
    }
    print("\n== whole process: `python -m sequence.cli backtest ... --json` ==")
    year_args = ["--candles", str(year), "--params", str(params["defaults"]), "--json"]
    wall, rss, out = cli([*year_args, "--engine", "auto"], {**cold_env, "SEQUENCE_CACHE": str(tmp / "cc0")})
    print(
        f"one year, cold (parse), engine=auto ({json.loads(out)['engine']}): {wall:.2f} s "
        f"[target <= 2.5: {verdict(wall, 2.5)}], peak RSS {rss:.0f} MiB"
    )
    wall, rss, out = cli([*year_args, "--engine", "numba"], cold_env)
    print(
        f"one year, cold (parse + compile), engine=numba: {wall:.2f} s "
        f"[target <= 2.5: {verdict(wall, 2.5)}], peak RSS {rss:.0f} MiB, "
        f"core {json.loads(out)['core_seconds'] * 1e3:.1f} ms"
    )
    rss_max = 0.0
    for engine in ("numba", "auto"):
        med, rss, res = median_cli([*year_args, "--engine", engine], cold_env)
        rss_max = max(rss_max, rss)
        print(
            f"one year, warm, engine={engine:5s} ({res['engine']}): median {med:.3f} s "
            f"[target <= 1.0: {verdict(med, 1.0)}], peak RSS {rss:.0f} MiB "
            f"[<= 300: {verdict(rss, 300)}], core {res['core_seconds'] * 1e3:.1f} ms"
        )
    main_args = ["--candles", str(MAIN_SET), "--params", str(params["defaults"]), "--json"]
    cli(main_args, cold_env)  # fill the candle cache
    for engine in ("auto", "numba"):
        med, rss, res = median_cli([*main_args, "--engine", engine], cold_env)
        rss_max = max(rss_max, rss)
        print(
            f"main set 30k, warm, engine={engine:5s} ({res['engine']}): median {med:.3f} s "
            f"[target <= 0.5: {verdict(med, 0.5)}], peak RSS {rss:.0f} MiB, "
            f"core {res['core_seconds'] * 1e3:.1f} ms"
        )

    # -- sweep ----------------------------------------------------------------
    print("\n== sweep: 1,000 parameter sets over one year, all cores ==")
    grid = {
        "grid": {
            "spacing": [0.004, 0.006, 0.008, 0.01, 0.012, 0.015, 0.02, 0.025, 0.03, 0.04],
            "markup": [0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.012, 0.015, 0.02],
            "ddown_factor": [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0],
        }
    }
    gfile = tmp / "grid.json"
    gfile.write_text(json.dumps(grid))
    t = time.perf_counter()
    wall, rss, out = cli(
        ["--candles", str(year), "--sweep", str(gfile), "--out", str(tmp / "sweep.csv"),
         "--json", "--quiet"],
        cold_env,
    )  # fmt: skip
    info = json.loads(out.splitlines()[-1])
    print(
        f"{info['sets']} sets x {info['candles']:,} candles on {os.cpu_count()} cores: "
        f"whole process {wall:.2f} s [target <= 10: {verdict(wall, 10.0)}], "
        f"simulation {info['seconds']:.2f} s = "
        f"{info['seconds'] / info['sets'] / info['candles'] * 1e9 * (os.cpu_count() or 1):.2f} "
        f"core-ns/candle, peak RSS {rss:.0f} MiB"
    )
    print(f"\npeak RSS over the single runs: {rss_max:.0f} MiB")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
