"""``sequence backtest``: run the strategy on a candle file.

    sequence backtest --candles FILE.csv[.gz] --params FILE.json [--json]
                      [--report out.html] [--png out.png] [--engine auto|python|numba|replay]
                      [--tick T --lot L --min-qty Q --min-notional N]
    sequence backtest --candles FILE --sweep grid.json [--out results.csv] [--workers N]
                      [--sort METRIC] [--split DATE] [--sweep-report out.html --heatmap X,Y]

``--json`` prints exactly one line on stdout, a strict JSON object (never
``NaN`` or ``Infinity``) with ``candles``, ``fills``, ``closes``,
``final_balance``, ``final_equity``, ``max_drawdown`` and ``core_seconds`` (the
simulation alone, without loading or compiling), plus ``engine``, ``ruined``
(true when ``B`` or ``E`` reached zero: the run stopped there and the results
are as of that candle) and ``ruin_timestamp`` (that candle's open time in epoch
ms, else null). Without it a readable table. Bad input (candle file, parameter
file, grid, flags) is reported on stderr with exit code 2, never a traceback;
output into a closed pipe (``| head``) ends quietly with exit code 0.

Exchange rounding: ``--tick``/``--lot``/``--min-qty``/``--min-notional`` (decimal
strings, as the exchange lists them) round every order exactly as the live
engine does (:mod:`sequence.core.precision`); rounding runs the ``replay``
engine (``decide()`` candle by candle, about 15 µs a candle), since the
compiled kernels do not round.

Imports stay light: numpy and numba load only when the engine needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

EXIT_BAD_INPUT = 2
PRECISION_FLAGS = ("tick", "lot", "min_qty", "min_notional")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"sequence backtest: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="sequence backtest",
        description="Backtest the bidirectional DCA strategy on 1-minute candles.",
        epilog="--json prints one line of strict JSON (never NaN or Infinity): candles, fills, "
        "closes, final_balance, final_equity, max_drawdown, core_seconds, engine, ruined, "
        "ruin_timestamp. A run stops at ruin (balance or equity at or below zero after a "
        "candle): ruined is true, ruin_timestamp is that candle's open time (epoch ms) and "
        "the results are as of that candle. starting_balance is in the unit of account: "
        "10000 by default for a quote unit, 1.0 for a coin unit (inverse contracts, or spot "
        "with sides short). Rounding (--tick, --lot, --min-qty, --min-notional) runs the "
        "replay engine: the compiled kernels (python, numba) do not round. Bad input exits "
        "with code 2 and a one-line message; a closed output pipe ends quietly.",
    )
    ap.add_argument("--candles", required=True, metavar="FILE", help="CSV or .csv.gz candle file")
    ap.add_argument("--params", metavar="FILE", help="JSON object of parameters (default: defaults)")
    ap.add_argument("--json", action="store_true", help="print one JSON line (the stable contract)")
    ap.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    ap.add_argument("--png", metavar="OUT.png", help="write a PNG chart (price, sizes, equity, drawdown)")
    ap.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "python", "numba", "replay"),
        help="auto: plain Python for small files, numba for large ones; replay: decide() "
        "candle by candle (the only engine that rounds; chosen whenever rounding is asked)",
    )
    rounding = ap.add_argument_group(
        "exchange rounding (the live engine's rule: prices to the tick, buys down and sells up; "
        "quantities down to the lot; entries raised to the minimum, other orders below it not "
        "placed; runs the replay engine)"
    )
    rounding.add_argument("--tick", metavar="T", help="price tick, e.g. 0.10")
    rounding.add_argument("--lot", metavar="L", help="quantity step, e.g. 0.001 (inverse: contracts in USD)")
    rounding.add_argument("--min-qty", metavar="Q", help="minimum order quantity")
    rounding.add_argument("--min-notional", metavar="N", help="minimum order value in quote")
    ap.add_argument("--sweep", metavar="GRID.json", help="run a grid of parameter sets on all cores")
    ap.add_argument("--out", metavar="FILE.csv", help="sweep results CSV (default: stdout)")
    ap.add_argument("--workers", type=int, default=0, help="sweep threads (default: all cores)")
    ap.add_argument("--sort", metavar="METRIC", default="return",
                    help="sweep order, best first: return (default), max_drawdown, calmar, sharpe, "
                    "sortino, cagr, ... (any metric column of the CSV)")
    ap.add_argument("--split", metavar="DATE", help="sweep: rank the sets on the candles before "
                    "DATE (UTC) and score them on the rest (test_* columns), to show over-fitting")
    ap.add_argument("--sweep-report", metavar="OUT.html",
                    help="sweep: write an HTML report with a heatmap of --sort by --heatmap X,Y")
    ap.add_argument("--heatmap", metavar="X,Y", help="the two grid parameters of the heatmap")  # fmt: skip
    ap.add_argument("--no-cache", action="store_true", help="do not use the binary candle cache")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def _fail(message: str) -> int:
    # one line whatever the input held: line breaks and control characters are escaped
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
    print(f"sequence backtest: error: {text}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _precision(args: argparse.Namespace, params: Any) -> Any:
    """The Precision the flags ask for, None without flags; ValueError with the reason."""
    given = {k: getattr(args, k) for k in PRECISION_FLAGS if getattr(args, k) is not None}
    if not given:
        return None
    from sequence.core.precision import Precision

    values = {}
    for name, text in given.items():
        flag = "--" + name.replace("_", "-")
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(f"{flag}: not a decimal number: {text!r}") from None
        if not value.is_finite() or value < 0 or value > Decimal("1e15"):
            raise ValueError(f"{flag}: must be a number from 0 to 1e15, got {text!r}")
        if name in ("tick", "lot") and value != 0 and value < Decimal("1e-15"):
            raise ValueError(f"{flag}: must be 0 (no rule) or at least 1e-15, got {text!r}")
        values[name] = value or None
    if args.sweep:
        raise ValueError("--sweep does not round: leave out --tick/--lot/--min-qty/--min-notional")
    if args.engine in ("python", "numba"):
        raise ValueError(f"--engine {args.engine} does not round: use --engine replay (or auto)")
    # a coin-base spot book sizes in quote on the coin's lot: replay() converts at each price
    return Precision(tick=values.get("tick"), lot=values.get("lot"), min_qty=values.get("min_qty"),
                     min_notional=values.get("min_notional"), qty_is_notional=params.contract == "inverse")


def _quiet_closed_stdout() -> int:
    """The reader went away (``| head``): drop further output and end normally."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _quiet_closed_stdout()


