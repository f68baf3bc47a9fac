"""The backtest's PNG, readable on its own: titles, dated x-axes, labelled y-axes, legends.

matplotlib with the Agg backend, imported here only (the CLI imports this module only for
``--png``). Panels: price with fills, equity in the unit of account against buy and hold
(USD on a second axis for a coin unit), drawdown, monthly returns.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from sequence.backtest.analysis import Analysis, analyse
from sequence.backtest.data import Candles
from sequence.backtest.engine import BacktestResult
from sequence.strategy.params import Params

__all__ = ["write_png"]

MAX_POINTS = 4000
MAX_MARKERS = 3000


def _dates(ts: list[int]) -> list[datetime]:
    return [datetime.fromtimestamp(t / 1000, tz=UTC) for t in ts]


def _thin(xs: list[Any], *cols: list[float]) -> tuple[list[Any], ...]:
    step = max(1, len(xs) // MAX_POINTS)
    return (xs[::step], *(c[::step] for c in cols))


def write_png(path: str, params: Params, candles: Candles, result: BacktestResult,
              analysis: Analysis | None = None) -> None:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    a = analysis or analyse(params, candles, result)
    unit = "coin" if a.unit == "coin" else "quote"
    when = _dates(a.ts)
    fig, axes = plt.subplots(4, 1, figsize=(12, 13), sharex=False,
                             gridspec_kw={"height_ratios": [3, 3, 2, 2]})  # fmt: skip
    name = os.path.basename(candles.source) or "candles"
    fig.suptitle(f"Backtest of {name} ({unit} unit of account)",
                 fontsize=14, fontweight="bold")  # fmt: skip

    ax = axes[0]
    x, p = _thin(when, a.price)
    ax.plot(x, p, color="#4c78a8", lw=0.8, label="close")
    fills = result.fill_tuples()
    step = max(1, len(fills) // MAX_MARKERS)
    buys = [(when[i + 1], pr) for i, side, kind, pr, _ in fills[::step] if (side == 0) != (kind == 2)]
    sells = [(when[i + 1], pr) for i, side, kind, pr, _ in fills[::step] if (side == 0) == (kind == 2)]
    if buys:
        ax.scatter(*zip(*buys, strict=True), s=6, color="#1a9850", label="buy fills", zorder=3)
    if sells:
        ax.scatter(*zip(*sells, strict=True), s=6, color="#d73027", label="sell fills", zorder=3)
    ax.set_title("Price and fills")
    ax.set_ylabel("price (quote)")
    ax.legend(loc="upper left")

    ax = axes[1]
    x, e, b = _thin(when, a.equity, a.benchmark)
    ax.plot(x, e, color="#4c78a8", lw=1.2, label=f"strategy equity ({unit})")
    ax.plot(x, b, color="#888888", lw=1.0, ls="--", label=f"buy and hold ({unit})")
    ax.set_title("Equity in the unit of account")
    ax.set_ylabel(f"equity ({unit})")
    handles, labels = ax.get_legend_handles_labels()
    if a.unit == "coin":
        ax2 = ax.twinx()
        x, u = _thin(when, a.usd)
        (line,) = ax2.plot(x, u, color="#72b7b2", lw=0.8, label="equity in USD")
        ax2.set_ylabel("equity (USD)")
        handles.append(line)
        labels.append("equity in USD")
    ax.legend(handles, labels, loc="upper left")

    ax = axes[2]
    peak, dd = a.equity[0] if a.equity else 0.0, []
    for v in a.equity:
        peak = max(peak, v)
        dd.append(-min(1.0, (peak - v) / peak) * 100 if peak > 0 else 0.0)
    x, d = _thin(when, dd)
    ax.fill_between(x, d, 0, color="#e45756", alpha=0.5, label="drawdown")
    ax.set_title(f"Drawdown (max {a.returns.drawdown.max * 100:.2f} %)")
    ax.set_ylabel("drawdown (%)")
    ax.legend(loc="lower left")
    for axis in axes[:3]:
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
        axis.set_xlabel("date (UTC)")
        axis.grid(alpha=0.3)

    ax = axes[3]
    months = [m for m, _ in a.monthly]
    values = [r * 100 for _, r in a.monthly]
    ax.bar(range(len(months)), values, tick_label=months, label="monthly return",
           color=["#1a9850" if v >= 0 else "#d73027" for v in values])  # fmt: skip
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_title("Monthly returns")
    ax.set_xlabel("month (UTC)")
    ax.set_ylabel("return (%)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    # the labels, also as the PNG's text metadata: what a reader sees, checkable without OCR
    labels = [fig.get_suptitle()]
    for axis in fig.axes:
        legend = axis.get_legend()
        labels += [axis.get_title(), axis.get_xlabel(), axis.get_ylabel()]
        labels += [t.get_text() for t in legend.get_texts()] if legend else []
    desc = " | ".join(t for t in labels if t)
    fig.savefig(path, format="png", dpi=90, metadata={"Title": fig.get_suptitle(), "Description": desc})
    plt.close(fig)
