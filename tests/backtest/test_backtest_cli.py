"""The `sequence backtest` command: the --json contract, reports, sweeps, bad input."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sequence.backtest.cli import main
from tests.support.strategy_data import MAIN_SET, SECOND

SRC = Path(__file__).resolve().parents[2] / "src"
KEYS = {"candles", "fills", "closes", "final_balance", "final_equity", "max_drawdown", "core_seconds"}


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def params_file(tmp_path):
    def make(obj, name="p.json"):
        f = tmp_path / name
        f.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        return f

    return make


@pytest.mark.parametrize("engine", ["python", "numba"])
def test_json_contract_known_answer(capsys, params_file, engine):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--params", params_file(SECOND), "--json", "--engine", engine)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert set(d) >= KEYS
    assert isinstance(d["candles"], int) and isinstance(d["fills"], int) and isinstance(d["closes"], int)
    for k in ("final_balance", "final_equity", "max_drawdown", "core_seconds"):
        assert isinstance(d[k], float)
    assert (d["candles"], d["fills"], d["closes"]) == (30240, 693, 272)
    assert round(d["final_balance"], 6) == 10615.367087
    assert round(d["final_equity"], 6) == 8955.889872
    assert round(d["max_drawdown"], 6) == 0.122826
    assert d["engine"] == engine


def test_subprocess_dispatcher_and_table(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "SEQUENCE_CACHE": str(tmp_path / "c")}
    r = subprocess.run(
        [sys.executable, "-m", "sequence.cli", "backtest", "--candles", str(MAIN_SET)],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "final equity (quote)" in r.stdout
    assert "8,173.887739" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"spacing": "wide"}')
    r = subprocess.run(
        [sys.executable, "-m", "sequence.cli", "backtest", "--candles", str(MAIN_SET), "--params", str(bad), "--json"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stdout == ""
    assert "spacing: must be a number" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_module_imports_light():
    code = "import sys, sequence.backtest.cli; print(sorted(m for m in ('numba', 'numpy', 'django') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, check=True)
    assert r.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{", "invalid JSON"),
        ('{"spacing": 0.01, "bogus": 2}', "bogus: unknown parameter"),
        ('{"max_dca": 1.5}', "max_dca: must be an integer"),
        ('{"sides": true}', "sides: must be a string"),
        ('{"spacing_mult": 0.5}', "spacing_mult: must be at least 1"),
        ('{"markup": 0.0001}', "markup: markup*(1-maker_fee) must exceed 2*maker_fee"),
        ('{"market": "spot"}', "sides: spot runs one side"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_bad_params_exit_2(capsys, params_file, content, words):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--params", params_file(content), "--json")
    assert code == 2
    assert out == ""
    assert words in err
    assert "Traceback" not in err


def test_missing_params_file(capsys, tmp_path):
    code, _, err = _run(capsys, "--candles", MAIN_SET, "--params", tmp_path / "none.json")
    assert code == 2
    assert "cannot read" in err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("timestamp,open,high,low\n0,1,2,0.5\n", "line 1: missing column(s) close, volume"),
        ("timestamp,open,high,low,close,volume\n0,1,2,x,1,1\n", "line 2: column 'low': not a number"),
        ("timestamp,open,high,low,close,volume\n0,1,2,3,1,1\n", "line 2: high 2.0 is below low 3.0"),
        ("timestamp,open,high,low,close,volume\n0,1,2,0.5,-1,1\n", "line 2: prices must be positive"),
        ("timestamp,open,high,low,close,volume\n60000,1,2,0.5,1,1\n0,1,2,0.5,1,1\n", "line 3: unsorted timestamp"),
        ("timestamp,open,high,low,close,volume\n0,1,2,0.5,1,1\n0,1,2,0.5,1,1\n", "line 3: duplicate timestamp"),
    ],
)
def test_bad_candles_exit_2(capsys, tmp_path, text, words):
    f = tmp_path / "c.csv"
    f.write_text(text)
    code, out, err = _run(capsys, "--candles", f, "--json")
    assert code == 2
    assert out == ""
    assert "bad candle file" in err and words in err


def test_usage_errors_exit_2(capsys):
    code, _, err = _run(capsys)
    assert code == 2
    assert "--candles" in err
    code, _, _ = _run(capsys, "--candles", MAIN_SET, "--engine", "gpu")
    assert code == 2


@pytest.mark.parametrize("inverse", [False, True], ids=["linear", "inverse"])
def test_report_and_png(capsys, tmp_path, params_file, inverse):
    obj = {"contract": "inverse", "starting_balance": 1.0} if inverse else {}
    html_out, png_out = tmp_path / "r.html", tmp_path / "r.png"
    code, _out, err = _run(capsys, "--candles", MAIN_SET, "--params", params_file(obj), "--report", html_out, "--png", png_out)
    assert code == 0, err
    page = html_out.read_text()
    assert page.startswith("<!doctype html>")
    assert "http://" not in page and "https://" not in page  # nothing fetched: opens offline
    for words in ("Return", "Max drawdown", "Cycles", "Fills", "Average exposure", "Maximum exposure", "Fees", "Time in market", "<svg"):
        assert words in page
    assert ("Equity in USD" in page) == inverse
    data = png_out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in data[-12:]


def test_sweep_csv_best_first(capsys, tmp_path, params_file):
    grid = params_file({"base": {"max_dca": 4}, "grid": {"spacing": [0.005, 0.01, 0.02], "markup": [0.003, 0.006]}}, "g.json")
    out_csv = tmp_path / "s.csv"
    code, _out, err = _run(capsys, "--candles", MAIN_SET, "--sweep", grid, "--out", out_csv, "--quiet")
    assert code == 0, err
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 6
    returns = [float(r["return"]) for r in rows]
    assert returns == sorted(returns, reverse=True)
    assert {r["max_dca"] for r in rows} == {"4"}
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5", "6"]


def test_sweep_matches_single_runs_and_shows_progress(capsys, params_file):
    grid = params_file([{}, SECOND], "g.json")
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--sweep", grid)
    assert code == 0
    assert "sweep [" in err
    rows = list(csv.DictReader(out.splitlines()))
    by_set = {r["set"]: r for r in rows}
    assert int(by_set["0"]["fills"]) == 483
    assert round(float(by_set["1"]["final_equity"]), 6) == 8955.889872


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ({"grid": {"spacing": []}}, "grid.spacing: must be a non-empty list"),
        ({"grid": {"spacingg": [1]}}, "grid.spacingg: unknown parameter"),
        ({"grid": {"spacing": [0.01, -1]}}, 'set {"spacing": -1}: spacing: must be positive'),
        ({"base": {"max_dca": "x"}}, "base: max_dca: must be an integer"),
        ({"other": 1}, "unknown key(s) other"),
        ([{"bogus": 1}], "set 0: bogus: unknown parameter"),
    ],
)
def test_bad_grid_exit_2(capsys, params_file, obj, words):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--sweep", params_file(obj, "g.json"))
    assert code == 2
    assert out == ""
    assert words in err


def _strict(text):
    def refuse(name):
        raise AssertionError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("engine", ["python", "numba", "replay"])
def test_ruin_stops_the_run_and_is_reported(capsys, tmp_path, params_file, engine):
    f = tmp_path / "crash.csv"
    f.write_text(
        "timestamp,open,high,low,close,volume\n0,100,100,100,100,1\n60000,100,100,99.5,99.5,1\n"
        "120000,99.5,99.5,97,97,1\n180000,97,120,97,120,1\n"
    )
    p = params_file({"wallet_exposure_limit": 50, "initial_qty_pct": 1, "sides": "long", "max_dca": 1, "markup": 0.01})
    code, out, err = _run(capsys, "--candles", f, "--params", p, "--json", "--engine", engine)
    assert code == 0, err
    d = _strict(out)
    assert d["ruined"] is True and d["ruin_timestamp"] == 120000
    assert d["candles"] == 4 and d["fills"] == 1 and d["closes"] == 0  # the rally after the stop never closes
    assert d["final_equity"] == pytest.approx(10000 - 0.0002 * 500000 - 5000 * 3.0)
    assert d["max_drawdown"] == 1.0
    code, out, _ = _run(capsys, "--candles", f, "--params", p, "--engine", engine)
    assert "yes, after the candle at 120000" in out


def test_a_normal_run_reports_not_ruined(capsys, tmp_path):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--json")
    assert code == 0, err
    d = _strict(out)
    assert d["ruined"] is False and d["ruin_timestamp"] is None


def test_prices_outside_the_float_safe_range_are_refused(capsys, tmp_path, params_file):
    # a coin-margined book at a price of 1e-310 would need 1/price, which is infinite
    f = tmp_path / "tiny.csv"
    f.write_text("timestamp,open,high,low,close,volume\n0,100,100,100,100,1\n60000,100,100,1e-310,1e-310,1\n")
    p = params_file({"contract": "inverse", "sides": "long", "max_dca": 1})
    code, out, err = _run(capsys, "--candles", f, "--params", p, "--json")
    assert code == 2 and out == ""
    assert "line 3: low 1e-310 out of range: prices lie in [1e-100, 1e+100]" in err


@pytest.mark.parametrize("engine", ["python", "numba", "replay"])
def test_values_out_of_float_range_are_an_error_not_infinity(engine):
    """Candles built in code (not from a file) can still overflow: an error, never inf/NaN."""
    import array

    from sequence.backtest.data import Candles
    from sequence.backtest.engine import SimulationRangeError, run
    from sequence.strategy.params import Params

    cols = [array.array("d", v) for v in ([0, 60000], [100, 100], [100, 100], [100, 1e-310], [100, 1e-310], [1, 1])]
    with pytest.raises(SimulationRangeError, match="left the range of float64 numbers after the candle at 60000"):
        run(Params(contract="inverse", sides="long", max_dca=1), Candles(*cols), engine=engine)


def test_inverse_defaults_to_one_coin(capsys, params_file):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--params", params_file({"contract": "inverse"}), "--json")
    assert code == 0, err
    d = _strict(out)
    assert 0.5 < d["final_equity"] < 1.5  # about 1 BTC, not 10,000


def test_rounding_flags_run_the_replay_engine(capsys, tmp_path):
    from decimal import Decimal

    from sequence.core.precision import Precision
    from sequence.strategy.params import Params
    from sequence.strategy.replay import replay

    rows = [(0, 19999.7, 19999.7, 19999.7, 19999.7, 1.0), (60000, 19999.7, 20099.5, 19799.5, 20000.0, 1.0)]
    f = tmp_path / "r.csv"
    f.write_text("timestamp,open,high,low,close,volume\n" + "".join(",".join(map(repr, r)) + "\n" for r in rows))
    code, out, err = _run(capsys, "--candles", f, "--json", "--tick", "0.5", "--lot", "0.001", "--min-notional", "5")
    assert code == 0, err
    d = _strict(out)
    assert d["engine"] == "replay"
    want = replay(Params(), rows, precision=Precision(tick=Decimal("0.5"), lot=Decimal("0.001"), min_notional=Decimal(5)))
    assert (d["fills"], d["closes"], d["final_balance"], d["final_equity"]) == (
        want.fills, want.closes, want.final_balance, want.final_equity)  # fmt: skip
    unrounded = _strict(_run(capsys, "--candles", f, "--json")[1])
    assert unrounded["final_balance"] != d["final_balance"]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--tick", "abc"], "--tick: not a decimal number"),
        (["--lot", "-1"], "--lot: must be a number from 0 to 1e15"),
        (["--tick", "NaN"], "--tick: must be a number"),
        (["--tick", "0.5", "--engine", "numba"], "--engine numba does not round"),
    ],
)
def test_bad_rounding_flags_exit_2(capsys, flags, words):
    code, out, err = _run(capsys, "--candles", MAIN_SET, "--json", *flags)
    assert code == 2 and out == ""
    assert words in err


@pytest.mark.parametrize(
    ("flag", "content", "words"),
    [
        ("--params", '{"spacing": 0.01, "spacing": 0.02}', "duplicate key 'spacing'"),
        ("--params", '{"spacing": 1.0}', "spacing: must be below 1"),
        ("--params", '{"max_dca": 100000000000000000000}', "max_dca: must be at most 100"),
        ("--params", "[" * 100000 + "]" * 100000, "nested too deeply"),
        ("--sweep", '{"grid": {"spacing": [0.01]}, "grid": {}}', "duplicate key 'grid'"),
        ("--sweep", '{"grid": {"spacing": [NaN]}}', "NaN is not a number"),
    ],
)
def test_duplicate_keys_and_edge_values_exit_2(capsys, params_file, flag, content, words):
    code, out, err = _run(capsys, "--candles", MAIN_SET, flag, params_file(content), "--json")
    assert code == 2 and out == ""
    assert words in err


@pytest.mark.parametrize("extra", [["--json"], [], ["--sweep", "GRID"]], ids=["json", "table", "sweep"])
def test_output_into_a_closed_pipe_ends_quietly(tmp_path, extra):
    grid = tmp_path / "g.json"
    grid.write_text(json.dumps([{}, {"spacing": 0.02}]))
    extra = [str(grid) if a == "GRID" else a for a in extra]
    env = {**os.environ, "PYTHONPATH": str(SRC), "SEQUENCE_CACHE": str(tmp_path / "c")}
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the command writes a byte: like `| head -c0`
    try:
        p = subprocess.run(
            [sys.executable, "-m", "sequence.cli", "backtest", "--candles", str(MAIN_SET), "--quiet", *extra],
            stdout=w, stderr=subprocess.PIPE, text=True, env=env, check=False, timeout=120,
        )  # fmt: skip
    finally:
        os.close(w)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def test_a_ruined_run_reports_up_to_its_last_candle(capsys, tmp_path, params_file):
    f = tmp_path / "crash.csv"
    f.write_text(
        "timestamp,open,high,low,close,volume\n0,100,100,100,100,1\n60000,100,100,99.5,99.5,1\n"
        "120000,99.5,99.5,97,97,1\n180000,97,120,97,120,1\n"
    )
    p = params_file({"wallet_exposure_limit": 50, "initial_qty_pct": 1, "sides": "long", "max_dca": 1, "markup": 0.01})
    html_out, png_out = tmp_path / "r.html", tmp_path / "r.png"
    code, _, err = _run(capsys, "--candles", f, "--params", p, "--report", html_out, "--png", png_out)
    assert code == 0, err
    page = html_out.read_text()
    assert "<th>Ruined</th><td>yes, stopped after 1970-01-01 00:02 UTC</td>" in page
    assert "nan" not in page.lower().replace("nanos", "")
    assert png_out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