def _main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    from sequence.backtest.data import CandleFileError, load_candles
    from sequence.strategy.params import Params, ParamsError, load_params

    try:
        params = load_params(args.params) if args.params else Params()
    except ParamsError as e:
        return _fail(f"bad parameters: {e}")
    try:
        precision = _precision(args, params)
    except ValueError as e:
        return _fail(str(e))
    grid = None
    sweep_opts = _sweep_options(args)
    if isinstance(sweep_opts, str):
        return _fail(sweep_opts)
    if args.sweep:
        from sequence.backtest.sweep import GridError, load_grid

        try:
            grid = load_grid(args.sweep, base=params)
        except GridError as e:
            return _fail(f"bad sweep grid: {e}")
        except ParamsError as e:
            return _fail(f"bad sweep grid: {e}")
    try:
        candles = load_candles(
            args.candles,
            numpy=bool(args.sweep) or args.engine == "numba",
            cache=not args.no_cache,
        )
    except CandleFileError as e:
        return _fail(f"bad candle file: {e}")

    if grid is not None:
        from sequence.backtest.sweep import add_test_scores, run_sweep, split_candles, write_csv

        split_ms, heat = sweep_opts
        train = test = candles
        if split_ms is not None:
            try:
                train, test = split_candles(candles, split_ms)
            except ValueError as e:
                return _fail(str(e))
        results = run_sweep(
            grid, train, workers=args.workers or None, progress=not args.quiet, sort=args.sort
        )
        if split_ms is not None:
            add_test_scores(results, run_sweep(grid, test, workers=args.workers or None,
                                               progress=not args.quiet))  # fmt: skip
        write_csv(results, args.out)
        if args.sweep_report:
            from sequence.backtest.sweep_report import write_sweep_report

            assert heat is not None
            write_sweep_report(args.sweep_report, results, x=heat[0], y=heat[1],
                               metric=args.sort, source=candles.source, split_ms=split_ms)  # fmt: skip
        if args.out and not args.json:
            print(f"{len(results)} parameter sets -> {args.out}", file=sys.stderr)
        if args.json:
            best = results.rows[0] if results.rows else {}
            print(
                _strict_json(
                    {
                        "sets": len(results),
                        "candles": len(candles),
                        "seconds": results.seconds,
                        "best": best,
                    }
                )
            )
        return 0

    from sequence.backtest.engine import SimulationRangeError, run

    want_detail = bool(args.report or args.png)
    try:
        result = run(
            params,
            candles,
            engine=args.engine,
            record_fills=want_detail,
            record_series=want_detail,
            precision=precision,
        )
    except SimulationRangeError as e:
        return _fail(str(e))
    if args.report or args.png:
        from sequence.backtest.report import write_png, write_report

        if args.report:
            write_report(args.report, params, candles, result)
        if args.png:
            write_png(args.png, params, candles, result)
    if args.json:
        out = result.summary()
        out["engine"] = result.engine
        print(_strict_json(out))
    else:
        print(_table(params, result, args))
    return 0


