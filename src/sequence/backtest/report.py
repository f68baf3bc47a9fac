"""Backtest reports: a self-contained HTML page (inline SVG, no CDN) and a PNG.

Panels, dated on the x-axis: price (high/low band, fills marked: buys green, sells red),
position size per side, equity in the unit of account with the buy-and-hold benchmark (and
in USD for coin-based strategies), drawdown. Stats: return, max drawdown, cycles, fills,
average and maximum exposure (position value over equity), fees, time in market; then the
sections of :mod:`sequence.backtest.report_sections` (return measures against buy and hold,
statistics per side, monthly returns, the open position, liquidation distance, a sortable
cycles table), all from :mod:`sequence.metrics`. Long series are reduced to at most
:data:`BUCKETS` columns (min/max per column, so no extreme is lost). The PNG is
:mod:`sequence.backtest.png` (matplotlib).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sequence.backtest.analysis import Analysis, analyse
from sequence.backtest.data import Candles
from sequence.backtest.engine import BacktestResult
from sequence.backtest.report_sections import SORT_SCRIPT, sections
from sequence.strategy.params import Params

__all__ = ["Stats", "compute_stats", "write_png", "write_report"]

BUCKETS = 1200
MAX_MARKERS = 3000


@dataclass(frozen=True)
class Stats:
    start_balance: float
    final_balance: float
    final_equity: float
    total_return: float
    max_drawdown: float
    cycles: int
    fills: int
    avg_exposure: float
    max_exposure: float
    fees: float
    time_in_market: float
    unit: str


def _series(result: BacktestResult) -> tuple[list[float], list[float], list[float]]:
    s = result.series
    n = result.candles
    k = result.candles_run  # a ruined run stops early: nothing after its last candle
    return list(s[:k]), list(s[n : n + k]), list(s[2 * n : 2 * n + k])


def compute_stats(params: Params, candles: Candles, result: BacktestResult) -> Stats:
    eq, ql, qs = _series(result)
    close = list(candles.close)[: len(eq)]
    coin = params.coin_margined
    fee = params.maker_fee
    fees = 0.0
    for _, _, _, price, qty in result.fill_tuples():
        fees += fee * qty / price if coin else fee * qty * price
    exp_sum = 0.0
    exp_max = 0.0
    in_market = 0
    for e, a, b, c in zip(eq, ql, qs, close, strict=True):
        value = (a + b) / c if coin else (a + b) * c
        x = value / e if e > 0 else math.inf
        exp_sum += x
        exp_max = max(exp_max, x)
        if a > 0 or b > 0:
            in_market += 1
    n = max(1, len(eq))
    return Stats(
        start_balance=params.starting_balance,
        final_balance=result.final_balance,
        final_equity=result.final_equity,
        total_return=result.final_equity / params.starting_balance - 1.0,
        max_drawdown=result.max_drawdown,
        cycles=result.closes,
        fills=result.fills,
        avg_exposure=exp_sum / n,
        max_exposure=exp_max,
        fees=fees,
        time_in_market=in_market / n,
        unit="coin" if coin else "quote",
    )


def _drawdown(eq: list[float], start: float) -> list[float]:
    peak = start
    out = []
    for e in eq:
        peak = max(peak, e)
        out.append(min((peak - e) / peak, 1.0))  # at most everything, as max_drawdown
    return out


def _buckets(n: int, k: int = BUCKETS) -> list[tuple[int, int]]:
    k = max(1, min(k, n))
    return [(n * i // k, max(n * i // k + 1, n * (i + 1) // k)) for i in range(k)]


def _minmax(values: list[float], spans: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    lo, hi = [], []
    for a, b in spans:
        chunk = values[a:b]
        lo.append(min(chunk))
        hi.append(max(chunk))
    return lo, hi


@dataclass
class _Panel:
    title: str
    lines: list[tuple[str, list[float], list[float]]]  # label, colour, (low, high) per bucket
    colours: list[str]
    markers: list[tuple[int, float, str]]  # bucket, value, colour
    fmt: str = "{:,.2f}"


def _panels(
    params: Params, candles: Candles, result: BacktestResult, analysis: Analysis
) -> tuple[list[_Panel], list[tuple[int, int]]]:
    eq, ql, qs = _series(result)
    n = len(eq)
    spans = _buckets(n)
    bucket_of = [0] * n
    for bi, (a, b) in enumerate(spans):
        for i in range(a, b):
            bucket_of[i] = bi
    hi_, lo_ = list(candles.high)[:n], list(candles.low)[:n]
    close = list(candles.close)[:n]
    plo, _ = _minmax(lo_, spans)
    _, phi = _minmax(hi_, spans)
    fills = result.fill_tuples()
    step = max(1, len(fills) // MAX_MARKERS)
    markers = []
    for i, side, kind, price, _ in fills[::step]:
        buy = (side == 0) != (kind == 2)
        markers.append((bucket_of[i], price, "#1a9850" if buy else "#d73027"))
    coin = params.coin_margined
    unit = "coin" if coin else "quote currency"
    panels = [
        _Panel("Price (high-low band), fills: buys green, sells red", [("price", plo, phi)],
               ["#4c78a8"], markers),
        _Panel("Position size per side (" + ("quote units" if coin else "coins") + ")",
               [("long", *_minmax(ql, spans)), ("short", *_minmax(qs, spans))],
               ["#1a9850", "#d73027"], [], "{:,.6g}"),
        _Panel(f"Equity ({unit}) and buy and hold (grey)",
               [("equity", *_minmax(eq, spans)),
                ("buy and hold", *_minmax(analysis.benchmark[1:], spans))],
               ["#4c78a8", "#888888"], [], "{:,.6g}"),
    ]  # fmt: skip
    if coin:
        usd = [e * c for e, c in zip(eq, close, strict=True)]
        panels.append(
            _Panel("Equity in USD (equity x close)", [("USD", *_minmax(usd, spans))],
                   ["#72b7b2"], [])
        )
    dd = [-x * 100 for x in _drawdown(eq, params.starting_balance)]
    panels.append(
        _Panel("Drawdown (%)", [("drawdown", *_minmax(dd, spans))], ["#e45756"], [], "{:,.2f}")
    )
    return panels, spans


def _svg(panel: _Panel, times: list[int], width: int = 1100, height: int = 230) -> str:
    """One panel; ``times`` is each bucket's first candle time (ms), for the dated x-axis."""
    pad_l, pad_r, pad_t, pad_b = 80, 10, 24, 28
    k = len(panel.lines[0][1])
    ys = [v for _, lo, hi in panel.lines for v in (*lo, *hi)] + [m[1] for m in panel.markers]
    ymin, ymax = min(ys), max(ys)
    if ymax == ymin:
        ymin, ymax = ymin - 1, ymax + 1
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def X(i: float) -> float:
        return pad_l + (i + 0.5) * w / k

    def Y(v: float) -> float:
        return pad_t + (ymax - v) * h / (ymax - ymin)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{html.escape(panel.title)}">',
        f'<text x="{pad_l}" y="15" class="t">{html.escape(panel.title)}</text>',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" class="frame"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        v = ymin + frac * (ymax - ymin)
        parts.append(
            f'<text x="{pad_l - 4}" y="{Y(v) + 4:.1f}" class="ax">{panel.fmt.format(v)}</text>'
        )
    for (label, lo, hi), colour in zip(panel.lines, panel.colours, strict=True):
        if lo == hi:
            pts = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in enumerate(lo))
        else:  # band: highs left to right, lows right to left
            pts = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in enumerate(hi))
            pts += " " + " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in reversed(list(enumerate(lo))))
        parts.append(
            f'<polygon points="{pts}" fill="{colour}" fill-opacity="0.35" stroke="{colour}" '
            f'stroke-width="1"><title>{html.escape(label)}</title></polygon>'
        )
    for i, v, colour in panel.markers:
        parts.append(f'<circle cx="{X(i):.1f}" cy="{Y(v):.1f}" r="2" fill="{colour}"/>')
    for j in range(5) if times else ():
        i = min(k - 1, round(j * (k - 1) / 4))
        parts.append(
            f'<text x="{X(i):.1f}" y="{height - 8}" class="{"tx txe" if j == 4 else "tx"}">'
            f"{_iso(times[i])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1150px}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}
td,th{padding:3px 12px;border-bottom:1px solid #ddd;text-align:right}th{text-align:left}
svg{display:block;margin:10px 0}.t{font-size:13px;font-weight:600}
.ax{font-size:11px;text-anchor:end;fill:#555}.frame{fill:none;stroke:#ccc}
.tx{font-size:11px;text-anchor:middle;fill:#555}.txe{text-anchor:end}section{margin-top:18px}
table.sortable th{cursor:pointer;text-decoration:underline dotted}"""


def write_report(path: str, params: Params, candles: Candles, result: BacktestResult) -> None:
    st = compute_stats(params, candles, result)
    a = analyse(params, candles, result)
    panels, spans = _panels(params, candles, result, a)
    times = [int(candles.ts[lo]) for lo, _ in spans] if len(candles) else []
    unit = "coin" if params.coin_margined else "quote"
    t0 = _iso(candles.ts[0]) if len(candles) else ""
    t1 = _iso(candles.ts[-1]) if len(candles) else ""
    stats = [
        ("Candles", f"{result.candles:,} ({t0} .. {t1} UTC)"),
        ("Return", f"{st.total_return * 100:+.3f} %"),
        ("Buy and hold return", _pct(a.benchmark_returns.total_return)),
        ("Max drawdown", f"{st.max_drawdown * 100:.3f} %"),
        ("Cycles (take-profit closes)", f"{st.cycles:,}"),
        ("Fills", f"{st.fills:,}"),
        ("Average exposure", f"{st.avg_exposure:.4f} x equity"),
        ("Maximum exposure", f"{st.max_exposure:.4f} x equity"),
        (f"Fees ({unit})", f"{st.fees:,.6f}"),
        ("Time in market", f"{st.time_in_market * 100:.2f} %"),
        (f"Starting balance ({unit})", f"{st.start_balance:,.6f}"),
        (f"Final balance ({unit})", f"{st.final_balance:,.6f}"),
        (f"Final equity ({unit})", f"{st.final_equity:,.6f}"),
        ("Ruined", "no" if result.ruin_timestamp is None else f"yes, stopped after {_iso(result.ruin_timestamp)} UTC"),
    ]
    if params.coin_margined and len(candles):
        stats.append(("Final equity (USD)", f"{st.final_equity * candles.close[-1]:,.2f}"))
    prm = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in params.to_dict().items()
    )
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in stats)
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Backtest: {html.escape(candles.source)}</title><style>{CSS}</style></head><body>"
        f"<h1>Backtest of {html.escape(candles.source)}</h1>"
        f"<table>{rows}</table>"
        + "".join(_svg(p, times) for p in panels)
        + sections(a)
        + f"<h2>Parameters</h2><table>{prm}</table>"
        "<p>Bidirectional DCA, exact semantics of DESIGN.md section 3; generated by "
        "<code>sequence backtest</code>. Self-contained: no network access.</p>"
        f"<script>{SORT_SCRIPT}</script></body></html>\n"
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(doc)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.3f} %"


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(float(ms) / 1000.0, tz=UTC).strftime("%Y-%m-%d %H:%M")


def write_png(path: str, params: Params, candles: Candles, result: BacktestResult) -> None:
    """The labelled PNG (matplotlib, :mod:`sequence.backtest.png`)."""
    from sequence.backtest.png import write_png as _write

    _write(path, params, candles, result)
