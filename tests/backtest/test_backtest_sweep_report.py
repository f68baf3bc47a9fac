"""Sweeps: --sort by any metric, the metrics as CSV columns, the train/test split, the heatmap."""

import csv
import json
import math
import re

import pytest

from sequence.backtest.cli import main
from sequence.backtest.data import load_candles
from sequence.backtest.engine import run
from sequence.backtest.sweep import split_candles
from sequence.metrics.returns import returns
from sequence.strategy.params import Params
from tests.support.strategy_data import MAIN_SET

GRID = {"base": {"max_dca": 4}, "grid": {"spacing": [0.005, 0.01, 0.02], "markup": [0.003, 0.006]}}
SPLIT = "2023-03-12"


def _sweep(tmp_path, capsys, *extra):
    g = tmp_path / "g.json"
    g.write_text(json.dumps(GRID))
    out = tmp_path / "s.csv"
    code = main(["--candles", str(MAIN_SET), "--sweep", str(g), "--out", str(out), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 0, err
    return list(csv.DictReader(out.open()))


def _f(text):
    return float(text) if text else None


def _curve(params, candles):
    r = run(params, candles, record_series=True)
    n = r.candles
    step = int(candles.ts[1] - candles.ts[0])
    ts = [int(candles.ts[0])] + [int(t) + step for t in candles.ts]
    return r, ts, [params.starting_balance, *list(r.series[:n])]


def test_sort_by_calmar_and_metric_columns_match_a_single_run(tmp_path, capsys):
    rows = _sweep(tmp_path, capsys, "--sort", "calmar")
    assert len(rows) == 6
    calmars = [_f(r["calmar"]) for r in rows]
    defined = [c for c in calmars if c is not None]
    assert defined == sorted(defined, reverse=True) and calmars[: len(defined)] == defined
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    # the best set, run alone, measured by sequence.metrics on its curve: the same figures
    best = rows[0]
    p = Params().replace(max_dca=4, spacing=float(best["spacing"]), markup=float(best["markup"]))
    candles = load_candles(str(MAIN_SET), cache=False)
    r, ts, eq = _curve(p, candles)
    m = returns(ts, eq)
    assert _f(best["calmar"]) == pytest.approx(m.calmar, rel=1e-9)
    assert _f(best["sharpe"]) == pytest.approx(m.sharpe, rel=1e-9)
    assert _f(best["cagr"]) == pytest.approx(m.cagr, rel=1e-9)
    assert _f(best["max_dd_days"]) == pytest.approx(m.drawdown.duration_ms / 86_400_000)
    # DESIGN.md's per-candle max drawdown (the kernel's) is the metrics' drawdown of the curve
    assert m.drawdown.max == pytest.approx(float(best["max_drawdown"]), rel=1e-12)
    assert m.drawdown.max == pytest.approx(r.max_drawdown, rel=1e-12)


def test_split_scores_the_train_ranking_on_the_test_period(tmp_path, capsys):
    rows = _sweep(tmp_path, capsys, "--sort", "sharpe", "--split", SPLIT)
    assert {"test_return", "test_sharpe", "test_calmar"} <= set(rows[0])
    candles = load_candles(str(MAIN_SET), numpy=True, cache=False)
    train, test = split_candles(candles, 1678579200000)  # 2023-03-12 00:00 UTC
    assert int(train.ts[-1]) < 1678579200000 <= int(test.ts[0])
    for row in (rows[0], rows[-1]):
        p = Params().replace(max_dca=4, spacing=float(row["spacing"]), markup=float(row["markup"]))
        on_train, on_test = run(p, train), run(p, test)
        assert float(row["return"]) == pytest.approx(on_train.final_equity / 10_000 - 1, rel=1e-12)
        assert float(row["test_return"]) == pytest.approx(on_test.final_equity / 10_000 - 1, rel=1e-12)


def test_sweep_report_heatmap_and_best_sets(tmp_path, capsys):
    out = tmp_path / "sweep.html"
    rows = _sweep(tmp_path, capsys, "--sort", "calmar", "--split", SPLIT,
                  "--sweep-report", str(out), "--heatmap", "spacing,markup")
    page = out.read_text()
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for section in ("heatmap", "split", "top"):
        assert f'<section id="{section}">' in page
    # two maps (train, test), one cell per (spacing, markup): 3 x 2 each
    cells = re.findall(r'<g class="cell" data-x="([^"]+)" data-y="([^"]+)">.*?class="v">([^<]+)</text>', page)
    assert len(cells) == 12
    by_pair = {(float(r["spacing"]), float(r["markup"])): r for r in rows}
    train_cells = cells[:6]
    for x, y, label in train_cells:
        want = _f(by_pair[(float(x), float(y))]["calmar"])
        assert label == ("n/a" if want is None else f"{want:.4g}")
    test_cells = cells[6:]
    for x, y, label in test_cells:
        want = _f(by_pair[(float(x), float(y))]["test_calmar"])
        assert label == ("n/a" if want is None or not math.isfinite(want) else f"{want:.4g}")
    assert f"Best on the train period: set {rows[0]['set']} " in page
    assert "spacing" in page and "markup" in page


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--sort", "luck"], "--sort: unknown metric 'luck'"),
        (["--split", "March"], "--split: not a date"),
        (["--split", "2031-01-01"], "at least two candles on each side"),
        (["--sweep-report", "x.html"], "--sweep-report and --heatmap X,Y go together"),
        (["--sweep-report", "x.html", "--heatmap", "spacing"], "two different parameter names"),
        (["--sweep-report", "x.html", "--heatmap", "spacing,luck"], "unknown parameter 'luck'"),
    ],
)
def test_bad_sweep_flags_exit_2(tmp_path, capsys, extra, words):
    g = tmp_path / "g.json"
    g.write_text(json.dumps(GRID))
    code = main(["--candles", str(MAIN_SET), "--sweep", str(g), "--quiet", *extra])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert words in err and "Traceback" not in err


def test_sweep_flags_need_a_sweep(capsys):
    assert main(["--candles", str(MAIN_SET), "--split", SPLIT]) == 2
    assert "--split needs --sweep" in capsys.readouterr().err