def _sweep_options(args: argparse.Namespace) -> tuple[int | None, tuple[str, str] | None] | str:
    """(split time, heatmap axes) of the sweep flags, or the message saying what is wrong."""
    from sequence.backtest.sweep import SORT_KEYS, parse_date_ms
    from sequence.strategy.params import FIELD_NAMES

    sweep_only = [f for f, v in (("--sort", args.sort != "return"), ("--split", args.split),
                                 ("--sweep-report", args.sweep_report), ("--heatmap", args.heatmap))
                  if v]  # fmt: skip
    if sweep_only and not args.sweep:
        return f"{sweep_only[0]} needs --sweep"
    if args.sort not in SORT_KEYS:
        return f"--sort: unknown metric {args.sort!r}; one of {', '.join(SORT_KEYS)}"
    split_ms = None
    if args.split:
        try:
            split_ms = parse_date_ms(args.split)
        except ValueError as e:
            return str(e)
    heat = None
    if bool(args.sweep_report) != bool(args.heatmap):
        return "--sweep-report and --heatmap X,Y go together"
    if args.heatmap:
        names = [n.strip() for n in args.heatmap.split(",")]
        if len(names) != 2 or names[0] == names[1]:
            return f"--heatmap: two different parameter names X,Y, got {args.heatmap!r}"
        for name in names:
            if name not in FIELD_NAMES:
                return f"--heatmap: unknown parameter {name!r}"
        heat = (names[0], names[1])
    return split_ms, heat


def _strict_json(obj: Any) -> str:
    """One line of strict JSON; a non-finite number (never expected) becomes null, not NaN."""
    try:
        return json.dumps(obj, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(obj), allow_nan=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _table(params: Any, result: Any, args: argparse.Namespace) -> str:
    unit = "coin" if params.coin_margined else "quote"
    start = params.starting_balance
    ret = result.final_equity / start - 1.0
    rows = [
        ("candles", f"{result.candles:,}"),
        ("fills", f"{result.fills:,}"),
        ("closes (cycles)", f"{result.closes:,}"),
        (f"starting balance ({unit})", f"{start:,.6f}"),
        (f"final balance ({unit})", f"{result.final_balance:,.6f}"),
        (f"final equity ({unit})", f"{result.final_equity:,.6f}"),
        ("return", f"{ret * 100:+.2f} %"),
        ("max drawdown", f"{result.max_drawdown * 100:.2f} %"),
        ("ruined", "no" if not result.ruined else f"yes, after the candle at {result.ruin_timestamp}"),
        ("engine", result.engine),
        ("core seconds", f"{result.core_seconds:.6f}"),
    ]
    if args.report:
        rows.append(("report", args.report))
    if args.png:
        rows.append(("png", args.png))
    width = max(len(k) for k, _ in rows)
    vwidth = max(len(v) for _, v in rows)
    lines = [f"backtest of {args.candles}", "-" * (width + vwidth + 3)]
    lines.extend(f"{k.ljust(width)}   {v.rjust(vwidth)}" for k, v in rows)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
