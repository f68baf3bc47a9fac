"""The backtest report's tables, built from :class:`~sequence.backtest.analysis.Analysis`.

Each section is an ``<section id=...>`` with a heading, so a reader (and the tests) find
it by its content. Numbers that a measure cannot define print as "n/a", never NaN.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

from sequence.backtest.analysis import MMR, Analysis
from sequence.metrics.returns import DAY_MS, Returns

__all__ = ["MAX_CYCLE_ROWS", "SORT_SCRIPT", "sections"]

MAX_CYCLE_ROWS = 5000

# Sorting the cycles table by a click on its header: the report is a local file (no CSP),
# self-contained, so the few lines live in the page.
SORT_SCRIPT = """document.querySelectorAll('table.sortable th').forEach(function(th,i){
th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];
var rows=Array.from(tb.rows);var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir>0?'asc':'desc';
rows.sort(function(a,b){var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;
var nx=parseFloat(x),ny=parseFloat(y);if(nx===nx&&ny===ny){return (nx-ny)*dir;}
return x<y?-dir:x>y?dir:0;});rows.forEach(function(r){tb.appendChild(r);});});});"""


def _iso(ms: float | None) -> str:
    if ms is None:
        return "n/a"
    return datetime.fromtimestamp(float(ms) / 1000.0, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _pct(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x * 100:+.{digits}f} %"


def _num(x: float | Decimal | None, fmt: str = "{:,.6f}") -> str:
    return "n/a" if x is None else fmt.format(float(x))


def _money(a: Analysis, x: float | Decimal | None) -> str:
    """Coin amounts to the satoshi (8 places), quote amounts to 6."""
    return _num(x, "{:,.8f}" if a.unit == "coin" else "{:,.6f}")


def _days(ms: float | None) -> str:
    return "n/a" if ms is None else f"{ms / DAY_MS:,.2f} days"


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    ) + "</table>"


def _section(ident: str, title: str, body: str, note: str = "") -> str:
    p = f"<p>{html.escape(note)}</p>" if note else ""
    return f'<section id="{ident}"><h2>{html.escape(title)}</h2>{p}{body}</section>'


def _measures(r: Returns) -> list[str]:
    dd = r.drawdown
    return [
        _pct(r.total_return), _pct(r.cagr), _pct(dd.max).lstrip("+"), _days(dd.duration_ms),
        "not recovered" if dd.recovery_ms is None and dd.max > 0 else _days(dd.recovery_ms),
        _num(r.sharpe, "{:.3f}"), _num(r.sortino, "{:.3f}"), _num(r.calmar, "{:.3f}"),
    ]


def _returns_section(a: Analysis) -> str:
    heads = ["", "Return", "CAGR", "Max drawdown", "Drawdown duration", "Time to recover",
             "Sharpe", "Sortino", "Calmar"]  # fmt: skip
    rows = [("Strategy", _measures(a.returns)), ("Buy and hold", _measures(a.benchmark_returns))]
    body = "<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>" + "".join(
        f"<tr><th>{n}</th>" + "".join(f"<td>{html.escape(v)}</td>" for v in vals) + "</tr>"
        for n, vals in rows
    ) + "</table>"
    bench = ("the starting balance held in the coin: flat in the coin unit"
             if a.unit == "coin" else "the starting balance put in the coin at the first price")  # fmt: skip
    return _section("returns", f"Return measures ({a.unit} unit of account)", body,
                    "Daily equity at 00:00 UTC, annualised with the square root of 365, risk-free "
                    "rate 0; Calmar = CAGR / max drawdown; drawdown on every candle. Buy and hold: "
                    + bench + ".")  # fmt: skip


def _sides_section(a: Analysis) -> str:
    heads = ["Side", "Cycles", "Win rate", f"PnL ({a.unit})", f"Mean PnL ({a.unit})",
             f"Fees ({a.unit})", "Mean duration", "Longest", "Mean DCA depth", "Max DCA depth",
             "Mean exposure", "Max exposure", "Time in market"]  # fmt: skip
    expo = {"long": a.exposure_long, "short": a.exposure_short, "total": a.exposure}
    body = "<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>"
    for st in a.stats:
        x = expo[st.side]
        vals = [
            str(st.cycles), _pct(st.win_rate).lstrip("+"), _money(a, st.pnl), _money(a, st.mean_pnl),
            _money(a, st.fees), _days(st.mean_duration_ms), _days(st.max_duration_ms),
            _num(st.mean_dca_depth, "{:.2f}"), str(st.max_dca_depth),
            f"{x.mean:.4f} x equity", f"{x.max:.4f} x equity", _pct(x.time_in_market).lstrip("+"),
        ]  # fmt: skip
        body += f"<tr><th>{st.side}</th>" + "".join(f"<td>{html.escape(v)}</td>" for v in vals)
        body += "</tr>"
    body += "</table>"
    return _section("sides", "Statistics per side and in total", body,
                    "Closed cycles only; PnL net of fees.")  # fmt: skip


def _cycles_section(a: Analysis) -> str:
    heads = ["Side", "#", "Entry", "Entry price", "DCA depth", "Exit", "Exit price", "Ending",
             f"PnL ({a.unit})", f"Fees ({a.unit})", "Duration (h)"]  # fmt: skip
    done = [c for c in a.cycles if c.ending is not None]
    rows = []
    for c in done[:MAX_CYCLE_ROWS]:
        pnl, fees = c.pnl(a.unit), c.fees(a.unit)
        dur = (c.duration_ms or 0) / 3_600_000
        cells = [
            (c.side, c.side), (str(c.number), str(c.number)), (_iso(c.entry_ts), str(c.entry_ts)),
            (_num(c.entry_price, "{:,.2f}"), str(c.entry_price)), (str(c.dca_depth), str(c.dca_depth)),
            (_iso(c.exit_ts), str(c.exit_ts)), (_num(c.exit_price, "{:,.2f}"), str(c.exit_price)),
            (c.ending or "", c.ending or ""), (_money(a, pnl), str(pnl)), (_money(a, fees), str(fees)),
            (f"{dur:,.2f}", repr(dur)),
        ]  # fmt: skip
        rows.append("<tr>" + "".join(
            f'<td data-v="{html.escape(v)}">{html.escape(t)}</td>' for t, v in cells) + "</tr>")
    body = ('<table class="sortable"><thead><tr>' + "".join(f"<th>{h}</th>" for h in heads)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")  # fmt: skip
    note = f"{len(done):,} closed cycles; click a heading to sort."
    if len(done) > MAX_CYCLE_ROWS:
        note += f" The first {MAX_CYCLE_ROWS:,} are listed."
    return _section("cycles", "Cycles", body, note)


def _monthly_section(a: Analysis) -> str:
    body = _table([(m, _pct(r)) for m, r in a.monthly])
    return _section("monthly", "Monthly returns", body,
                    "Each calendar month (UTC): its last equity over the previous month's last.")


def _open_section(a: Analysis) -> str:
    if not a.open_positions:
        return _section("open", "Open position at the end", "<p>None: both sides are flat.</p>")
    rows = []
    for p in a.open_positions:
        rows += [
            (f"{p.side}: size", _num(p.size, "{:,.8g}")),
            (f"{p.side}: average entry", _num(p.average_entry, "{:,.2f}")),
            (f"{p.side}: DCA depth", str(p.dca_depth)),
            (f"{p.side}: open since", _iso(p.since_ts) + " UTC"),
            (f"{p.side}: unrealised PnL at {a.mark:,.2f} ({a.unit})", _money(a, p.unrealised_pnl)),
            (f"{p.side}: fees paid so far ({a.unit})", _money(a, p.fees)),
        ]  # fmt: skip
    return _section("open", "Open position at the end", _table(rows))


def _liquidation_section(a: Analysis) -> str:
    if not a.liquidation:
        return ""
    rows = []
    for liq in a.liquidation:
        rows.append((f"{liq.side}: liquidation price", _num(liq.price, "{:,.2f}")))
        rows.append((f"{liq.side}: distance from {a.mark:,.2f}", _pct(liq.distance).lstrip("+")))
    rows.append(("Leverage at the end (positions' value / wallet)", f"{a.liquidation[0].leverage:.3f} x"))
    return _section("liquidation", "Liquidation distance", _table(rows),
                    f"The simulated exchange's cross-margin formula (sequence.venue.risk), "
                    f"MMR (the margin rate kept against liquidation) {MMR * 100} %, the wallet at the end as collateral "
                    "and the other side held at the last price.")  # fmt: skip


def sections(a: Analysis) -> str:
    return "".join((
        _returns_section(a), _sides_section(a), _monthly_section(a), _open_section(a),
        _liquidation_section(a), _cycles_section(a),
    ))  # fmt: skip
