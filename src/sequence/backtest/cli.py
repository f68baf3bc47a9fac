"""``sequence backtest``: run the strategy on a candle file.

    sequence backtest --candles FILE.csv[.gz] --params FILE.json [--json]
                      [--report out.html] [--png out.png] [--engine auto|python|numba]
    sequence backtest --candles FILE --sweep grid.json [--out results.csv] [--workers N]

``--json`` prints exactly one line on stdout, a JSON object with ``candles``,
``fills``, ``closes``, ``final_balance``, ``final_equity``, ``max_drawdown`` and
``core_seconds`` (the simulation alone, without loading or compiling), plus
``engine``. Without it a readable table. Bad input (candle file, parameter
file, grid) is reported on stderr with exit code 2, never a traceback.

Imports stay light: numpy and numba load only when the engine needs them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"sequence backtest: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="sequence backtest",
        description="Backtest the bidirectional DCA strategy on 1-minute candles.",
    )
    ap.add_argument("--candles", required=True, metavar="FILE", help="CSV or .csv.gz candle file")
    ap.add_argument("--params", metavar="FILE", help="JSON object of parameters (default: defaults)")
    ap.add_argument("--json", action="store_true", help="print one JSON line (the stable contract)")
    ap.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    ap.add_argument("--png", metavar="OUT.png", help="write a PNG chart (price, sizes, equity, drawdown)")
    ap.add_argument("--engine", default="auto", choices=("auto", "python", "numba"))
    ap.add_argument("--sweep", metavar="GRID.json", help="run a grid of parameter sets on all cores")
    ap.add_argument("--out", metavar="FILE.csv", help="sweep results CSV (default: stdout)")
    ap.add_argument("--workers", type=int, default=0, help="sweep threads (default: all cores)")
    ap.add_argument("--no-cache", action="store_true", help="do not use the binary candle cache")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def _fail(message: str) -> int:
    print(f"sequence backtest: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
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
    grid = None
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
        from sequence.backtest.sweep import run_sweep, write_csv

        results = run_sweep(
            grid, candles, workers=args.workers or None, progress=not args.quiet
        )
        write_csv(results, args.out)
        if args.out and not args.json:
            print(f"{len(results)} parameter sets -> {args.out}", file=sys.stderr)
        if args.json:
            best = results.rows[0] if results.rows else {}
            print(
                json.dumps(
                    {
                        "sets": len(results),
                        "candles": len(candles),
                        "seconds": results.seconds,
                        "best": best,
                    }
                )
            )
        return 0

    from sequence.backtest.engine import run

    want_detail = bool(args.report or args.png)
    result = run(
        params,
        candles,
        engine=args.engine,
        record_fills=want_detail,
        record_series=want_detail,
    )
    if args.report or args.png:
        from sequence.backtest.report import write_png, write_report

        if args.report:
            write_report(args.report, params, candles, result)
        if args.png:
            write_png(args.png, params, candles, result)
    if args.json:
        out = result.summary()
        out["engine"] = result.engine
        print(json.dumps(out))
    else:
        print(_table(params, result, args))
    return 0


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
