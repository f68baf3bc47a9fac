"""The sweep's HTML report: heatmaps of a metric over two chosen parameters, the best sets.

Self-contained (inline SVG, no script, no network). Each cell is the best value of the
metric over the sets sharing that pair of values (other parameters may vary); with a
train/test split a second heatmap shows the same sets scored on the test period, and the
table puts each set's train and test figures side by side, so over-fitting shows as a best
train cell that is poor in the test.
"""

from __future__ import annotations

import html
import math
import os
from datetime import UTC, datetime
from typing import Any

from sequence.backtest.sweep import SMALLER_IS_BETTER, SweepResults

__all__ = ["TOP_ROWS", "write_sweep_report"]

TOP_ROWS = 20
CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1150px}
table{border-collapse:collapse;margin:12px 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;
text-align:right}th{text-align:left}.t{font-size:14px;font-weight:600}.ax{font-size:12px;fill:#333}
.v{font-size:11px;text-anchor:middle}section{margin-top:18px}"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if not math.isfinite(v) else f"{v:.4g}"
    return "n/a" if v is None else str(v)


def _better(metric: str, a: float, b: float) -> bool:
    return a < b if metric in SMALLER_IS_BETTER else a > b


def _value(row: dict[str, Any], key: str) -> float | None:
    v = row.get(key)
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def heatmap_cells(rows: list[dict[str, Any]], x: str, y: str, key: str,
                  metric: str) -> tuple[list[Any], list[Any], dict[tuple[Any, Any], float]]:  # fmt: skip
    """Sorted x and y values, and the best ``key`` per (x, y) (``metric`` says which is best)."""
    xs = sorted({r[x] for r in rows})
    ys = sorted({r[y] for r in rows})
    cells: dict[tuple[Any, Any], float] = {}
    for r in rows:
        v = _value(r, key)
        if v is None:
            continue
        cell = (r[x], r[y])
        if cell not in cells or _better(metric, v, cells[cell]):
            cells[cell] = v
    return xs, ys, cells


def _colour(t: float) -> str:
    """0 -> red, 0.5 -> pale yellow, 1 -> green (t = how good within the map)."""
    stops = [(215, 48, 39), (255, 255, 191), (26, 152, 80)]
    t = min(1.0, max(0.0, t))
    a, b, u = (stops[0], stops[1], t * 2) if t < 0.5 else (stops[1], stops[2], t * 2 - 1)
    return "#" + "".join(f"{round(p + (q - p) * u):02x}" for p, q in zip(a, b, strict=True))


def _svg(title: str, x: str, y: str, xs: list[Any], ys: list[Any],
         cells: dict[tuple[Any, Any], float], metric: str) -> str:  # fmt: skip
    cw, ch, left, top = 90, 36, 110, 40
    # wide enough for the title (about 8 px a character at 14 px)
    width = max(left + cw * len(xs) + 20, left + 8 * len(title))
    height = top + ch * len(ys) + 50
    vals = list(cells.values())
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="{left}" y="20" class="t">'
             f"{html.escape(title)}</text>"]  # fmt: skip
    for j, yv in enumerate(reversed(ys)):
        cy = top + j * ch
        parts.append(f'<text x="{left - 8}" y="{cy + ch / 2 + 4}" class="ax" '
                     f'text-anchor="end">{html.escape(_fmt(yv))}</text>')  # fmt: skip
        for i, xv in enumerate(xs):
            v = cells.get((xv, yv))
            good = 0.5 if v is None or hi == lo else (v - lo) / (hi - lo)
            if metric in SMALLER_IS_BETTER:
                good = 1 - good
            fill = "#eeeeee" if v is None else _colour(good)
            label = "n/a" if v is None else f"{v:.4g}"
            parts.append(
                f'<g class="cell" data-x="{html.escape(_fmt(xv))}" data-y="{html.escape(_fmt(yv))}">'
                f'<rect x="{left + i * cw}" y="{cy}" width="{cw - 2}" height="{ch - 2}" '
                f'fill="{fill}"><title>{html.escape(f"{x}={_fmt(xv)}, {y}={_fmt(yv)}: {label}")}'
                f'</title></rect><text x="{left + i * cw + cw / 2}" y="{cy + ch / 2 + 4}" '
                f'class="v">{label}</text></g>'
            )  # fmt: skip
    for i, xv in enumerate(xs):
        parts.append(f'<text x="{left + i * cw + cw / 2}" y="{top + ch * len(ys) + 16}" '
                     f'class="ax" text-anchor="middle">{html.escape(_fmt(xv))}</text>')  # fmt: skip
    parts.append(f'<text x="{left + cw * len(xs) / 2}" y="{height - 8}" class="ax" '
                 f'text-anchor="middle">{html.escape(x)}</text>')  # fmt: skip
    parts.append(f'<text x="14" y="{top + ch * len(ys) / 2}" class="ax" '
                 f'transform="rotate(-90 14 {top + ch * len(ys) / 2})" text-anchor="middle">'
                 f"{html.escape(y)}</text></svg>")  # fmt: skip
    return "".join(parts)


def _iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def write_sweep_report(path: str, results: SweepResults, *, x: str, y: str, metric: str,
                       source: str, split_ms: int | None = None) -> None:  # fmt: skip
    rows = results.rows
    xs, ys, cells = heatmap_cells(rows, x, y, metric, metric)
    period = f" (train: before {_iso(split_ms)} UTC)" if split_ms is not None else ""
    maps = [_svg(f"{metric}{period} by {x} and {y}", x, y, xs, ys, cells, metric)]
    if split_ms is not None:
        _, _, test_cells = heatmap_cells(rows, x, y, f"test_{metric}", metric)
        maps.append(_svg(f"test_{metric} (test: from {_iso(split_ms)} UTC) by {x} and {y}",
                         x, y, xs, ys, test_cells, metric))  # fmt: skip
    cols = ["rank", "set", x, y, "return", "max_drawdown", metric]
    if split_ms is not None:
        cols += ["test_return", "test_max_drawdown", f"test_{metric}"]
    cols = list(dict.fromkeys(cols))
    table = "<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>"
    for r in rows[:TOP_ROWS]:
        table += "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>"
    table += "</table>"
    best = ""
    if split_ms is not None and rows:
        b = rows[0]
        best = (f"<p id=best>Best on the train period: set {b['set']} ({metric} "
                f"{_fmt(b.get(metric))}); scored on the test period: {_fmt(b.get(f'test_{metric}'))}"
                f" (return {_fmt(b.get('test_return'))}).</p>")  # fmt: skip
    order = "smallest" if metric in SMALLER_IS_BETTER else "largest"
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Sweep: {html.escape(source)}</title><style>{CSS}</style></head><body>"
        f"<h1>Sweep of {len(rows):,} parameter sets on {html.escape(os.path.basename(source))}</h1>"
        f'<section id="heatmap"><h2>Heatmap</h2><p>Each cell: the {order} {html.escape(metric)} '
        f"among the sets with that {html.escape(x)} and {html.escape(y)}; greener is better."
        f"</p>{''.join(maps)}</section>"
        f'<section id="split"><h2>Train and test</h2>{best or "<p>No split (--split DATE).</p>"}'
        "</section>"
        f'<section id="top"><h2>Best {min(TOP_ROWS, len(rows))} sets by {html.escape(metric)}</h2>'
        f"{table}</section></body></html>\n"
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(doc)
