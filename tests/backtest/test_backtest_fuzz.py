"""Issue 14 item 18: the backtest CLI fuzzed over candle files and parameter files.

Every input ends in exit 0 with exactly one line of strict JSON, or exit 2 with a
one-line message on stderr; never a traceback. 200 examples run in-process
through ``main()`` (all engines, rounding flags included), 10 as real
subprocesses through the ``sequence`` dispatcher with the numba engine and its
on-disk cache.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sequence.backtest.cli import main
from sequence.strategy.params import BOUNDS, CONTRACTS, FIELD_NAMES, KINDS, MARKETS, SIDES

SRC = Path(__file__).resolve().parents[2] / "src"
HEADER = "timestamp,open,high,low,close,volume"
KEYS = {"candles", "fills", "closes", "final_balance", "final_equity", "max_drawdown", "core_seconds",
        "ruined", "ruin_timestamp", "engine"}  # fmt: skip

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 1e-320, 1e-9, 0.5, 1.0, 1e9, 1e300, 1.7976931348623157e308, 2**63]),
    st.integers(-(2**70), 2**70),
)
field_text = st.one_of(
    numbers.map(repr),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e999", '"1"', "1_0", "0x10", "\x00", "١"]),
)


@st.composite
def candle_rows(draw, clean: bool = False) -> list[str]:
    """Plausible rows (a random walk, sometimes wild) with occasional damage."""
    n = draw(st.sampled_from([0, 1, 2, 5, 10, 20, 40]))
    rate = 0 if clean else draw(st.sampled_from([0, 0, 0, 8, 200]))  # most files are clean
    price = draw(st.sampled_from([1e-8, 0.01, 1.0, 100.0, 20000.0, 1e12]))
    rows = []
    t = draw(st.integers(-(10**6), 10**13))
    for _ in range(n):
        o = price
        price = price * draw(st.sampled_from([0.5, 0.97, 0.995, 1.0, 1.004, 1.03, 2.0]))
        hi = max(o, price) * draw(st.sampled_from([1.0, 1.002, 1.05]))
        lo = min(o, price) * draw(st.sampled_from([1.0, 0.998, 0.9]))
        fields = [str(t), repr(o), repr(hi), repr(lo), repr(price), repr(draw(st.floats(0, 1e6)))]
        t += draw(st.sampled_from([60000, 60000, 120000, 1]))
        damage = draw(st.integers(0, rate)) if rate else -1
        if damage == 0:
            fields[draw(st.integers(0, 5))] = draw(field_text)
        elif damage == 1:
            fields.append(draw(field_text))
        elif damage == 2:
            fields.pop()
        elif damage == 3:
            t -= 120000  # unsorted or duplicate next
        rows.append(",".join(fields))
        if rate and draw(st.integers(0, rate)) == 0:
            rows.append(draw(st.sampled_from(["", " ", "\r", "#", ",,,,,"])))
    return rows


@st.composite
def candle_file(draw, clean: bool = False) -> bytes:
    if clean:
        return ("\n".join([HEADER, *draw(candle_rows(clean=True))]) + "\n").encode()
    if draw(st.sampled_from(["text"] * 15 + ["binary"])) == "binary":
        return draw(st.binary(max_size=300))
    header = draw(st.sampled_from([HEADER] * 8 + [HEADER.upper(), "open,high,low,close,volume,timestamp",
                                   HEADER + ",trades", "timestamp,open,high,low,close", HEADER + ",close", ""]))  # fmt: skip
    lines = [header, *draw(candle_rows())]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from([end, ""]))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.booleans()):
        raw = gzip.compress(raw)
        cut = draw(st.sampled_from([0] * 9 + [1, 2, 3]))
        if cut == 1:
            raw = raw[: draw(st.integers(0, len(raw)))]
        elif cut == 2:
            k = draw(st.integers(0, len(raw) - 1))
            raw = raw[:k] + bytes([raw[k] ^ draw(st.integers(1, 255))]) + raw[k + 1 :]
        elif cut == 3:
            raw += draw(st.binary(max_size=20))
    return raw


param_values = st.one_of(
    numbers,
    st.sampled_from(["both", "long", "short", "spot", "derivatives", "linear", "inverse", "", "x"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 3), max_size=2),
)


@st.composite
def params_file(draw, clean: bool = False) -> bytes | None:
    # weighted: mostly well-formed objects of known keys, the rest malformed in every way
    kind = 4 if clean else draw(st.sampled_from([4] * 16 + [16] * 4 + [0, 1, 2, 3]))
    if kind == 0:
        return None  # no --params: the defaults
    if kind == 1:
        return draw(st.binary(max_size=200))
    if kind == 2:  # a key written twice, textually
        key = draw(st.sampled_from(FIELD_NAMES))
        return f'{{"{key}": 1, "{key}": 2}}'.encode()
    if kind == 3:
        return draw(st.sampled_from([b"[]", b"null", b"1", b'"x"', b"{", b'{"spacing": NaN}', b"{}" * 2]))
    keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
    if kind < 16:  # values of the right kind for known keys, edges of the bounds included
        names = draw(st.lists(st.sampled_from(FIELD_NAMES), unique=True, max_size=5))
        obj = {name: draw(good_value(name)) for name in names}
    else:
        obj = draw(st.dictionaries(keys, param_values, max_size=6))
    return json.dumps(obj).encode()


def good_value(name):
    choices = {"sides": SIDES, "market": MARKETS, "contract": CONTRACTS}
    if name in choices:
        return st.sampled_from(choices[name])
    lo, lo_in, hi, hi_in, _ = BOUNDS[name]
    if KINDS[name] == "int":
        return st.integers(int(lo), int(hi) + 1)  # one past the bound now and then
    if not lo_in:
        lo = math.nextafter(lo, math.inf)
    if not hi_in:
        hi = math.nextafter(hi, -math.inf)
    return st.one_of(st.floats(lo, hi), st.sampled_from([lo, hi]), st.floats(lo, max(lo, min(hi, 0.05))))


rounding_flags = st.one_of(
    st.just([]),
    st.just([]),
    st.just([]),
    st.just(["--tick", "0.01", "--lot", "0.0001"]),
    st.lists(
        st.tuples(st.sampled_from(["--tick", "--lot", "--min-qty", "--min-notional"]),
                  st.one_of(st.sampled_from(["0.5", "0.001", "0", "10", "1e-20", "-1", "abc", "inf", "1e99"]),
                            numbers.map(repr))),
        min_size=1, max_size=3,
    ).map(lambda pairs: [x for pair in pairs for x in pair]),
)  # fmt: skip


def _args(d: Path, candles: bytes, params: bytes | None, engine: str, extra: list[str]) -> list[str]:
    f = d / "candles.csv"
    f.write_bytes(candles)
    argv = ["--candles", str(f), "--json", "--engine", engine, *extra]
    if params is not None:
        (d / "p.json").write_bytes(params)
        argv += ["--params", str(d / "p.json")]
    return argv


def _check(code: int, out: str, err: str) -> None:
    event(f"exit {code}")
    assert "Traceback" not in err and "Traceback" not in out
    if code == 0:
        lines = out.splitlines()
        assert len(lines) == 1, out

        def refuse(name: str) -> None:
            raise AssertionError(f"not strict JSON: {name}")

        d = json.loads(lines[0], parse_constant=refuse)
        assert set(d) >= KEYS
        for k in ("candles", "fills", "closes"):
            assert isinstance(d[k], int) and d[k] >= 0
        for k in ("final_balance", "final_equity", "max_drawdown", "core_seconds"):
            assert isinstance(d[k], float) and math.isfinite(d[k])
        assert 0.0 <= d["max_drawdown"] <= 1.0
        assert isinstance(d["ruined"], bool)
        assert (d["ruin_timestamp"] is not None) == d["ruined"]
        assert d["ruined"] or (d["final_balance"] > 0 and d["final_equity"] > 0)
        event(f"engine {d['engine']}, ruined {d['ruined']}")
    else:
        assert code == 2, (code, err)
        assert out == ""
        lines = err.strip().splitlines()
        # one message line, after argparse's usage text for a malformed command line
        assert lines and lines[-1].startswith("sequence backtest: error: "), err
        assert len(lines) == 1 or lines[0].startswith("usage:"), err


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(candle_file(), params_file(), st.sampled_from(["auto", "python", "numba", "replay"]), rounding_flags)
def test_cli_in_process(candles, params, engine, extra):
    with tempfile.TemporaryDirectory() as tmp:
        argv = _args(Path(tmp), candles, params, engine, extra)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        _check(code, out.getvalue(), err.getvalue())


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.booleans().flatmap(lambda clean: st.tuples(candle_file(clean), params_file(clean))))
def test_cli_subprocess_with_the_numba_cache(files):
    candles, params = files  # half of them well-formed, so the compiled kernel runs
    # the numba engine with its on-disk cache (cache=True; NUMBA_CACHE_DIR as the caller has it)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    with tempfile.TemporaryDirectory() as tmp:
        env["SEQUENCE_CACHE"] = str(Path(tmp) / "cache")
        argv = _args(Path(tmp), candles, params, "numba", [])
        r = subprocess.run([sys.executable, "-m", "sequence.cli", "backtest", *argv],
                           capture_output=True, text=True, env=env, check=False, timeout=120)  # fmt: skip
    _check(r.returncode, r.stdout, r.stderr)
